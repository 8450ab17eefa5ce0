"""probable duplicates: a hash of every page image, and the records found to be the same paper

Revision ID: d0001
Revises: 0002
Create Date: 2026-11-26 17:20:00

A branch of its own (like review and roadmap): the pipeline's main line may grow its own 0003 meanwhile.
"""
import sqlalchemy as sa
from alembic import op

revision = "d0001"
down_revision = "0002"
branch_labels = ("duplicates",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pages") as batch_op:  # SQLite alters a table by copying it
        batch_op.add_column(sa.Column("image_hash", sa.String(length=512), nullable=True))
    op.create_table(
        "probable_duplicates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("other_document_id", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=True),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["other_document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "other_document_id", "basis", name="uq_probable_duplicate"),
    )
    op.create_index("ix_probable_duplicates_document_id", "probable_duplicates", ["document_id"])
    op.create_index("ix_probable_duplicates_other_document_id", "probable_duplicates", ["other_document_id"])


def downgrade() -> None:
    op.drop_index("ix_probable_duplicates_other_document_id", table_name="probable_duplicates")
    op.drop_index("ix_probable_duplicates_document_id", table_name="probable_duplicates")
    op.drop_table("probable_duplicates")
    with op.batch_alter_table("pages") as batch_op:
        batch_op.drop_column("image_hash")
