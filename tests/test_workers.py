"""Worker pools (issue 13): a dying worker is blamed only for its own item, errors cross the process
boundary intact, and workers never outlive a parent killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from core.workers import WorkerDied, map_isolated
from ocr.errors import EngineFailed


def _job(name: str) -> str:
    if name == "killer":
        os.kill(os.getpid(), signal.SIGKILL)  # like an OOM kill in the middle of a page
    if name == "unreadable":
        raise EngineFailed(name, "tesseract timed out after 1 s")
    time.sleep(0.05)
    return name.upper()


def test_a_dying_worker_fails_only_its_own_item_and_the_pool_is_rebuilt() -> None:
    items = ["a", "b", "killer", "c", "unreadable", "d", "e"]
    results = dict(map_isolated(_job, items, lambda name: (name,), workers=2))
    assert set(results) == set(items)
    assert isinstance(results["killer"], WorkerDied)
    error = results["unreadable"]
    assert type(error) is EngineFailed and error.file == "unreadable" and "timed out" in error.reason
    assert {k: v for k, v in results.items() if isinstance(v, str)} == {n: n.upper() for n in "abcde"}


def test_never_more_than_the_window_in_flight() -> None:
    """Inputs are made (args called) only as room frees: with window 3, at most 3 items' inputs are
    held between their submission and the caller taking their result, also across a rebuilt pool."""
    items = [f"d{i}" for i in range(10)] + ["killer"] + [f"e{i}" for i in range(6)]
    held: set[str] = set()
    most = 0

    def args(name: str) -> tuple[str]:
        nonlocal most
        held.add(name)
        most = max(most, len(held))
        return (name,)

    results = {}
    for name, result in map_isolated(_job, items, args, workers=2, window=3):
        held.discard(name)
        results[name] = result
    assert most == 3 and not held
    assert set(results) == set(items) and isinstance(results["killer"], WorkerDied)
    assert all(results[n] == n.upper() for n in items if n != "killer")


def test_in_process_when_one_worker() -> None:
    results = dict(map_isolated(_job, ["a", "unreadable"], lambda name: (name,), workers=1))
    assert results["a"] == "A" and isinstance(results["unreadable"], EngineFailed)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_die_with_a_parent_killed_by_sigkill(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import os, sys, time
        from core.workers import process_pool

        def pid_then_sleep(_):
            time.sleep(120)

        def pid(_):
            return os.getpid()

        pool = process_pool(2)
        pids = set(pool.map(pid, range(8)))
        for i in range(2):
            pool.submit(pid_then_sleep, i)
        print(" ".join(map(str, sorted(pids))), flush=True)
        time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout is not None
    workers = [int(p) for p in proc.stdout.readline().split()]
    assert workers and all(_alive(p) for p in workers)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers), "orphaned pool workers outlived their parent"
