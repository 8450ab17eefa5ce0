"""roadmap_report: every province's semiannual report, before 15 June and 15 December (Art. 26.9, 27.8).

Runs on 1 June and 1 December (two weeks before the legal deadlines); one mapped task per 2025
province writes its Excel and PDF report into the reports bucket. roadmap_progress_refresh recomputes,
hourly, the stored counts the national page reads. Wiring only: roadmap.report and roadmap.progress work.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task


@dag(
    dag_id="roadmap_report",
    description="Báo cáo 6 tháng tiến độ số hóa kết quả giải quyết TTHC theo tỉnh",
    schedule="0 2 1 6,12 *",  # 02:00 on 1 June and 1 December
    start_date=datetime(2025, 1, 1),
    catchup=False,
    is_paused_upon_creation=False,  # scheduled work runs as soon as it is deployed
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["sohoa", "roadmap"],
)
def roadmap_report() -> None:
    @task
    def period(logical_date: datetime | None = None) -> str:
        from datetime import UTC

        from roadmap.progress import report_period

        return report_period(logical_date or datetime.now(UTC))

    @task
    def provinces() -> list[str]:
        from core.units import new_provinces

        return [p.code for p in new_provinces()]

    @task
    def publish(province: str, period: str) -> dict:
        from roadmap.report import publish_reports

        outcome = publish_reports(period, provinces=[province])
        if outcome["failed"]:
            raise RuntimeError("; ".join(outcome["failed"]))
        return outcome

    publish.partial(period=period()).expand(province=provinces())


roadmap_report()


@dag(
    dag_id="roadmap_progress_refresh",
    description="Tổng hợp lại tiến độ số hóa cho trang toàn quốc",
    schedule="15 * * * *",  # hourly: the national page shows the time of the last refresh
    start_date=datetime(2025, 1, 1),
    catchup=False,
    is_paused_upon_creation=False,  # scheduled work runs as soon as it is deployed
    max_active_runs=1,
    tags=["sohoa", "roadmap"],
)
def roadmap_progress_refresh() -> None:
    @task
    def refresh() -> dict:
        from roadmap.progress import refresh_snapshot

        return refresh_snapshot()

    refresh()


roadmap_progress_refresh()
