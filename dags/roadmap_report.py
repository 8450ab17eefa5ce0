"""roadmap_report: semiannual progress per province, before 15 June and 15 December (Art. 26.9, 27.8)."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task


@dag(
    dag_id="roadmap_report",
    description="Báo cáo 6 tháng tiến độ số hóa kết quả giải quyết TTHC theo tỉnh",
    schedule="0 2 1 6,12 *",  # 1 June and 1 December: two weeks before the legal deadlines
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["sohoa", "roadmap"],
)
def roadmap_report() -> None:
    @task
    def report(data_interval_end: datetime | None = None) -> dict:
        from roadmap.progress import semiannual_progress

        return semiannual_progress(at=data_interval_end)

    report()


roadmap_report()
