"""Login throttling: growing lockouts per account and per client address, and a cap on concurrent
password hashing (issue 17, finding 5).

- After `ACCOUNT_FREE_FAILURES` wrong passwords for one account (or `ADDRESS_FREE_FAILURES` from one
  client address, whatever the accounts), every further attempt is refused *without checking the
  password* until a lockout ends; each failure after that doubles the lockout, from `BASE_LOCK_S` up
  to `MAX_LOCK_S`. The right password during a lockout is refused too: guessing gains nothing.
- Failures are forgotten `WINDOW_S` after the last one; a successful login clears the account's
  count (not the address's: one valid account must not launder an address that guesses others).
- At most `HASH_CONCURRENCY` argon2 verifications run at once (argon2id is meant to be costly: eight
  in parallel took both cores and slowed every page); a login that cannot get a slot within
  `HASH_WAIT_S`, or finds `HASH_QUEUE` others already waiting, is told to retry instead of holding
  one of the app's worker threads.

State is per process (the standalone app is one process; under the Airflow API server each worker
keeps its own, so the limits are per worker). The client address is the direct peer: behind a
reverse proxy, run uvicorn with --proxy-headers and the proxy's address in --forwarded-allow-ips.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from core.exitcodes import ExitCode

ACCOUNT_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20
BASE_LOCK_S = 30.0
MAX_LOCK_S = 900.0
WINDOW_S = 3600.0
HASH_CONCURRENCY = 1
HASH_WAIT_S = 5.0
HASH_QUEUE = 4  # logins allowed to wait for the slot; more are refused at once (each holds a worker thread)


class LoginBusy(Exception):
    """Too many logins are being checked right now: retry in a moment."""

    # Raised and answered (429) inside the login page only: at the command line it would be a defect.
    exit_code: ExitCode = ExitCode.UNEXPECTED


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0


@dataclass
class Lockout:
    """A refused attempt: who is locked (account or address) and for how many more seconds."""

    scope: str  # "account" | "address"
    seconds: int


@dataclass
class LoginThrottle:
    clock: Callable[[], float] = time.monotonic
    account_free: int = ACCOUNT_FREE_FAILURES
    address_free: int = ADDRESS_FREE_FAILURES
    base_lock_s: float = BASE_LOCK_S
    max_lock_s: float = MAX_LOCK_S
    window_s: float = WINDOW_S
    hash_concurrency: int = HASH_CONCURRENCY
    hash_wait_s: float = HASH_WAIT_S
    hash_queue: int = HASH_QUEUE
    _waiting: int = 0
    _accounts: dict[str, _Record] = field(default_factory=dict)
    _addresses: dict[str, _Record] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _slots: threading.BoundedSemaphore | None = None

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(self.hash_concurrency)

    @staticmethod
    def account_key(username: str) -> str:
        return username.strip().casefold()[:128]

    def _current(self, table: dict[str, _Record], key: str, now: float) -> _Record:
        record = table.get(key)
        if record is None or (record.failures and now - record.last_failure > self.window_s
                              and now >= record.locked_until):
            record = table[key] = _Record()
        return record

    def refused(self, username: str, address: str) -> Lockout | None:
        """The lockout that refuses this attempt now, if any (checked before any password hashing)."""
        now = self.clock()
        with self._lock:
            for scope, table, key in (("account", self._accounts, self.account_key(username)),
                                      ("address", self._addresses, address)):
                record = self._current(table, key, now)
                if record.locked_until > now:
                    return Lockout(scope, max(1, int(record.locked_until - now + 0.999)))
        return None

    def _lock_for(self, failures: int, free: int) -> float:
        if failures < free:
            return 0.0
        return min(self.max_lock_s, self.base_lock_s * 2 ** (failures - free))

    def failed(self, username: str, address: str) -> list[Lockout]:
        """Count a wrong password; returns the lockouts this failure starts (for the audit log)."""
        now = self.clock()
        started = []
        with self._lock:
            for scope, table, key, free in (("account", self._accounts, self.account_key(username), self.account_free),
                                            ("address", self._addresses, address, self.address_free)):
                record = self._current(table, key, now)
                record.failures += 1
                record.last_failure = now
                seconds = self._lock_for(record.failures, free)
                if seconds:
                    record.locked_until = now + seconds
                    started.append(Lockout(scope, int(seconds)))
        return started

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._accounts.pop(self.account_key(username), None)

    def failures(self, username: str) -> int:
        with self._lock:
            record = self._accounts.get(self.account_key(username))
            return record.failures if record else 0

    @contextmanager
    def hashing_slot(self) -> Iterator[None]:
        """Hold one of the few slots for an argon2 verification, or raise LoginBusy."""
        assert self._slots is not None
        with self._lock:
            if self._waiting >= self.hash_queue:
                raise LoginBusy()
            self._waiting += 1
        try:
            if not self._slots.acquire(timeout=self.hash_wait_s):
                raise LoginBusy()
        finally:
            with self._lock:
                self._waiting -= 1
        try:
            yield
        finally:
            self._slots.release()
