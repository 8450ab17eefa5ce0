"""`make bench`'s multi-worker figures: one batch through digitise_batch on Airflow with the
CeleryExecutor, once with one Celery worker and once with two (testing.airflow_cluster), each run on a
fresh PostgreSQL results DB and its own buckets so that the second run does the same work as the first.

    python -m testing.celery_bench SAMPLES SCRATCH [--chunk-size N] [--out FILE]   (`make bench` runs it)

Each worker runs one task at a time with one Tesseract (SOHOA_OCR_WORKERS=1): one worker is one core's
worth of work, two are this machine's two. Figures, never pass/fail: wall time from the first task's
start to the last task's end, pages per minute, the ratio two/one, mapped instances, which worker ran
what, the peak resident memory of each worker's process tree.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from core.settings import Settings, get_settings, reset_settings
from storage import db as storage_db
from testing.airflow_cluster import MemoryWatch, cpu_seconds, start_cluster

REPO = Path(__file__).resolve().parents[1]
DAG = "digitise_batch"


def measure(samples: Path, scratch: Path, *, workers: Sequence[int] = (1, 2), chunk_size: int = 3,
            threshold: float | None = 0.3) -> dict[str, Any]:
    """Run the batch in `samples` once per entry of `workers`. `threshold` lowers the review threshold
    so that documents go on to signing and storing (None: the declared thresholds)."""
    from signing.pki import make_test_pki
    from sohoa import services
    from storage._exec.weed import free_port

    saved = dict(os.environ)
    os.environ.update({"SOHOA_DATABASE_URL": "", "SOHOA_CITIZEN_WAREHOUSE_TOKEN": "bench-token",
                       "SOHOA_CHUNK_SIZE": str(chunk_size), "SOHOA_OCR_WORKERS": "1"})
    if threshold is not None:
        os.environ["SOHOA_REVIEW_THRESHOLDS"] = json.dumps({"*": {"*": threshold}})
    runs: dict[str, Any] = {}
    deps = dag_dependencies(REPO / "dags" / f"{DAG}.py")
    try:
        pki = make_test_pki(scratch / "celery-pki", converter=Settings().converter_name)
        os.environ["SOHOA_SIGNING_PKCS12"] = str(pki.agency_p12)
        os.environ["SOHOA_SIGNING_PASSWORD"] = pki.password.decode()
        for n in workers:
            # each run its own object store and warehouse receiver: the same result codes again
            # would be refused by the receiver of the run before
            home = scratch / f"celery-{n}"
            os.environ.update({"SOHOA_HOME": str(home), "SOHOA_S3_ENDPOINT": f"127.0.0.1:{free_port()}",
                               "SOHOA_CITIZEN_WAREHOUSE_URL": f"http://127.0.0.1:{free_port()}"})
            reset_settings()
            settings = get_settings()
            home.mkdir(parents=True, exist_ok=True)
            services.start_s3(settings)
            try:
                services.start_receiver(settings)
                runs[str(n)] = _one_run(samples, scratch / f"cluster-{n}", n, deps)
            finally:
                services.stop_receiver(settings)
                services.stop_s3(settings)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_settings()
        storage_db.get_engine.cache_clear()
    out: dict[str, Any] = {"documents": next(iter(runs.values()))["documents"] if runs else 0,
                           "chunk_size": chunk_size, "review_threshold": threshold, "dag_dependencies": deps,
                           "runs": runs}
    if "1" in runs and "2" in runs:
        out["two_over_one"] = round(runs["2"]["seconds"] / runs["1"]["seconds"], 3)
    return out


def _one_run(samples: Path, root: Path, workers: int, deps: dict[str, list[list[Any]]]) -> dict[str, Any]:
    from sqlalchemy import func, select

    from sohoa import services
    from storage import models
    from storage.db import session_scope
    from storage.objects import ObjectStore

    os.environ["SOHOA_BUCKET_PREFIX"] = f"bench{workers}w-"
    reset_settings()
    cluster = start_cluster(root, services.airflow_env(Settings(), REPO), services.airflow_bin(), REPO)
    try:
        os.environ["SOHOA_DATABASE_URL"] = cluster.results_url
        reset_settings()
        storage_db.get_engine.cache_clear()
        settings = get_settings()
        ObjectStore(settings).ensure_buckets()
        names = [f"worker{i}" for i in range(1, workers + 1)]
        pids = cluster.start_workers(names, queues=[settings.ocr_queue, settings.light_queue])
        cluster.wait_for_dag(DAG)
        watch = MemoryWatch(pids).start()
        conf = {"province": "Khánh Hòa", "agency": "000.00.15.H34", "batch_location": str(samples),
                "document_type": "auto"}
        load_before = os.getloadavg()
        tracked = cluster.control_pids() | pids | _service_pids(settings)
        cpu_before = cpu_seconds(tracked) | {"bench": _own_cpu_seconds()}
        started = time.monotonic()
        run_id = cluster.trigger(DAG, conf)
        state = cluster.wait_for_run(DAG, run_id, timeout_s=3600)
        wall = time.monotonic() - started
        cpu_after = cpu_seconds(tracked) | {"bench": _own_cpu_seconds()}
        peaks = watch.stop()
        tis = cluster.task_instances(DAG, run_id)
        for t in tis:
            log = cluster.task_log(DAG, run_id, t["task_id"], t["map_index"], t["try_number"] or 1)
            t["work_start"] = _work_start(log) if log is not None else None
        seconds = cluster.run_seconds(DAG, run_id)
        with session_scope() as s:
            documents = s.scalar(select(func.count()).select_from(models.Document)) or 0
            pages = s.scalar(select(func.count()).select_from(models.Page)) or 0
            per_doc = Counter(s.scalars(select(models.Result.document_id)))
            by_status = dict(s.execute(select(models.Document.status, func.count())
                                       .group_by(models.Document.status)).all())
            delivered = s.scalar(select(func.count()).select_from(models.OutboxEvent)
                                 .where(models.OutboxEvent.status == models.OutboxStatus.DELIVERED)) or 0
        spans: dict[str, float] = {}
        for task in ("take", "ocr", "extract", "validate", "sign", "store"):
            mine = [t for t in tis if t["task_id"] == task and t["start_date"] and t["end_date"]]
            if mine:
                spans[task] = round((max(t["end_date"] for t in mine) - min(t["start_date"] for t in mine))
                                    .total_seconds(), 1)
        return {
            "state": state, "load_average_before": load_before, "load_average_after": os.getloadavg(),
            "documents": documents, "pages": pages, "seconds": round(seconds, 1),
            "seconds_trigger_to_end": round(wall, 1),
            "pages_per_minute": round(pages / (seconds / 60), 2) if seconds else None,
            "stage_spans_seconds": spans,
            # what each process tree spent from the trigger to the run's end: the workers' tasks, and
            # what shares the cores with them (scheduler, API server, DAG processor, Redis, PostgreSQL)
            "cpu_seconds": {k: round(cpu_after[k] - cpu_before[k], 1) for k in cpu_after if k in cpu_before},
            "breakdown": breakdown(tis, workers),
            "critical_path": critical_path(tis, deps),
            "task_instances": [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in t.items()}
                               for t in tis],
            "mapped_instances": dict(Counter(t["task_id"] for t in tis if t["map_index"] >= 0)),
            "task_instances_per_worker": dict(Counter(t["hostname"] for t in tis)),
            "ocr_instances_per_worker": dict(Counter(t["hostname"] for t in tis if t["task_id"] == "ocr")),
            "peak_rss_mib_per_worker": peaks,
            "peak_pss_mib_per_worker": {k: round(v, 1) for k, v in watch.peak_pss_mib.items()},
            "signed_documents": len(per_doc), "signed_more_than_once": sum(1 for c in per_doc.values() if c > 1),
            "by_status": by_status, "pushes_delivered": delivered,
        }
    finally:
        cluster.stop()
        storage_db.get_engine.cache_clear()


def _own_cpu_seconds() -> float:
    """This process's CPU seconds (its polling and memory sampling share the cores with the workers
    too; not its `airflow dags trigger`, which has ended before the first task starts)."""
    t = os.times()
    return t.user + t.system


def _service_pids(settings: Settings) -> dict[str, int]:
    """The object store and the warehouse receiver this bench started (their pid files)."""
    pids = {}
    for name, pid_file in (("s3", settings.home / "s3" / "weed.pid"),
                           ("receiver", settings.home / "warehouse" / "receiver.pid")):
        with contextlib.suppress(OSError, ValueError):
            pids[name] = int(pid_file.read_text())
    return pids


WORK_STARTS = "sohoa work starts"
SERIAL = ("intake", "plan", "validation_report", "sync")
STAGE_ORDER = ("intake", "plan", "take", "ocr", "extract", "validate", "validation_report", "sign", "store", "sync")


def _work_start(log: Path) -> datetime | None:
    """When the task's own work began: the timestamp of the DAG's "sohoa work starts" line."""
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if WORK_STARTS in line:
            with contextlib.suppress(ValueError, AttributeError):
                return datetime.fromisoformat(json.loads(line)["timestamp"].replace("Z", "+00:00"))
    return None


def breakdown(tis: list[dict[str, Any]], workers: int) -> dict[str, Any]:
    """Where one run's wall time went, from Airflow's metadata DB (queued, start and end of each task
    instance) and each mapped instance's "work starts" log line:

    - per stage: its span, its instances' queued→running wait, running→work start-up (the task
      process: DAG parse, imports, context), and work (for serial tasks: the whole run);
    - worker-seconds (workers × wall): start-up, OCR work, other work, serial tasks, and idle (no task
      instance running on that worker: scheduling gaps, a stage waiting for its last chunk);
    - the gap between the last instance of a stage ending and the first of the next starting."""
    done = [t for t in tis if t["start_date"] and t["end_date"]]
    if not done:
        return {}
    first, last = min(t["start_date"] for t in done), max(t["end_date"] for t in done)
    wall = (last - first).total_seconds()

    def secs(a: datetime | None, b: datetime | None) -> float | None:
        return (b - a).total_seconds() if a and b else None

    def mean(xs: list[float | None]) -> float | None:
        ys = [x for x in xs if x is not None]
        return round(sum(ys) / len(ys), 1) if ys else None

    stages: dict[str, Any] = {}
    worker_seconds = {"startup": 0.0, "ocr_work": 0.0, "other_work": 0.0, "serial_tasks": 0.0}
    for task in STAGE_ORDER:
        mine = [t for t in done if t["task_id"] == task]
        if not mine:
            continue
        startup = [secs(t["start_date"], t.get("work_start")) for t in mine]
        work = [secs(t.get("work_start"), t["end_date"]) for t in mine]
        stages[task] = {
            "instances": len(mine),
            "span_s": round((max(t["end_date"] for t in mine) - min(t["start_date"] for t in mine)).total_seconds(), 1),
            "queued_to_running_s": mean([secs(t["queued_dttm"], t["start_date"]) for t in mine]),
            "running_to_work_s": mean(startup), "work_s": mean(work),
            "duration_s": mean([secs(t["start_date"], t["end_date"]) for t in mine]),
        }
        for t, up, w in zip(mine, startup, work, strict=True):
            whole = secs(t["start_date"], t["end_date"]) or 0.0
            if task in SERIAL or up is None or w is None:
                worker_seconds["serial_tasks" if task in SERIAL else "other_work"] += whole
            else:
                worker_seconds["startup"] += up
                worker_seconds["ocr_work" if task == "ocr" else "other_work"] += w
    busy = sum(worker_seconds.values())
    worker_seconds["idle"] = workers * wall - busy
    gaps = {}
    present = [task for task in STAGE_ORDER if task in stages]
    for a, b in zip(present, present[1:], strict=False):
        end_a = max(t["end_date"] for t in done if t["task_id"] == a)
        start_b = min(t["start_date"] for t in done if t["task_id"] == b)
        gaps[f"{a}->{b}"] = round((start_b - end_a).total_seconds(), 1)
    return {"wall_s": round(wall, 1), "stages": stages,
            "worker_seconds": {k: round(v, 1) for k, v in worker_seconds.items()},
            "gaps_between_stages_s": gaps, "load_average": os.getloadavg()}


def dag_dependencies(dag_file: Path, env: dict[str, str] | None = None) -> dict[str, list[list[Any]]]:
    """Each task of the DAG in `dag_file` and its upstream tasks, each as [task_id, same_chunk]: same_chunk
    when both are in one mapped task group (an instance waits only for the upstream instance of its own
    chunk), else the instance waits for every instance of that upstream task. Read by Airflow itself
    (a DagBag), in a process of its own so that this one does not import Airflow."""
    import subprocess
    import sys
    import tempfile

    code = (
        "import json, sys\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        "bag = DagBag(dag_folder=sys.argv[1])\n"
        "assert not bag.import_errors, bag.import_errors\n"
        "out = {}\n"
        "for dag in bag.dags.values():\n"
        "    for t in dag.tasks:\n"
        "        mine = t.get_closest_mapped_task_group()\n"
        "        out[t.task_id] = sorted([u, mine is not None and dag.get_task(u).get_closest_mapped_task_group() is mine]\n"
        "                                for u in t.upstream_task_ids)\n"
        "print(json.dumps(out))\n")
    with tempfile.TemporaryDirectory(prefix="sohoa-dagdeps-") as home:
        run_env = (env or dict(os.environ)) | {"AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                                                "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR"}
        done = subprocess.run([sys.executable, "-c", code, str(dag_file)], env=run_env, capture_output=True,
                              text=True, timeout=300, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


PATH_PARTS = ("scheduler: upstream end to queued", "queued to running", "worker: between its tasks", "start-up")


def critical_path(tis: list[dict[str, Any]], deps: dict[str, list[list[Any]]]) -> dict[str, Any]:
    """What the run's wall time is made of, from the metadata DB: the chain of task instances that ends
    last, walked back from the last one to end. Each instance on it waited either for its upstream
    (the last of its upstream instances to end: then the scheduler's latency, upstream end → queued,
    and the executor's, queued → running) or for its worker (busy with an earlier task when this one
    became ready: then the worker's turnover between the two). Every second of the wall time is
    counted once: work of each stage, start-up of the task processes (running → "work starts"), the
    scheduler, queued → running, and the worker between its tasks. Also, over every instance (not
    only the path), each stage's mean scheduler latency and queued → running."""
    done = [t for t in tis if t["start_date"] and t["end_date"]]
    if not done:
        return {}
    at = {(t["task_id"], t["map_index"]): t for t in done}
    by_task: dict[str, list[dict[str, Any]]] = {}
    for t in done:
        by_task.setdefault(t["task_id"], []).append(t)

    def upstream(t: dict[str, Any]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for up, same_chunk in deps.get(t["task_id"], []):
            if same_chunk:
                found += [at[(up, t["map_index"])]] if (up, t["map_index"]) in at else []
            else:
                found += by_task.get(up, [])
        return found

    def last_upstream(t: dict[str, Any]) -> dict[str, Any] | None:
        ups = upstream(t)
        return max(ups, key=lambda u: u["end_date"]) if ups else None

    def secs(a: datetime, b: datetime) -> float:
        return (b - a).total_seconds()

    parts = dict.fromkeys(PATH_PARTS, 0.0)
    work: dict[str, float] = {}
    chain: list[str] = []
    current: dict[str, Any] | None = max(done, key=lambda t: t["end_date"])
    first = min(t["start_date"] for t in done)
    while current is not None:
        t = current
        chain.append(f"{t['task_id']}[{t['map_index']}]" if t["map_index"] >= 0 else t["task_id"])
        began = t.get("work_start") or t["start_date"]
        work[t["task_id"]] = work.get(t["task_id"], 0.0) + secs(began, t["end_date"])
        parts["start-up"] += secs(t["start_date"], began)
        up = last_upstream(t)
        before = [p for p in done if p is not t and p["hostname"] == t["hostname"]
                  and p["end_date"] <= t["start_date"]]
        prev = max(before, key=lambda p: p["end_date"]) if before else None
        if prev is not None and (up is None or prev["end_date"] > up["end_date"]):
            parts["worker: between its tasks"] += secs(prev["end_date"], t["start_date"])
            current = prev
        elif up is not None:
            queued = t["queued_dttm"] or t["start_date"]
            parts["scheduler: upstream end to queued"] += secs(up["end_date"], queued)
            parts["queued to running"] += secs(queued, t["start_date"])
            current = up
        else:  # the first task: the wall time starts with it
            current = None
    latency: dict[str, dict[str, float | None]] = {}
    for task, mine in by_task.items():
        sched = [secs(u["end_date"], t["queued_dttm"]) for t in mine
                 if t["queued_dttm"] and (u := last_upstream(t)) is not None]
        queue = [secs(t["queued_dttm"], t["start_date"]) for t in mine if t["queued_dttm"]]
        latency[task] = {"scheduler_s": round(sum(sched) / len(sched), 2) if sched else None,
                         "queued_to_running_s": round(sum(queue) / len(queue), 2) if queue else None}
    wall = secs(first, max(t["end_date"] for t in done))
    return {"wall_s": round(wall, 1), "tasks_on_path": len(chain),
            "work_s": {k: round(v, 1) for k, v in work.items()},
            "waits_s": {k: round(v, 1) for k, v in parts.items()},
            "path": list(reversed(chain)), "latency_per_task": latency}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m testing.celery_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("samples", type=Path, help="a batch folder (scans and manifest.csv)")
    parser.add_argument("scratch", type=Path, help="a folder for the clusters, stores and keys")
    parser.add_argument("--chunk-size", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="one run per entry, with that many Celery workers (default: 1 then 2)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures here too (JSON)")
    args = parser.parse_args(argv)
    args.scratch.mkdir(parents=True, exist_ok=True)
    figures = json.dumps(measure(args.samples, args.scratch, workers=args.workers,
                                     chunk_size=args.chunk_size), ensure_ascii=False,
                         indent=2, default=str)
    if args.out is not None:
        args.out.write_text(figures, encoding="utf-8")
    print(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
