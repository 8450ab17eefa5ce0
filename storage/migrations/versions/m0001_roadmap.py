"""roadmap: agencies, plans, plan rows; indexes for the progress queries

Revision ID: m0001
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "m0001"
down_revision = "0001"
branch_labels = ("roadmap",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roadmap_agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("unit_code", sa.String(length=10), nullable=True),
        sa.Column("old_province", sa.String(length=100), nullable=True),
        sa.Column("abolished_on", sa.Date(), nullable=True),
        sa.Column("successor_code", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("province", "code", name="uq_roadmap_agency_province_code"),
    )
    op.create_index("ix_roadmap_agencies_province", "roadmap_agencies", ["province"])
    op.create_table(
        "roadmap_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_roadmap_plans_province", "roadmap_plans", ["province"])
    op.create_table(
        "roadmap_plan_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("agency_code", sa.String(length=100), nullable=False),
        sa.Column("document_type", sa.String(length=64), nullable=False),
        sa.Column("inventory", sa.Integer(), nullable=False),
        sa.Column("cumulative_target", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["roadmap_plans.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "year", "agency_code", "document_type", name="uq_roadmap_plan_row"),
    )
    op.create_index("ix_roadmap_plan_rows_plan_id", "roadmap_plan_rows", ["plan_id"])
    # Progress queries (roadmap/progress.py) on the storage tables. Named ix_roadmap_* so they stay
    # recognisably this branch's: the GROUP BY reads province/agency/type/status from the index alone,
    # the trailing-90-day throughput ranges over converted_at, and "synced" probes delivered pushes.
    op.create_index("ix_roadmap_documents_progress", "documents",
                    ["province", "agency_code", "document_type", "status"])
    op.create_index("ix_roadmap_results_converted_at", "results", ["converted_at", "document_id"])
    op.create_index("ix_roadmap_outbox_result_kind_status", "outbox", ["result_id", "kind", "status"])


def downgrade() -> None:
    op.drop_index("ix_roadmap_outbox_result_kind_status", table_name="outbox")
    op.drop_index("ix_roadmap_results_converted_at", table_name="results")
    op.drop_index("ix_roadmap_documents_progress", table_name="documents")
    op.drop_index("ix_roadmap_plan_rows_plan_id", table_name="roadmap_plan_rows")
    op.drop_table("roadmap_plan_rows")
    op.drop_index("ix_roadmap_plans_province", table_name="roadmap_plans")
    op.drop_table("roadmap_plans")
    op.drop_index("ix_roadmap_agencies_province", table_name="roadmap_agencies")
    op.drop_table("roadmap_agencies")
