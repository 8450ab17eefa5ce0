"""Celery settings of the Airflow workers that run sohoa's DAGs:
`[celery] celery_config_options = sohoa_celery.CELERY_CONFIG` (AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS).

Airflow's own defaults (`DEFAULT_CELERY_CONFIG`: one message prefetched per task slot, acks late, so a
worker never holds a chunk another one could run) and a worker that loads once, when it starts,
what every task process would otherwise load again: Airflow 3 forks each task process from the
worker, and the task runner's first step loads Airflow's plugins (this folder: the review desk's web
app, which imports most of sohoa) and then the stage packages. Measured on the bench machine: several
seconds a task, for every chunk of every stage (docs/capacity.md "Many workers").

- Celery's `imports`: `sohoa.preload` (the stage packages and the libraries they load late);
- on `worker_init`, in the worker's main process before its pool forks: Airflow's plugins, through
  the same call the task runner makes first (its result is cached, and the forks inherit it);
- and there too, a task's supervisor that has seen every socket of its task process close waits
  for that process to end instead of sleeping (`_notice_exit_promptly`).

The settings are built on first use (module `__getattr__`): the plugin manager executes every file
of this folder in every Airflow process, and only a Celery app asks for them.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

log = logging.getLogger(__name__)


def _load_plugins(**_: Any) -> None:
    from airflow.sdk.listener import get_listener_manager

    get_listener_manager()  # loads and caches the plugins, as the task runner's start-up does
    log.info("sohoa: Airflow plugins and the stage packages loaded once in the Celery worker")
    _notice_exit_promptly()


def _notice_exit_promptly() -> None:
    """A task's slot is free as soon as its process has ended, not up to a heartbeat later.

    The supervisor of a task process (Airflow's `ActivitySubprocess`, in the Celery pool's process)
    waits on the task's sockets; the task closes them and calls `os._exit`, and when the supervisor
    wakes on the last close before the kernel has reaped the process, it has nothing left to wait on
    and sleeps a full `[workers] min_heartbeat_interval` before it looks again. Measured on the bench
    (docs/benchmarks.md, "Celery workers"): 40-60 % of task instances held their worker's only slot
    1 s longer (5 s at Airflow's default interval). With every socket closed, this waits on the
    process itself (psutil polls it every few milliseconds) for the same time at most, then lets the
    supervisor carry on as before. Applied once per worker, before its pool forks. A supervisor
    without the attributes this reads runs its own loop unchanged, and tests/dags/test_celery_config.py
    fails when the method's signature changes (an Airflow upgrade: look again whether it is needed)."""
    from airflow.sdk.execution_time.supervisor import ActivitySubprocess

    original = ActivitySubprocess._service_subprocess
    if getattr(original, "sohoa_prompt_exit", False):
        return

    def _service_subprocess(self: Any, max_wait_time: float, raise_on_timeout: bool = False,
                            expect_signal: int | None = None) -> int | None:
        try:
            ending = self._exit_code is None and not self.selector.get_map()
        except AttributeError:  # another shape of supervisor: its own loop, unchanged
            ending = False
        if ending:
            with contextlib.suppress(self._process.TimeoutExpired):
                self._process.wait(timeout=max(0.01, max_wait_time))
            max_wait_time = 0.0
        return original(self, max_wait_time, raise_on_timeout=raise_on_timeout, expect_signal=expect_signal)

    _service_subprocess.sohoa_prompt_exit = True  # type: ignore[attr-defined]
    ActivitySubprocess._service_subprocess = _service_subprocess  # type: ignore[method-assign]
    log.info("sohoa: task supervisors wait on an ending task process, not on the heartbeat interval")


def __getattr__(name: str) -> Any:
    if name != "CELERY_CONFIG":
        raise AttributeError(name)
    from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
    from celery.signals import worker_init

    config = dict(DEFAULT_CELERY_CONFIG)
    config["imports"] = (*config.get("imports", ()), "sohoa.preload")
    worker_init.connect(_load_plugins, weak=False)  # only a worker sends it; the scheduler never does
    globals()["CELERY_CONFIG"] = config
    return config
