"""A real Airflow with the CeleryExecutor on this machine, for the multi-worker test and bench.

Everything is started here and stopped by `AirflowCluster.stop`: a throwaway PostgreSQL cluster
(Airflow's metadata DB, Celery's result backend and the sohoa results DB, three databases),
Debian's `redis-server` as the broker, Airflow's api-server (the workers' Task Execution API),
scheduler and dag-processor, and N Celery workers (`airflow celery worker`), each serving the OCR
and the default queue. Two workers on one machine share a host name; each worker's task processes
report its own name as their host (`worker_name`, Airflow's `hostname_callable`), so the metadata DB
says which worker ran each task instance.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import tools
from storage._exec import postgres
from storage._exec.weed import free_port, port_open

REDIS_HINT = "install the Debian package redis-server (scripts/install-system.sh)"
WORKER_NAME_ENV = "SOHOA_WORKER_NAME"


def worker_name() -> str:
    """Airflow's `[core] hostname_callable` in the workers started here: the worker's own name."""
    return os.environ.get(WORKER_NAME_ENV) or os.uname().nodename


@dataclass
class _Process:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path


@dataclass
class MemoryWatch:
    """Peak memory of each worker's whole process tree (the Celery worker, its pool, the task
    processes and their Tesseracts), sampled every `interval_s`: resident (RSS, which counts a page
    shared by forks once in each) and proportional (PSS, each shared page split between its sharers:
    the tree's real share of RAM; `peak_pss_mib`).

    The watch shares the cores with the workers it measures: one look at the process table a sample
    for every tree (not one walk of /proc per tree), RSS every second and PSS every `pss_every`
    samples (PSS makes the kernel walk each process's page tables, 5-10 ms for a worker's task
    process: with both every 0.25 s the bench process used 20 CPU seconds of a 108-second run, more
    than the scheduler)."""

    pids: dict[str, int]
    interval_s: float = 1.0
    pss_every: int = 5
    peak_mib: dict[str, float] = field(default_factory=dict)
    peak_pss_mib: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> MemoryWatch:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        return {k: round(v, 1) for k, v in self.peak_mib.items()}

    def _run(self) -> None:
        import psutil

        sample = 0
        while not self._stop.is_set():
            with_pss = sample % self.pss_every == 0
            sample += 1
            for name, tree in _trees(self.pids).items():
                rss = pss = 0
                for pid in tree:
                    with contextlib.suppress(psutil.Error):
                        if with_pss:
                            full = psutil.Process(pid).memory_full_info()
                            rss += full.rss
                            pss += getattr(full, "pss", full.rss)
                        else:
                            rss += psutil.Process(pid).memory_info().rss
                self.peak_mib[name] = max(self.peak_mib.get(name, 0.0), rss / 2**20)
                if with_pss:
                    self.peak_pss_mib[name] = max(self.peak_pss_mib.get(name, 0.0), pss / 2**20)
            self._stop.wait(self.interval_s)


def _trees(roots: dict[str, int]) -> dict[str, list[int]]:
    """Each named root and its descendants' pids, from one pass over the process table."""
    import psutil

    children: dict[int, list[int]] = {}
    for p in psutil.process_iter(["ppid"]):
        children.setdefault(p.info["ppid"] or 0, []).append(p.pid)
    out = {}
    for name, root in roots.items():
        if not psutil.pid_exists(root):
            continue
        tree, todo = [], [root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, ()))
        out[name] = tree
    return out


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) each named process tree has used so far: every live process of the
    tree and the children it has reaped (a finished task process, a DAG file's parse). Two readings
    apart give what each tree spent in between."""
    import psutil

    out: dict[str, float] = {}
    for name, tree in _trees(pids).items():
        total = 0.0
        for pid in tree:
            with contextlib.suppress(psutil.Error):
                t = psutil.Process(pid).cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
        out[name] = total
    return out


@dataclass
class AirflowCluster:
    root: Path
    env: dict[str, str]
    metadata_url: str
    results_url: str
    pg: postgres.PgCluster
    api_port: int
    airflow: str  # the `airflow` program
    processes: list[_Process] = field(default_factory=list)
    _engine: Any = field(default=None, repr=False)

    # ------------------------------------------------------------ processes
    def _spawn(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> _Process:
        log = self.root / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            proc = subprocess.Popen(list(argv), env=env or self.env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        started = _Process(name, proc, log)
        self.processes.append(started)
        return started

    def start_workers(self, names: Sequence[str], *, queues: Sequence[str], concurrency: int = 1) -> dict[str, int]:
        """Celery workers serving `queues`, one task at a time each by default; their pids by name."""
        pids = {}
        for name in names:
            env = self.env | {WORKER_NAME_ENV: name,
                              "AIRFLOW__CORE__HOSTNAME_CALLABLE": f"{__name__}.worker_name"}
            started = self._spawn(name, [self.airflow, "celery", "worker", "--queues", ",".join(queues),
                                         "--concurrency", str(concurrency), "--celery-hostname", f"{name}@%h",
                                         "--without-mingle", "--without-gossip",
                                         # no log server: it would listen on 0.0.0.0:8793 (logs stay on disk)
                                         "--skip-serve-logs"], env)
            pids[name] = started.proc.pid
        return pids

    def stop_workers(self) -> None:
        for p in [p for p in self.processes if p.name.startswith("worker")]:
            _end(p.proc)
            self.processes.remove(p)

    def stop(self) -> None:
        """End every process started here (workers first), then the broker and the database."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        for p in sorted(self.processes, key=lambda p: not p.name.startswith("worker")):
            _end(p.proc)
        self.processes.clear()
        with contextlib.suppress(postgres.PostgresUnavailable):
            postgres.stop(self.pg, remove=True)

    def control_pids(self) -> dict[str, int]:
        """The processes that are not workers (scheduler, API server, DAG processor, Redis, PostgreSQL):
        what shares the cores with the workers' tasks."""
        pids = {p.name: p.proc.pid for p in self.processes if not p.name.startswith("worker")}
        with contextlib.suppress(OSError, ValueError, IndexError):
            pids["postgres"] = int((self.pg.root / "data" / "postmaster.pid").read_text().split()[0])
        return pids

    def alive(self) -> dict[str, int | None]:
        return {p.name: p.proc.poll() for p in self.processes}

    def logs_tail(self, chars: int = 3000) -> str:
        return "\n".join(f"--- {p.name}\n{p.log.read_text(errors='replace')[-chars:]}" for p in self.processes
                         if p.log.exists())

    # ------------------------------------------------------------ DAG runs
    def query(self, sql: str, **params: Any) -> list[Any]:
        """One statement on the metadata DB, over one kept connection: the run is polled every second,
        and a new connection each time is a new PostgreSQL backend (a fork and a SCRAM log-in) on
        the cores the workers use."""
        from sqlalchemy import create_engine, text

        if self._engine is None:
            self._engine = create_engine(self.metadata_url, pool_size=1, max_overflow=0)
        with self._engine.connect() as conn:
            return list(conn.execute(text(sql), params).all())

    def wait_for_dag(self, dag_id: str, timeout_s: float = 180) -> None:
        """Until the dag-processor has parsed and serialised `dag_id` (a trigger before that fails)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            if self.query("SELECT 1 FROM serialized_dag WHERE dag_id = :d", d=dag_id):
                return
            time.sleep(1)
        raise TimeoutError(f"{dag_id} not parsed in {timeout_s:.0f} s\n{self.logs_tail()}")

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        run_id = f"manual__{secrets.token_hex(6)}"
        done = subprocess.run([self.airflow, "dags", "trigger", dag_id, "--run-id", run_id,
                               "--conf", json.dumps(conf)], env=self.env, capture_output=True, text=True,
                              timeout=180)
        if done.returncode != 0:
            raise RuntimeError(f"airflow dags trigger failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
        return run_id

    def clear(self, dag_id: str, run_id: str, task_ids: Sequence[str]) -> None:
        """Run these tasks (every mapped instance) of a finished run again, as a retry would: through
        the REST API, which puts the run back in the queue."""
        import httpx

        response = httpx.post(f"http://127.0.0.1:{self.api_port}/api/v2/dags/{dag_id}/clearTaskInstances",
                              json={"dag_run_id": run_id, "task_ids": list(task_ids), "dry_run": False,
                                    "only_failed": False}, timeout=60)
        response.raise_for_status()

    def wait_for_run(self, dag_id: str, run_id: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            rows = self.query("SELECT state FROM dag_run WHERE dag_id = :d AND run_id = :r", d=dag_id, r=run_id)
            if rows and rows[0][0] in ("success", "failed"):
                return str(rows[0][0])
            time.sleep(1)
        raise TimeoutError(f"{dag_id} {run_id} did not finish in {timeout_s:.0f} s\n{self.logs_tail()}")

    def run_seconds(self, dag_id: str, run_id: str) -> float:
        """From the first task instance's start to the last one's end (scheduling delays included)."""
        ((first, last),) = self.query("SELECT min(start_date), max(end_date) FROM task_instance "
                                      "WHERE dag_id = :d AND run_id = :r", d=dag_id, r=run_id)
        return (last - first).total_seconds()

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        rows = self.query("SELECT task_id, map_index, state, hostname, queue, try_number, queued_dttm, start_date, "
                          "end_date "
                          "FROM task_instance WHERE dag_id = :d AND run_id = :r ORDER BY task_id, map_index",
                          d=dag_id, r=run_id)
        return [dict(r._mapping) for r in rows]

    def task_log(self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int = 1) -> Path | None:
        """The log file of one task instance (Airflow's default log layout), None if there is none."""
        folder = self.root / "airflow" / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
        if map_index >= 0:
            folder = folder / f"map_index={map_index}"
        path = folder / f"attempt={try_number}.log"
        return path if path.exists() else None

    def _check_alive(self) -> None:
        dead = {p.name: p.proc.returncode for p in self.processes if p.proc.poll() is not None}
        if dead:
            raise RuntimeError(f"Airflow processes exited: {dead}\n{self.logs_tail()}")


def start_cluster(root: Path, airflow_env: dict[str, str], airflow: str, repo: Path, *, parallelism: int = 8,
                  dags: Sequence[str] = ("digitise_batch.py",)) -> AirflowCluster:
    """PostgreSQL (metadata, results, Celery results), Redis and Airflow's api-server, scheduler and
    dag-processor; no worker yet (`start_workers`). `airflow_env` is the environment of `airflow …`
    runs with the tasks' SOHOA_* (sohoa.services.airflow_env), `airflow` the program: the results DB
    URL is set here (SOHOA_DATABASE_URL in the cluster's env). Only the DAG files named in
    `dags` are deployed: the scheduled ones (roadmap_report catches up on months of reports) would
    otherwise take the workers' slots."""
    from storage.db import upgrade

    root.mkdir(parents=True, exist_ok=True)
    dags_folder = root / "dags"
    dags_folder.mkdir(exist_ok=True)
    for name in dags:
        (dags_folder / name).unlink(missing_ok=True)
        (dags_folder / name).symlink_to(repo / "dags" / name)
    pg = postgres.start()  # its own folder under /tmp: the postgres user cannot enter a pytest tmp_path
    cluster: AirflowCluster | None = None
    try:
        metadata_url = postgres.create_database(pg, "airflow")
        results_url = postgres.create_database(pg, "sohoa")
        celery_url = postgres.create_database(pg, "celery")
        upgrade(results_url)
        redis_port, api_port = free_port(), free_port()
        env = airflow_env | {
            "AIRFLOW_HOME": str(root / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "SOHOA_DATABASE_URL": results_url,
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(parallelism),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
            # psycopg 3 serves the async engine too (Airflow's default for PostgreSQL is asyncpg)
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata_url.replace("+psycopg://", "+psycopg_async://"),
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + celery_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__API__PORT": str(api_port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(24),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(24),
            # the REST API on the loopback of a throwaway cluster: no log-in (clearing task instances)
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            # the scheduler sleeps this long only after a loop that found nothing to do (Airflow's
            # default; 0.5 s cost scheduler CPU beside the workers and shortened no stage gap measured)
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "1",
            # the DAG file is parsed once at start-up; the folder is looked at again every minute
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "60",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "300",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            # the workers load the plugins and the stage packages once, and a task's supervisor
            # notices its process has ended at once, whatever the heartbeat interval
            # (plugins/sohoa_celery.py): Airflow's default interval, one heartbeat in 5 s per task
            "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "sohoa_celery.CELERY_CONFIG",
            "OMP_THREAD_LIMIT": "1",
        }
        cluster = AirflowCluster(root, env, metadata_url, results_url, pg, api_port, airflow)
        redis_bin = tools.find("redis-server", hint=REDIS_HINT)
        (root / "redis").mkdir(exist_ok=True)
        cluster._spawn("redis", [redis_bin, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", str(root / "redis")])
        migrate = subprocess.run([airflow, "db", "migrate"], env=env, capture_output=True,
                                 text=True, timeout=600)
        if migrate.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed: {migrate.stdout[-2000:]} {migrate.stderr[-2000:]}")
        _wait_port(redis_port, 30, "redis-server", cluster)
        cluster._spawn("api-server", [airflow, "api-server", "--port", str(api_port),
                                      "--host", "127.0.0.1"])
        cluster._spawn("dag-processor", [airflow, "dag-processor"])
        cluster._spawn("scheduler", [airflow, "scheduler"])
        _wait_port(api_port, 180, "api-server", cluster)
        _warm_up(api_port, 180, cluster)
        return cluster
    except BaseException:
        if cluster is not None:
            cluster.stop()
        else:
            postgres.stop(pg, remove=True)
        raise


def _warm_up(port: int, timeout_s: float, cluster: AirflowCluster) -> None:
    """Ask the API server once what the first task would: a freshly started one answers its first Task
    Execution API request after it has set up that app and its database sessions (5-26 s measured
    under load, on the first task of every run: docs/benchmarks.md). A long-running cluster has paid
    that before any batch; the bench's runs should not pay it inside their wall time."""
    import httpx

    deadline = time.monotonic() + timeout_s
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            # the execution API's services (its JWT validator), then the metadata DB through the ORM
            ping = httpx.get(f"{base}/execution/health/ping", timeout=timeout_s)
            dags = httpx.get(f"{base}/api/v2/dags", params={"limit": 1}, timeout=timeout_s)
            if ping.status_code == 200 and dags.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"api-server not ready in {timeout_s:.0f} s\n{cluster.logs_tail()}")
        cluster._check_alive()
        time.sleep(0.5)


def _wait_port(port: int, timeout_s: float, what: str, cluster: AirflowCluster) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_open("127.0.0.1", port):
            return
        cluster._check_alive()
        time.sleep(0.5)
    raise TimeoutError(f"{what} did not open 127.0.0.1:{port} in {timeout_s:.0f} s\n{cluster.logs_tail()}")


def _end(proc: subprocess.Popen[bytes], grace_s: float = 20) -> None:
    """SIGTERM to the process group (a Celery worker finishes its task: warm shutdown), then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace_s)
    except (ProcessLookupError, PermissionError):
        pass
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
