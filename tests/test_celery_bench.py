"""The Celery bench's critical path: which chain of task instances the wall time of a run is made of,
walked back through the DAG's dependencies (testing.celery_bench.critical_path), on hand-made task
instances whose answer is known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from testing.celery_bench import PATH_PARTS, critical_path

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def ti(task_id: str, map_index: int, worker: str, queued: float, start: float, work: float, end: float) -> dict[str, Any]:
    at = lambda s: T0 + timedelta(seconds=s)  # noqa: E731
    return {"task_id": task_id, "map_index": map_index, "hostname": worker, "queued_dttm": at(queued),
            "start_date": at(start), "work_start": at(work), "end_date": at(end)}


# a -> b (whole stage: b waits for every a) ; b -> c in one mapped group (c[i] waits for b[i] only)
DEPS = {"a": [], "b": [["a", False]], "c": [["b", True]]}


def test_the_path_counts_every_second_of_the_wall_time_once() -> None:
    tis = [
        ti("a", -1, "w1", 0.0, 0.0, 0.2, 1.0),
        ti("b", 0, "w1", 1.5, 1.6, 1.7, 5.0),   # scheduler 0.5 s after a, then 0.1 s queued
        ti("b", 1, "w2", 1.5, 1.8, 1.9, 3.0),
        ti("c", 1, "w2", 3.4, 3.5, 3.6, 4.0),   # its own chunk's b ended at 3.0: no wait for b[0]
        ti("c", 0, "w1", 5.6, 5.7, 5.8, 7.0),   # b[0] ended at 5.0, scheduler 0.6 s
    ]
    path = critical_path(tis, DEPS)
    assert path["wall_s"] == 7.0
    assert path["path"] == ["a", "b[0]", "c[0]"]
    waits = path["waits_s"]
    assert set(waits) == set(PATH_PARTS)
    assert waits["scheduler: upstream end to queued"] == 1.1 and waits["queued to running"] == 0.2
    assert waits["start-up"] == 0.4 and waits["worker: between its tasks"] == 0.0
    assert path["work_s"] == {"a": 0.8, "b": 3.3, "c": 1.2}
    assert round(sum(waits.values()) + sum(path["work_s"].values()), 6) == path["wall_s"]
    assert path["latency_per_task"]["c"]["scheduler_s"] == 0.5  # (0.4 + 0.6) / 2: each after its own b


def test_a_task_that_waited_for_its_busy_worker_follows_the_worker() -> None:
    tis = [
        ti("a", -1, "w1", 0.0, 0.0, 0.1, 1.0),
        ti("b", 0, "w1", 1.2, 1.3, 1.4, 4.0),
        ti("b", 1, "w1", 1.2, 4.3, 4.4, 6.0),   # ready at 1.0, its worker busy until 4.0
    ]
    path = critical_path(tis, DEPS)
    assert path["path"] == ["a", "b[0]", "b[1]"]
    assert path["waits_s"]["worker: between its tasks"] == 0.3
    assert round(sum(path["waits_s"].values()) + sum(path["work_s"].values()), 6) == path["wall_s"] == 6.0
