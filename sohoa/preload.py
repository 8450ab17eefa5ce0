"""What a Celery worker of digitise_batch imports once, when it starts, so that its task processes
do not import it again for every task.

Airflow 3 forks each task process from the worker (no new interpreter): a module the worker has
imported is already there in every task it runs. Without this, each mapped task paid the DAG file's
catalogues, the stage packages (OpenCV, SQLAlchemy, MinIO, the OCR and signing code) and, in the
validation report, Great Expectations: seconds to tens of seconds a task on a loaded machine, for
every chunk of every stage. The worker loads it through Celery's `imports` setting
(plugins/sohoa_celery.py, `[celery] celery_config_options`); nothing here opens a connection, a
file or a thread, so forking after it is safe. The memory is shared by the forks (copy on write).
"""

from __future__ import annotations

import importlib
import logging
import os

log = logging.getLogger(__name__)

#: The modules the tasks of digitise_batch import: the DAG file's own (its trigger form's
#: catalogues), each stage's door, and the libraries the doors import only when they run.
MODULES = (
    "core.units", "core.settings", "core.actors", "schemas",
    "intake", "intake.manifest", "sohoa.pipeline", "sync.outbox", "review.ge",
    "onnxruntime", "pikepdf", "reportlab.pdfgen.canvas", "reportlab.pdfbase.ttfonts",
    "pyhanko.sign", "pyhanko_certvalidator", "great_expectations",
)


def preload(modules: tuple[str, ...] = MODULES) -> list[str]:
    """Import `modules`; one that is missing is left to the task that needs it (it fails there,
    with its own message, as it would have without this). Returns the modules not loaded."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # as review/ge.py: no telemetry
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            log.warning("preload: %s not imported (%s)", name, exc)
            missing.append(name)
    return missing


preload()
