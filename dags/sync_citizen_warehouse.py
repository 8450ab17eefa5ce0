"""sync_citizen_warehouse: drain the outbox to citizens' data warehouses (Art. 14.3.d, Art. 15)."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task


@dag(
    dag_id="sync_citizen_warehouse",
    description="Đồng bộ kết quả số hóa vào kho dữ liệu điện tử của công dân",
    schedule=timedelta(minutes=10),
    start_date=datetime(2025, 1, 1),
    catchup=False,
    is_paused_upon_creation=False,  # scheduled work runs as soon as it is deployed
    max_active_runs=1,
    tags=["sohoa", "sync"],
)
def sync_citizen_warehouse() -> None:
    @task
    def drain(dag_run=None) -> dict:  # type: ignore[no-untyped-def]
        from core.actors import act_for_run
        from sohoa.pipeline import sync_batch
        from sync.outbox import WarehouseUnavailable

        act_for_run(dag_run)  # the "synced" moves name who ran it (a schedule names itself)
        out = sync_batch(None)
        if out.get("unavailable"):  # the run shows red; events stay pending for the next run
            raise WarehouseUnavailable(out["unavailable"])
        return out

    drain()


sync_citizen_warehouse()
