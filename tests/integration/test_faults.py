"""Faults end in the documented exit codes with one line and no traceback (issue 13), and a
document a stage failed on is retried by `sohoa retry` (and by a re-run).

`sohoa` runs in a subprocess against the real SeaweedFS server and real Tesseract; a fresh
SOHOA_HOME each time (never migrated by the test: the command does it).
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.exitcodes import ExitCode
from core.locks import batch_lock
from intake.batch import batch_key
from storage._exec import weed
from storage._exec.weed import free_port
from tests.badinputs import AGENCY, PROVINCE

pytestmark = pytest.mark.integration

SOHOA = str(Path(sys.executable).parent / "sohoa")


def _env(home: Path, s3: weed.S3Server | None, **extra: str) -> dict[str, str]:
    values = {
        "SOHOA_HOME": str(home), "SOHOA_DATABASE_URL": "",
        "SOHOA_S3_ENDPOINT": s3.endpoint if s3 else f"127.0.0.1:{free_port()}",  # nothing listens there
        "SOHOA_S3_ACCESS_KEY": "sohoa-test", "SOHOA_S3_SECRET_KEY": "sohoa-test-secret",
        "SOHOA_S3_ADMIN_ACCESS_KEY": "sohoa-test-admin", "SOHOA_S3_ADMIN_SECRET_KEY": "sohoa-test-admin-secret",
        "SOHOA_BUCKET_PREFIX": f"f{os.getpid()}-{home.name}-", "SOHOA_CITIZEN_WAREHOUSE_URL": "",
        "SOHOA_S3_MAX_ATTEMPTS": "2", **extra,
    }
    return {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")} | values


def _sohoa(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    Path(env["SOHOA_HOME"]).mkdir(parents=True, exist_ok=True)
    return subprocess.run([SOHOA, *args], env=env, cwd=env["SOHOA_HOME"], capture_output=True, text=True,
                          timeout=900)


def _one_line_no_traceback(run: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in run.stdout + run.stderr, run.stderr[-3000:]
    last = run.stderr.strip().splitlines()[-1]
    return last


@pytest.fixture
def small_batch(tmp_path: Path) -> Path:
    from samples import generate_batch

    generate_batch(tmp_path / "batch", count=2, seed=5, damages=("light",), formats=("png",))
    return tmp_path / "batch"


def test_object_store_down_exits_6_with_one_line(small_batch: Path, tmp_path: Path) -> None:
    run = _sohoa(_env(tmp_path / "home", None), "run", str(small_batch), "--province", PROVINCE, "--agency", AGENCY)
    assert run.returncode == ExitCode.SERVICE_UNAVAILABLE, run.stderr[-2000:]
    last = _one_line_no_traceback(run)
    assert "không sẵn sàng" in last and "127.0.0.1:" in last


def test_a_second_run_of_a_batch_being_run_exits_6(small_batch: Path, tmp_path: Path, s3_server) -> None:  # type: ignore[no-untyped-def]
    env = _env(tmp_path / "home", s3_server)
    # the first run is this test process holding the batch, as `sohoa run` does
    with batch_lock(tmp_path / "home", batch_key(PROVINCE, AGENCY, str(small_batch.resolve())), "x"):
        run = _sohoa(env, "run", str(small_batch), "--province", PROVINCE, "--agency", AGENCY)
    assert run.returncode == ExitCode.SERVICE_UNAVAILABLE
    assert f"pid {os.getpid()}" in _one_line_no_traceback(run)


def test_disk_full_stops_the_run_with_exit_6_not_a_document_failure(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A full disk is no document's fault: faked at the intake seam (a real full disk needs a mount)."""
    import intake
    from sohoa.cli import main

    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "var" / "sohoa.db"))

    for k, v in _env(tmp_path / "var", None).items():
        if k.startswith("SOHOA_"):
            monkeypatch.setenv(k, v)
    from core.settings import reset_settings
    from storage import db as storage_db

    reset_settings()
    storage_db.get_engine.cache_clear()
    monkeypatch.setattr(intake, "intake_batch", full)
    (tmp_path / "b").mkdir()
    assert main(["run", str(tmp_path / "b"), "--province", PROVINCE, "--agency", AGENCY]) == 6
    err = capsys.readouterr().err
    assert "Hết dung lượng đĩa" in err and "Traceback" not in err
    reset_settings()
    storage_db.get_engine.cache_clear()


def test_documents_failed_by_a_stage_are_retried(small_batch: Path, tmp_path: Path, s3_server) -> None:  # type: ignore[no-untyped-def]
    """Tesseract broken for the first run: each document fails at OCR on its own, in the worker pool
    (EngineFailed crosses the process boundary), the run ends 0; `sohoa retry` finishes them."""
    broken = tmp_path / "tesseract"
    broken.write_text("#!/bin/sh\necho 'simulated crash' >&2\nexit 134\n")
    broken.chmod(0o755)
    from core.settings import Settings
    from signing.pki import make_test_pki

    pki = make_test_pki(tmp_path / "pki", converter=Settings().converter_name)
    env = _env(tmp_path / "home", s3_server, SOHOA_OCR_WORKERS="2",
               SOHOA_REVIEW_THRESHOLDS=json.dumps({"*": {"*": 0.3}}),
               SOHOA_SIGNING_PKCS12=str(pki.agency_p12), SOHOA_SIGNING_PASSWORD=pki.password.decode())
    first = _sohoa(env | {"SOHOA_TESSERACT_CMD": str(broken)},
                   "run", str(small_batch), "--province", PROVINCE, "--agency", AGENCY)
    assert first.returncode == 0 and "Traceback" not in first.stdout + first.stderr, first.stderr[-3000:]
    out = json.loads(first.stdout)
    answers = {a["file"]: a for a in out["files"]}
    assert len(answers) == 2
    for answer in answers.values():
        assert answer["answer"] == "failed" and answer["reason"].startswith("ocr: EngineFailed"), answer
        assert "simulated crash" in answer["reason"]
    batch_id = out["intake"]["batch_id"]

    retried = _sohoa(env, "retry", str(batch_id), "--stage", "ocr")
    assert retried.returncode == 0 and "Traceback" not in retried.stdout + retried.stderr, retried.stderr[-3000:]
    again = json.loads(retried.stdout)
    assert {r["file"] for r in again["retried"]} == set(answers)
    assert again["ocr_batch"]["ocr_done"] == 2 and again["ocr_batch"]["failed"] == []
    assert {a["answer"] for a in again["files"]} <= {"processed", "needs_review"}, again["files"]
