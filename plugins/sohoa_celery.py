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
  the same call the task runner makes first (its result is cached, and the forks inherit it).

The settings are built on first use (module `__getattr__`): the plugin manager executes every file
of this folder in every Airflow process, and only a Celery app asks for them.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def _load_plugins(**_: Any) -> None:
    from airflow.sdk.listener import get_listener_manager

    get_listener_manager()  # loads and caches the plugins, as the task runner's start-up does
    log.info("sohoa: Airflow plugins and the stage packages loaded once in the Celery worker")


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
