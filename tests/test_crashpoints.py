"""The crash-point seam (core/crashpoints.py): inert when unset, exact about which hit kills."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core import crashpoints
from core.crashpoints import CRASH_POINTS, crash_point

REPO = Path(__file__).resolve().parents[1]
_CALL = re.compile(r"""crash_point\(["']([^"']+)["']\)""")


def _called_points() -> set[str]:
    found = set()
    # every package of ours, wherever a stage door lives (review/validate.py, extract/, …)
    packages = [p for p in REPO.iterdir() if (p / "__init__.py").is_file() and p.name not in ("tests", "testing")]
    for package in packages:
        for path in package.rglob("*.py"):
            if path.name != "crashpoints.py":
                found.update(_CALL.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_crash_point_is_registered_and_every_registered_one_is_called() -> None:
    # A name the code calls but the registry lacks could never be selected; the reverse would be
    # a crash point the recovery tests believe they cover while nothing calls it.
    assert _called_points() == set(CRASH_POINTS)


def test_crash_point_is_inert_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(crashpoints.ENV, raising=False)
    for name in CRASH_POINTS:
        crash_point(name)  # still alive


def test_other_points_do_not_fire(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(crashpoints.ENV, "sync.after_delivery")
    crash_point("sign.after_work_put")  # still alive


@pytest.mark.parametrize("spec", ["no.such_point", "sync.after_delivery:x", "sync.after_delivery:0"])
def test_a_mistyped_selection_is_refused(spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(crashpoints.ENV, spec)
    with pytest.raises(ValueError, match=crashpoints.ENV):
        crash_point("sync.after_delivery")


def test_the_nth_hit_kills_the_process_with_sigkill() -> None:
    code = ("import sys\nfrom core.crashpoints import crash_point\n"
            "for i in range(1, 5):\n    print(i, flush=True)\n    crash_point('store.after_commit')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={"SOHOA_CRASH_AT": "store.after_commit:3", "PATH": "/usr/bin:/bin"}, cwd=REPO)
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.split() == ["1", "2", "3"]  # died at the third hit, before the fourth
    assert "[crash point] store.after_commit hit 3" in done.stderr
