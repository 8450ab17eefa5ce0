"""re-scan requests: a steward asks for a paper to be scanned again; the new scan replaces the file

Revision ID: q0001
Revises: 0002
Create Date: 2026-11-26 19:30:00

A branch of its own (like review, roadmap and duplicates).
"""
import sqlalchemy as sa
from alembic import op

revision = "q0001"
down_revision = "0002"
branch_labels = ("rescans",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rescan_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("old_file_name", sa.Text(), nullable=False),
        sa.Column("old_sha256", sa.String(length=64), nullable=False),
        sa.Column("old_raw_key", sa.Text(), nullable=False),
        sa.Column("new_file_name", sa.Text(), nullable=True),
        sa.Column("new_sha256", sa.String(length=64), nullable=True),
        sa.Column("new_batch_id", sa.Integer(), nullable=True),
        sa.Column("matched_by", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rescan_requests_document_id", "rescan_requests", ["document_id"])
    op.create_index("ix_rescan_requests_batch_id", "rescan_requests", ["batch_id"])
    op.create_index("ix_rescan_requests_state", "rescan_requests", ["state"])


def downgrade() -> None:
    op.drop_index("ix_rescan_requests_state", table_name="rescan_requests")
    op.drop_index("ix_rescan_requests_batch_id", table_name="rescan_requests")
    op.drop_index("ix_rescan_requests_document_id", table_name="rescan_requests")
    op.drop_table("rescan_requests")
