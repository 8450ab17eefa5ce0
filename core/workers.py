"""Worker processes that never outlive the process that started them.

A `ProcessPoolExecutor` worker whose parent is killed with SIGKILL (an OOM kill, an operator's
`kill -9`, a crash point) would otherwise keep running an orphaned Tesseract for minutes. Linux's
PR_SET_PDEATHSIG asks the kernel to send the worker SIGKILL the moment its parent dies; a worker
whose parent is already gone when it starts exits at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from core.exitcodes import ExitCode

T = TypeVar("T")
R = TypeVar("R")
_PR_SET_PDEATHSIG = 1
_libc = None
if os.uname().sysname == "Linux":  # pragma: no branch - the project runs on Linux
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def die_with_parent(expected_parent: int | None = None) -> None:
    """Make the kernel SIGKILL this process when its parent dies (Linux; elsewhere a no-op).

    Safe to call between fork and exec (`preexec_fn`): one system call, no allocation, no lock."""
    if _libc is None:
        return
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # The parent may have died between fork and prctl: then we were re-parented already.
    if expected_parent is not None and os.getppid() != expected_parent:
        os._exit(1)


def fork_is_safe() -> bool:
    """fork only from a plain single-threaded process. Under Airflow (a task, `dags test`) the process
    holds the metadata DB and other handles open, and threads may hold locks a forked child would
    inherit locked: workers come from a forkserver there. (The "malformed" Airflow test DB once
    blamed on forked workers was a plain file copy of the live DB: tests/integration/test_demo.py.)"""
    return threading.active_count() == 1 and "airflow" not in sys.modules and sys.platform == "linux"


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process (no orphans after kill -9 of the parent).

    fork is fast, but a forked child shares the caller's open database handles and locks: once the
    caller has threads (Airflow, web servers) workers come from a forkserver instead. The forkserver
    is then the workers' parent, and it exits when this process does."""
    if fork_is_safe():
        return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=die_with_parent, initargs=(os.getpid(),))
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=die_with_parent, initargs=(None,))


class WorkerDied(RuntimeError):
    """A worker process died (killed, out of memory, crashed in native code) while on this item."""

    # Recorded as its item's failure; reaching the command line would be a defect.
    exit_code: ExitCode = ExitCode.UNEXPECTED


# A pool that broke while an item was in it twice sends that item to a pool of its own: only an
# item that kills a worker when alone is the culprit; the others are never blamed for it.
_SUSPECT_AFTER = 2


def map_isolated(fn: Callable[..., R], items: Sequence[T], args: Callable[[T], tuple[Any, ...]], workers: int,
                 *, window: int | None = None) -> Iterator[tuple[T, R | Exception]]:
    """Run fn(*args(item)) for every item in worker processes; yield (item, result or exception).

    An exception raised by fn is yielded for its item only. A worker that dies breaks the whole
    pool (every pending future fails with BrokenProcessPool): the pool is rebuilt and the unfinished
    items run again, and an item present at two breaks runs alone, so that only the item that kills
    a worker by itself gets `WorkerDied`. At most `window` items (default `2 * workers`) are in
    flight: `args(item)` (which may read the item's bytes) is called only when the item is
    submitted, and the next one only after the caller took a result, so memory stays flat whatever
    the number of items. With one worker or one item everything runs in this process.
    """
    window = max(window or 2 * workers, 1)
    if workers <= 1 or len(items) <= 1:
        for item in items:
            try:
                yield item, fn(*args(item))
            except Exception as exc:  # the caller decides what an exception means for its item
                yield item, exc
        return
    breaks: dict[int, int] = {}
    queue = list(items)
    while queue:
        alone = [i for i in queue if breaks.get(id(i), 0) >= _SUSPECT_AFTER]
        shared = [i for i in queue if breaks.get(id(i), 0) < _SUSPECT_AFTER]
        queue = []
        for item in alone:
            pool = process_pool(1)
            try:
                yield item, pool.submit(fn, *args(item)).result()
            except BrokenProcessPool:
                yield item, WorkerDied("the worker process died while working on it alone "
                                       "(killed, out of memory or a crash in native code)")
            except Exception as exc:
                yield item, exc
            finally:
                pool.shutdown(wait=False, cancel_futures=True)
        if shared:
            broken = yield from _pooled(fn, shared, args, workers, window)
            for item in broken:
                breaks[id(item)] = breaks.get(id(item), 0) + 1
            queue = broken + queue


def _pooled(fn: Callable[..., R], items: list[T], args: Callable[[T], tuple[Any, ...]], workers: int,
            window: int) -> Generator[tuple[T, R | Exception], None, list[T]]:
    """One pool's life: yields finished items; returns the items lost when the pool broke."""
    pool = process_pool(workers)
    in_flight: deque[tuple[T, Future[R]]] = deque()
    waiting = deque(items)
    try:
        while waiting or in_flight:
            while waiting and len(in_flight) < window:
                item = waiting.popleft()
                try:
                    in_flight.append((item, pool.submit(fn, *args(item))))
                except BrokenProcessPool:
                    waiting.appendleft(item)
                    return [i for i, _ in in_flight] + list(waiting)
            item, future = in_flight.popleft()
            try:
                result: R | Exception = future.result()
            except BrokenProcessPool:
                return [item] + [i for i, _ in in_flight] + list(waiting)
            except Exception as exc:
                result = exc
            yield item, result
        return []
    finally:
        # Also on GeneratorExit (the caller stopped on a service fault): never wait for pending OCR.
        pool.shutdown(wait=False, cancel_futures=True)
