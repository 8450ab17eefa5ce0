"""Every file gets an answer and no run crashes (issue 13): a batch mixing every kind of bad input
(tests/badinputs.py) with good generated scans goes through `sohoa run` in a subprocess — real
Tesseract, real SeaweedFS, real signing, a fresh SOHOA_HOME that nobody migrated, a Windows-1258
manifest whose names are in NFD while one scan's name on disk is too.

Every good scan is processed, every bad item is answered with its own reason, exit code 0, and no
traceback anywhere in the output; a second run changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.settings import Settings
from storage import db as storage_db
from storage import models
from storage._exec import weed
from storage.db import session_scope
from storage.objects import ObjectStore
from tests.badinputs import AGENCY, PROVINCE, BadItem, cp1258, manifest_lines, nfd, write_bad_inputs

pytestmark = pytest.mark.integration

SOHOA = str(Path(sys.executable).parent / "sohoa")
NFD_NAME = "Giấy chứng nhận số 01"


def _env(home: Path, s3: weed.S3Server, pki: Any, prefix: str) -> dict[str, str]:
    values = {
        "SOHOA_HOME": str(home), "SOHOA_DATABASE_URL": "",
        "SOHOA_S3_ENDPOINT": s3.endpoint, "SOHOA_S3_ACCESS_KEY": "sohoa-test",
        "SOHOA_S3_SECRET_KEY": "sohoa-test-secret",
        "SOHOA_S3_ADMIN_ACCESS_KEY": "sohoa-test-admin", "SOHOA_S3_ADMIN_SECRET_KEY": "sohoa-test-admin-secret",
        "SOHOA_BUCKET_PREFIX": prefix,
        "SOHOA_CITIZEN_WAREHOUSE_URL": "",
        "SOHOA_SIGNING_PKCS12": str(pki.agency_p12), "SOHOA_SIGNING_PASSWORD": pki.password.decode(),
        "SOHOA_OCR_WORKERS": "2",
    }
    return {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")} | values


def _sohoa(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SOHOA, *args], env=env, cwd=env["SOHOA_HOME"], capture_output=True, text=True,
                          timeout=1200)


@pytest.fixture(scope="module")
def mixed_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], list[BadItem], Any]:
    from samples import generate_batch
    from signing.pki import make_test_pki

    root = tmp_path_factory.mktemp("bad-batch")
    pki = make_test_pki(root / "pki", converter=Settings().converter_name)
    batch = root / "batch"
    # At the default review thresholds: the decision (seed 3) is signed; each good scan, signed or
    # held for a steward, gets its own answer.
    samples = generate_batch(batch, count=3, seed=3, damages=("light",),
                             document_types=("quyet_dinh", "giay_chung_nhan_ho_kinh_doanh",
                                             "xac_nhan_tinh_trang_hon_nhan"))
    good_rows = (batch / "manifest.csv").read_text(encoding="utf-8").splitlines()[1:]
    # one good scan carries a Vietnamese name, stored in NFD on disk
    first = samples[0].file_name
    renamed = nfd(NFD_NAME) + Path(first).suffix
    (batch / first).rename(batch / renamed)
    good_rows[0] = good_rows[0].replace(first, NFD_NAME + Path(first).suffix, 1)
    good = [NFD_NAME + Path(first).suffix] + [s.file_name for s in samples[1:]]

    bad = write_bad_inputs(batch, root / "outside")
    copy = "bản_sao" + Path(samples[1].file_name).suffix
    shutil.copyfile(batch / samples[1].file_name, batch / copy)  # same bytes as a good scan
    bad.append(BadItem(copy, "quarantined", "duplicate"))
    header = "file,province,agency_code,document_type,dossier_code,pages"
    text = "\r\n".join([header, *good_rows, *manifest_lines(bad)]) + "\r\n"
    # Vietnamese Excel on Windows: Windows-1258, which spells tones as combining marks (NFD)
    (batch / "manifest.csv").write_bytes(cp1258(text))
    return batch, good, bad, pki


def _answers(out: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    by_file: dict[str, list[dict[str, Any]]] = {}
    for answer in out["files"]:
        by_file.setdefault(answer["file"], []).append(answer)
    return by_file


def _check_answers(answers: dict[str, list[dict[str, Any]]], good: list[str], bad: list[BadItem]) -> None:
    # exactly one answer per input: every good scan, every bad file, every manifest row
    expected = set(good) | {b.file for b in bad}
    assert set(answers) == expected, set(answers) ^ expected
    assert all(len(a) == 1 for a in answers.values()), {k: v for k, v in answers.items() if len(v) > 1}

    for name in good:  # signed, or held for a steward with its own reason (never failed, never rejected)
        (answer,) = answers[name]
        assert answer["answer"] in ("processed", "needs_review"), answer
        assert answer["answer"] == "processed" or (answer["reason"] and "stage_failed" not in answer["reason"]), answer
    assert sum(answers[n][0]["answer"] == "processed" for n in good) >= 1  # the signing path ran for real
    for item in bad:
        (answer,) = answers[item.file]
        assert answer["answer"] == item.answer, (item, answer)
        if item.answer == "quarantined":
            assert answer["status"] == item.reason, (item, answer)
        else:
            assert item.reason in answer["reason"], (item, answer)
    assert "không-phải-mã-hồ-sơ" in answers["bad_dossier.png"][0]["reason"]
    assert "giay_phep_bay_vu_tru" in answers["unknown_type.png"][0]["reason"]


def test_every_file_of_a_mixed_batch_gets_its_own_answer(mixed_batch, s3_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    batch, good, bad, pki = mixed_batch
    home = tmp_path / "fresh-home"  # never migrated: `sohoa run` does it
    env = _env(home, s3_server, pki, f"b{os.getpid()}-")
    home.mkdir()
    run = _sohoa(env, "run", str(batch), "--province", PROVINCE, "--agency", AGENCY)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-5000:]
    assert "Traceback" not in output
    out = json.loads(run.stdout)
    answers = _answers(out)

    _check_answers(answers, good, bad)
    assert out["intake"]["unlisted"] == ["không_trong_danh_mục.png"]

    settings = Settings(home=home, database_url="", s3_endpoint=s3_server.endpoint, s3_access_key="sohoa-test",
                        s3_secret_key="sohoa-test-secret", s3_admin_access_key="sohoa-test-admin",
                        s3_admin_secret_key="sohoa-test-admin-secret", bucket_prefix=env["SOHOA_BUCKET_PREFIX"])
    try:
        with session_scope(settings.db_url) as s:
            quarantined = {q.file_name: q for q in s.scalars(select(models.QuarantineEntry))}
            failed = list(s.scalars(select(models.Document).where(models.Document.status == "failed")))
        assert failed == []
        # Hỏng.pdf and hong.pdf fold to the same ASCII name: each keeps its own evidence
        store = ObjectStore(settings)
        a, b = quarantined["Hỏng.pdf"], quarantined["hong.pdf"]
        assert a.object_key != b.object_key and a.sha256 != b.sha256
        assert store.get_bytes(store.bucket("quarantine"), a.object_key) == (batch / "Hỏng.pdf").read_bytes()
        assert store.metadata(store.bucket("quarantine"), a.object_key)["file-name"] == "Hỏng.pdf"

        # a re-run takes nothing twice and gives the same answers
        again = _sohoa(env, "run", str(batch), "--province", PROVINCE, "--agency", AGENCY)
        assert again.returncode == 0 and "Traceback" not in again.stdout + again.stderr, again.stderr[-3000:]
        second = _answers(json.loads(again.stdout))
        assert {k: [a["answer"] for a in v] for k, v in second.items()} == \
            {k: [a["answer"] for a in v] for k, v in answers.items()}
        assert json.loads(again.stdout)["intake"]["accepted"] == out["intake"]["accepted"]
    finally:
        storage_db.get_engine(settings.db_url).dispose()


def test_the_dag_gives_the_same_answers(mixed_batch, pipeline_env, run_dag, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The same batch through a real run of the digitise_batch DAG (Airflow's test runner)."""
    from core.settings import reset_settings
    from sohoa.pipeline import batch_answers

    batch, good, bad, _pki = mixed_batch
    monkeypatch.delenv("SOHOA_REVIEW_THRESHOLDS", raising=False)  # the defaults, as `sohoa run` above
    # Under Airflow the OCR pool's workers come from a forkserver (core.workers.fork_is_safe), never
    # forked from this process, which holds the session's Airflow SQLite DB open.
    monkeypatch.setenv("SOHOA_OCR_WORKERS", "2")
    reset_settings()
    conf = {"province": PROVINCE, "agency": AGENCY, "batch_location": str(batch), "document_type": "auto"}
    dag_run = run_dag("digitise_batch", conf)
    assert str(dag_run.state) in ("success", "DagRunState.SUCCESS"), dag_run.state
    with session_scope() as s:
        (batch_id,) = s.scalars(select(models.Batch.id)).all()
    answers: dict[str, list[dict[str, Any]]] = {}
    for answer in batch_answers(batch_id):
        answers.setdefault(answer["file"], []).append(answer)
    _check_answers(answers, good, bad)
