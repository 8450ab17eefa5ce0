"""documents: the least field confidence stored, and indexes that read the review queue in its order

Revision ID: v0001
Revises: s0001
"""
import sqlalchemy as sa
from alembic import op

revision = "v0001"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("min_confidence", sa.Float(), nullable=False, server_default="-1"))
    op.execute("UPDATE documents SET min_confidence = COALESCE((SELECT MIN(f.confidence) FROM fields f "
               "WHERE f.document_id = documents.id AND f.value IS NOT NULL), -1)")
    op.create_index("ix_documents_queue", "documents", ["status", "batch_id", "min_confidence", "id", "province"])
    op.create_index("ix_documents_queue_all", "documents", ["batch_id", "min_confidence", "id", "province"])
    op.create_index("ix_documents_queue_counts", "documents", ["province", "batch_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_documents_queue_counts", table_name="documents")
    op.drop_index("ix_documents_queue_all", table_name="documents")
    op.drop_index("ix_documents_queue", table_name="documents")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("min_confidence")
