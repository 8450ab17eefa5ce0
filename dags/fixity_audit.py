"""fixity_audit: re-read stored results and compare their checksums (Art. 14.3.c, Art. 17)."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task


@dag(
    dag_id="fixity_audit",
    description="Kiểm tra tính toàn vẹn (checksum) của kết quả đã lưu trữ",
    schedule="@weekly",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    is_paused_upon_creation=False,  # scheduled work runs as soon as it is deployed
    max_active_runs=1,
    tags=["sohoa", "storage"],
)
def fixity_audit() -> None:
    @task
    def audit(dag_run=None) -> dict:  # type: ignore[no-untyped-def]
        from core.actors import act_for_run
        from storage.fixity import audit_results

        act_for_run(dag_run)  # the audit entry names who ran it (a schedule names itself)
        report = audit_results()  # findings in the DB, report in the reports bucket
        if report["problems"]:
            # A failed run is what operators see first; the details are in the report.
            raise RuntimeError(f"{len(report['problems'])} stored objects failed the fixity check; see {report['report']}")
        return {"audit_id": report["audit_id"], "checked": report["checked"], "report": report["report"]}

    audit()


fixity_audit()
