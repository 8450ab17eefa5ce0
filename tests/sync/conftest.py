"""A real reference receiver (`python -m sync.receiver`) on 127.0.0.1, in a subprocess."""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from storage._exec.weed import free_port
from sync.contract import ResultPayload

REPO = Path(__file__).resolve().parents[2]
TOKEN_ENV = "SOHOA_TEST_WAREHOUSE_TOKEN"
TOKEN = "test-warehouse-token-5b1f"
_codes = itertools.count(1)


@dataclass
class Receiver:
    url: str
    data_dir: Path
    proc: subprocess.Popen[bytes]
    log: Path

    def hook(self, mode: str, count: int | None = None, delay_s: float = 0.0) -> None:
        """Test hook: make the next `count` API requests fail (5xx) or answer late (slow)."""
        r = httpx.post(f"{self.url}/_test/fail", json={"mode": mode, "count": count, "delay_s": delay_s},
                       headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        r.raise_for_status()

    def deliveries(self, code: str) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.url}/_test/deliveries/{code}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        r.raise_for_status()
        return list(r.json())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_receiver(data_dir: Path, *, test_hooks: bool = True) -> Receiver:
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "receiver.log"
    cmd = [sys.executable, "-m", "sync.receiver", "--host", "127.0.0.1", "--port", str(port),
           "--data", str(data_dir), "--token-env", TOKEN_ENV]
    if test_hooks:
        cmd.append("--test-hooks")
    env = {**os.environ, TOKEN_ENV: TOKEN}
    env.pop("SOHOA_RECEIVER_FAIL_MODE", None)
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    receiver = Receiver(f"http://127.0.0.1:{port}", data_dir, proc, log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"receiver exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{receiver.url}/healthz", timeout=1).status_code == 200:
                return receiver
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    receiver.stop()
    raise TimeoutError(f"receiver not healthy in 20 s: {log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="session")
def _shared_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    receiver = start_receiver(tmp_path_factory.mktemp("warehouse"))
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def receiver(_shared_receiver: Receiver) -> Receiver:
    """The session's receiver, with no fault injected."""
    _shared_receiver.hook("off")
    return _shared_receiver


@pytest.fixture
def receiver_factory(tmp_path: Path) -> Iterator[Callable[[Path], Receiver]]:
    """Start receivers of one's own (e.g. to restart one on the same data directory); all stopped at teardown."""
    started: list[Receiver] = []

    def start(data_dir: Path) -> Receiver:
        r = start_receiver(data_dir)
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


def make_payload(code: str | None = None, *, content: bytes = b"signed pdf", **overrides: Any) -> ResultPayload:
    """A valid push body; each call without `code` gets a fresh `<mã hồ sơ>-KQ<n>`."""
    code = code or f"000.00.15.H34-250512-{os.getpid() % 10000:04d}{next(_codes):04d}-KQ1"
    body: dict[str, Any] = {
        "result_code": code,
        "citizen_id": "056090001234",
        "document_type": "giay_xac_nhan",
        "issuing_agency": "UBND xã Vạn Ninh",
        "issue_date": "2020-05-12",
        "checksum_sha256": hashlib.sha256(content).hexdigest(),
        "signed_file_url": f"http://127.0.0.1:9000/sohoa-results/{code}.pdf?X-Amz-Signature=abc",
        "fields": {"holder_name": "NGUYỄN VĂN AN", "document_number": "1234/QĐ-UBND"},
        "converted_at": datetime(2025, 6, 1, 8, 30, tzinfo=UTC).isoformat(),
        "converter": "Trung tâm Phục vụ hành chính công tỉnh Khánh Hòa",
    }
    body.update(overrides)
    return ResultPayload.model_validate(body)


@pytest.fixture
def new_payload() -> Callable[..., ResultPayload]:
    return make_payload


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 with nothing listening."""
    return free_port()


# ---------------------------------------------------------------- stored results with outbox events
_dossiers = itertools.count(1)


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from testing import storage as testing

    return testing.throwaway_key(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def stored_result(signing_key: Any) -> Callable[..., Any]:
    """A signed result stored by the real store stage: its push event waits in the outbox."""
    from storage.objects import ObjectStore
    from testing import storage as testing

    def make(settings: Any, **kw: Any) -> testing.StoredResult:
        dossier = f"000.00.15.H34-200512-{os.getpid() % 1000:03d}{next(_dossiers):03d}"
        pdf = testing.signed_pdf(signing_key, f"Giấy xác nhận {dossier}")
        return testing.store_signed_result(settings, ObjectStore(settings), pdf, dossier_code=dossier, **kw)

    return make
