"""sign_reviewed: sign and store records that stewards approved after the batch's own run.

digitise_batch never waits for a person: records needing review stay in the queue and the run
finishes. This DAG, on a schedule, finds batches with approved-but-unsigned records
(review.approved_unsigned_batches) and releases them (sign → store), then the outbox drain of
sync_citizen_warehouse delivers them. Partial release: only approved records are signed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

DEFAULT_ARGS = {"retries": 2, "retry_delay": timedelta(minutes=2), "retry_exponential_backoff": True}


@dag(
    dag_id="sign_reviewed",
    description="Ký số và lưu trữ các hồ sơ đã được cán bộ rà soát duyệt",
    schedule=timedelta(minutes=15),
    start_date=datetime(2025, 1, 1),
    catchup=False,
    is_paused_upon_creation=False,  # scheduled work runs as soon as it is deployed
    max_active_runs=1,  # two runs must not sign the same batch at once
    default_args=DEFAULT_ARGS,
    tags=["sohoa", "review", "decree-45"],
)
def sign_reviewed() -> None:
    @task
    def batches_with_approved() -> list[int]:
        from review import approved_unsigned_batches

        return approved_unsigned_batches()

    @task(execution_timeout=timedelta(hours=2))
    def release(batch_id: int, dag_run=None) -> dict:  # type: ignore[no-untyped-def]
        from core.actors import act_for_run
        from sohoa.pipeline import release_approved

        act_for_run(dag_run)  # sign and store entries name who ran it (a schedule names itself)
        return release_approved(batch_id)

    release.expand(batch_id=batches_with_approved())


sign_reviewed()
