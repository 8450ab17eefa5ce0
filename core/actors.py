"""Who is acting (Decree 45 Art. 12.3, Art. 17: every step attributable to a person).

The audit log names a person, never a constant: the steward or operator a command names
(`--actor`), else `SOHOA_ACTOR` (the DAGs set it to the Airflow run's triggering user), else the
operating-system user running the command. A machine run with no person behind it (a schedule)
is named as such, with the account it runs under.
"""

from __future__ import annotations

import getpass
import os

ENV = "SOHOA_ACTOR"


def actor_name(explicit: str | None = None) -> str:
    """The acting person's name, at most 100 characters (the audit_log column)."""
    for value in (explicit, os.environ.get(ENV)):
        if value and value.strip():
            return value.strip()[:100]
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = f"uid {os.getuid()}"
    return f"{user} (hệ thống)"[:100] if user in ("airflow", "root") else user[:100]


def run_actor(run: object | None) -> str:
    """The acting person of an Airflow DAG run (this module imports no Airflow: the run is read by its
    attributes): the user who triggered it, else the schedule, named as such with its run type."""
    user = getattr(run, "triggering_user_name", None)
    if isinstance(user, str) and user.strip():
        return user.strip()[:100]
    return f"airflow ({getattr(run, 'run_type', None) or 'scheduled'})"[:100]


def act_for_run(run: object | None) -> None:
    """Every DAG task's first step: audit entries written by this task name the run's person."""
    set_actor(run_actor(run))


def set_actor(name: str | None) -> None:
    """Make `name` the acting person of this process (a DAG task, with the run's triggering user)."""
    if name and name.strip():
        os.environ[ENV] = name.strip()[:100]
