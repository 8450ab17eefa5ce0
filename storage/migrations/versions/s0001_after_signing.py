"""After signing: several results per document (supersede chain), re-keyed provisional codes

Revision ID: s0001
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = "0003"
branch_labels = None
depends_on = None

# 0001 created `UNIQUE (document_id)` without a name; SQLite's batch mode needs one to drop it.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        with op.batch_alter_table("results", naming_convention=_NAMING, recreate="always") as batch_op:
            batch_op.drop_constraint("uq_results_document_id", type_="unique")
    else:  # PostgreSQL named it itself: find it
        names = [u["name"] for u in sa.inspect(op.get_bind()).get_unique_constraints("results")
                 if u["column_names"] == ["document_id"] and u["name"]]
        for name in names:
            op.drop_constraint(str(name), "results", type_="unique")
    with op.batch_alter_table("results") as batch_op:
        batch_op.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("superseded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key("fk_results_supersedes", "results", ["supersedes_id"], ["id"])
        batch_op.create_index("ix_results_document_id", ["document_id"], unique=False)
        batch_op.create_index("ix_results_superseded_by_id", ["superseded_by_id"], unique=False)
    with op.batch_alter_table("documents") as batch_op:
        batch_op.add_column(sa.Column("provisional_code", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("replaces_result_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("replaces_result_id")
        batch_op.drop_column("provisional_code")
    with op.batch_alter_table("results") as batch_op:
        batch_op.drop_index("ix_results_superseded_by_id")
        batch_op.drop_index("ix_results_document_id")
        batch_op.drop_constraint("fk_results_supersedes", type_="foreignkey")
        batch_op.drop_column("superseded_at")
        batch_op.drop_column("superseded_by_id")
        batch_op.drop_column("supersedes_id")
        batch_op.create_unique_constraint("uq_results_document_id", ["document_id"])
