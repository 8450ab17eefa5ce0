"""The roadmap migration (branch "roadmap", m0001) and the progress queries on a real PostgreSQL cluster."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import inspect

from core.settings import reset_settings
from roadmap.plans import import_agencies, import_plan
from roadmap.progress import (
    MapKind,
    national_overview,
    progress_rows,
    province_report,
    refresh_snapshot,
    snapshot_rows,
)
from storage import db as storage_db
from storage._exec import postgres
from storage.models import DocumentStatus

from .conftest import EXAMPLES, add_results

TABLES = {"roadmap_agencies", "roadmap_plans", "roadmap_plan_rows", "roadmap_progress_snapshot"}
INDEXES = {"ix_roadmap_documents_progress", "ix_roadmap_results_converted_at", "ix_roadmap_outbox_result_kind_status"}


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    cluster = postgres.start()  # installed by `make test`: unavailable is a failure, never a skip
    try:
        yield postgres.create_database(cluster, "roadmap_migration")
    finally:
        postgres.stop(cluster)


def _indexes(url: str) -> set[str]:
    insp = inspect(storage_db.get_engine(url))
    return {i["name"] for t in ("documents", "results", "outbox") for i in insp.get_indexes(t)}


def test_roadmap_branch_and_queries_on_postgresql(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command

    monkeypatch.setenv("SOHOA_DATABASE_URL", pg_url)
    reset_settings()
    storage_db.get_engine.cache_clear()
    try:
        storage_db.upgrade(pg_url)
        assert set(inspect(storage_db.get_engine(pg_url)).get_table_names()) >= TABLES
        assert _indexes(pg_url) >= INDEXES
        import_agencies(EXAMPLES / "agencies_khanh_hoa.csv", "Khánh Hòa")
        import_plan(EXAMPLES / "plan_khanh_hoa.csv", "Khánh Hòa")
        add_results("Khánh Hòa", "000.00.15.H34", "quyet_dinh", 12, converted_at=datetime(2025, 2, 1, tzinfo=UTC),
                    delivered=True)
        add_results("Ninh Thuận", "VD.H34.HUYEN.NINHHAI", "giay_chung_nhan_ho_kinh_doanh", 5,
                    converted_at=datetime(2024, 2, 1, tzinfo=UTC))
        add_results("Khánh Hòa", "VD.H34.XA.VANTHANG", "quyet_dinh", 2, status=DocumentStatus.NEEDS_REVIEW)
        rows = progress_rows(["Khánh Hòa"])
        assert {(r.agency_code, r.year, r.digitised, r.synced) for r in rows if r.year} == {
            ("000.00.15.H34", 2025, 12, 12), ("VD.H34.HUYEN.NINHHAI", 2024, 5, 0)}
        old = {u.name: u for u in national_overview(date(2025, 12, 31), MapKind.OLD)}
        assert old["Ninh Thuận"].digitised == 5 and old["Khánh Hòa"].in_review == 2
        assert province_report("56", date(2024, 12, 31)).total.digitised == 5  # 2025's 12 come later
        assert refresh_snapshot()["rows"] == 3
        stored = snapshot_rows()
        assert stored is not None and sorted(map(repr, stored[0])) == sorted(map(repr, progress_rows()))
        storage_db.get_engine(pg_url).dispose()
        command.downgrade(storage_db.alembic_config(pg_url), "m0001@0001")
        assert not TABLES & set(inspect(storage_db.get_engine(pg_url)).get_table_names())
        assert not INDEXES & _indexes(pg_url)
        storage_db.get_engine(pg_url).dispose()
        storage_db.upgrade(pg_url)
        assert set(inspect(storage_db.get_engine(pg_url)).get_table_names()) >= TABLES
    finally:
        storage_db.get_engine(pg_url).dispose()
        storage_db.get_engine.cache_clear()
        reset_settings()
