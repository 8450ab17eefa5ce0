"""The Celery settings of sohoa's Airflow workers (plugins/sohoa_celery.py) and what they preload."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_worker_settings_keep_airflows_defaults_and_preload_the_stages(tmp_path: Path) -> None:
    # In a fresh interpreter: the settings module is read the way Airflow reads it (by name, with the
    # plugins folder on the path), and nothing here should leak into the test session's modules.
    code = (
        "import sys, sohoa_celery\n"
        "from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG as D\n"
        "c = sohoa_celery.CELERY_CONFIG\n"
        "assert 'sohoa.pipeline' not in sys.modules  # a plugin load stays light\n"
        "assert c['worker_prefetch_multiplier'] == 1 and c['task_acks_late'] is True, c\n"
        "assert {k: v for k, v in c.items() if k != 'imports'} == {k: v for k, v in D.items() if k != 'imports'}\n"
        "assert 'sohoa.preload' in c['imports'], c['imports']\n"
        "from celery.signals import worker_init\n"
        "assert worker_init.receivers, 'no worker_init hook'\n"
        # what the hook does besides loading the plugins: the supervisor's wait on an ending task
        "from airflow.sdk.execution_time.supervisor import ActivitySubprocess as A\n"
        "before = A._service_subprocess\n"
        "sohoa_celery._notice_exit_promptly(); sohoa_celery._notice_exit_promptly()\n"
        "assert A._service_subprocess is not before and A._service_subprocess.sohoa_prompt_exit\n"
        "import inspect\n"
        "assert list(inspect.signature(before).parameters) == "
        "['self', 'max_wait_time', 'raise_on_timeout', 'expect_signal'], 'Airflow changed the supervisor'\n"
        "import sohoa.preload as p\n"
        "assert p.preload() == [], 'a preloaded module is missing'\n"
        "assert {'sohoa.pipeline', 'great_expectations', 'onnxruntime'} <= set(sys.modules)\n"
    )
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(REPO / "plugins"), str(REPO)]),
                        "AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
