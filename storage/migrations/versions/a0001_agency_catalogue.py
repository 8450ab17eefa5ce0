"""national catalogue of agency codes: issuing agencies by their code, their printed names for look-up

Revision ID: a0001
Revises: 0002
Create Date: 2026-11-26 22:30:00

A branch of its own (like review, roadmap, duplicates and rescans).
"""
import sqlalchemy as sa
from alembic import op

revision = "a0001"
down_revision = "0002"
branch_labels = ("agencies",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_catalogue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=True),
        sa.Column("parent_code", sa.String(length=100), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "agency_catalogue_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_code", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=400), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agency_catalogue_names_agency_code", "agency_catalogue_names", ["agency_code"])
    op.create_index("ix_agency_catalogue_names_name_key", "agency_catalogue_names", ["name_key"])


def downgrade() -> None:
    op.drop_index("ix_agency_catalogue_names_name_key", table_name="agency_catalogue_names")
    op.drop_index("ix_agency_catalogue_names_agency_code", table_name="agency_catalogue_names")
    op.drop_table("agency_catalogue_names")
    op.drop_table("agency_catalogue")
