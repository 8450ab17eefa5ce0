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


def set_actor(name: str | None) -> None:
    """Make `name` the acting person of this process (a DAG task, with the run's triggering user)."""
    if name and name.strip():
        os.environ[ENV] = name.strip()[:100]
