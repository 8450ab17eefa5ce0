"""system of record: signatures, revocations, sync receipts, fixity findings; append-only triggers

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

from storage import _append_only

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# audit_log exists since 0001; the others are created here. All five refuse UPDATE/DELETE.
APPEND_ONLY = ("audit_log", "signatures", "revocations", "sync_receipts", "fixity_findings")


def upgrade() -> None:
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("signer", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("cert_serial", sa.String(length=80), nullable=False),
        sa.Column("cert_fingerprint_sha256", sa.String(length=64), nullable=False),
        sa.Column("cert_issuer", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["result_id"], ["results.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("result_id", "cert_fingerprint_sha256", "signed_at", name="uq_signature"),
    )
    op.create_index("ix_signatures_result_id", "signatures", ["result_id"])
    op.create_table(
        "revocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("result_code", sa.String(length=120), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("revoked_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["result_id"], ["results.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("result_id"),
    )
    op.create_index("ix_revocations_result_code", "revocations", ["result_code"])
    op.create_table(
        "sync_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("result_code", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("warehouse", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("outbox_id"),
    )
    op.create_index("ix_sync_receipts_result_code", "sync_receipts", ["result_code"])
    op.create_table(
        "fixity_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=120), nullable=False),
        sa.Column("bucket", sa.String(length=100), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("problem", sa.String(length=16), nullable=False),
        sa.Column("expected_sha256", sa.String(length=64), nullable=True),
        sa.Column("actual_sha256", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fixity_findings_audit_id", "fixity_findings", ["audit_id"])

    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(_append_only.PG_FUNCTION)
    for table in APPEND_ONLY:
        for statement in _append_only.create_statements(dialect, table):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        for statement in _append_only.drop_statements(dialect, table):
            op.execute(statement)
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS sohoa_append_only()")
    for table in ("fixity_findings", "sync_receipts", "revocations", "signatures"):
        op.drop_table(table)
