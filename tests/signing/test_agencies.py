"""Several converting bodies (issue 14): each agency of a province signs with its own key and under
its own full name, in one run; `sohoa verify --trust` accepts both; a name that only shares letters
with the certificate's is refused. Real intake, real S3, real PAdES, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from core.exitcodes import ExitCode
from core.settings import Settings
from review.service import revalidate_document
from signing import SigningKeyError, load_agency_keys
from signing.pki import TestPki, issue_agency_key, make_test_pki
from storage.db import session_scope
from storage.models import Document, DocumentStatus, Field, Result
from storage.objects import ObjectStore

from .conftest import make_scan

pytestmark = pytest.mark.integration
SOHOA = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "sohoa")
# Two agencies of Khánh Hòa: the province's one-stop centre and the Department of Justice.
CENTRE = ("000.00.15.H34", "Trung tâm Phục vụ hành chính công tỉnh Khánh Hòa")
JUSTICE = ("000.00.21.H34", "Sở Tư pháp tỉnh Khánh Hòa")


def _run(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SOHOA, *map(str, args)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def agency_pki(tmp_path: Path) -> tuple[TestPki, Path]:
    """One test root; a key per agency; the agency key file (TOML) naming both."""
    pki = make_test_pki(tmp_path / "pki", converter=CENTRE[1])
    justice_p12 = issue_agency_key(pki, "so-tu-phap", converter=JUSTICE[1])
    keys = tmp_path / "agency-keys.toml"
    keys.write_text(f'''
[agency."{CENTRE[0]}"]
converter = "{CENTRE[1]}"
pkcs12 = "{pki.agency_p12}"
password_env = "TEST_CENTRE_PW"

[agency."{JUSTICE[0]}"]
converter = "{JUSTICE[1]}"
pkcs12 = "pki/{justice_p12.name}"
password_env = "TEST_JUSTICE_PW"
''', encoding="utf-8")
    return pki, keys


def test_two_agencies_sign_with_their_own_keys_in_one_run(sohoa_env: Settings, agency_pki: tuple[TestPki, Path],
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from intake import intake_batch
    from samples import generate_batch
    from sohoa import pipeline

    pki, keys_file = agency_pki
    monkeypatch.setenv("TEST_CENTRE_PW", pki.password.decode())
    monkeypatch.setenv("TEST_JUSTICE_PW", pki.password.decode())
    # No deployment-wide key: every record must be signed by its agency's own key.
    settings = sohoa_env.model_copy(update={"signing_keys": keys_file, "signing_pkcs12": None,
                                            "signing_password": SecretStr(""), "converter_name": "không dùng"})
    samples = generate_batch(tmp_path / "batch", count=2, seed=3, damages=("light",), formats=("png",),
                             document_types=("giay_chung_nhan_ho_kinh_doanh",))
    batch_id = intake_batch(tmp_path / "batch", province="Khánh Hòa", agency_code=CENTRE[0],
                            settings=settings).batch_id
    truth = {s.file_name: s.truth["fields"] for s in samples}
    with session_scope(settings.db_url) as s:
        docs = list(s.scalars(select(Document).where(Document.batch_id == batch_id).order_by(Document.id)))
        docs[1].agency_code = JUSTICE[0]  # a result of the Department of Justice in the same batch
        for doc in docs:  # what a clean extraction gives
            for name, value in truth[doc.file_name].items():
                if value is not None:
                    s.add(Field(document_id=doc.id, name=name, value=value, confidence=0.97))
            doc.status = DocumentStatus.EXTRACTED
            s.flush()
            revalidate_document(s, doc)
        assert [d.status for d in docs] == [DocumentStatus.APPROVED] * 2, [d.review_reasons for d in docs]
        ids = {d.id: d.agency_code for d in docs}

    assert pipeline.sign_batch(batch_id, settings)["signed"] == 2
    store = ObjectStore(settings)
    names = dict([CENTRE, JUSTICE])
    with session_scope(settings.db_url) as s:
        results = {r.document_id: (r.converter, r.signer, r.work_key, r.signed_sha256)
                   for r in s.scalars(select(Result))}
    assert set(results) == set(ids)
    for doc_id, agency in ids.items():
        converter, signer, work_key, sha = results[doc_id]
        assert converter == names[agency] and signer == names[agency]  # marker and key name the same body
        pdf = tmp_path / f"{doc_id}.pdf"
        pdf.write_bytes(store.get_bytes(store.bucket("work"), work_key, expected_sha256=sha))
        r = _run("verify", pdf, "--trust", pki.root_cert_pem, "--format", "json")
        assert r.returncode == ExitCode.OK, r.stdout + r.stderr
        report = json.loads(r.stdout)
        assert report["status"] == "valid"
        assert f"Đơn vị chuyển đổi: {names[agency]}" in report["marker_lines"]


def test_a_key_whose_name_is_not_the_agencys_stops_the_run(sohoa_env: Settings, agency_pki: tuple[TestPki, Path],
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pki, keys_file = agency_pki
    monkeypatch.setenv("TEST_CENTRE_PW", pki.password.decode())
    monkeypatch.setenv("TEST_JUSTICE_PW", pki.password.decode())
    text = keys_file.read_text(encoding="utf-8").replace(f'converter = "{JUSTICE[1]}"', 'converter = "Sở Tư pháp"')
    keys_file.write_text(text, encoding="utf-8")
    entry = load_agency_keys(keys_file)[JUSTICE[0]]
    with entry.open() as key, pytest.raises(SigningKeyError, match="does not equal"):
        key.check_fit_for(entry.converter)


def test_agency_key_file_errors_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "k.toml"
    bad.write_text('[agency."X"]\nconverter = "Y"\n', encoding="utf-8")
    with pytest.raises(SigningKeyError, match="exactly one of pkcs12 or pkcs11_module"):
        load_agency_keys(bad)
    bad.write_text('[agency."X"]\nconverter = "Y"\npkcs12 = "a.p12"\npassword = "secret"\n', encoding="utf-8")
    with pytest.raises(SigningKeyError, match="unknown keys: password"):
        load_agency_keys(bad)


def test_cli_refuses_a_converter_name_that_is_only_part_of_the_subject(agency_pki: tuple[TestPki, Path],
                                                                        tmp_path: Path) -> None:
    pki, keys_file = agency_pki
    scan = tmp_path / "scan.png"
    make_scan().save(scan, dpi=(100, 100))
    env = {"P12_PW": pki.password.decode()}
    r = _run("sign", scan, "--out", tmp_path / "a.pdf", "--pkcs12", pki.agency_p12, "--password-env", "P12_PW",
             "--converter", "a", env=env)
    # Exit 5 (key error): the key is unfit for the converter named, the same code as an expired key.
    assert r.returncode == ExitCode.KEY_ERROR, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "khóa ký bị từ chối" in lines[0] and "does not equal" in lines[0], r.stderr
    assert not (tmp_path / "a.pdf").exists()
    # Its own agency's entry: the key and full name from the key file
    env |= {"TEST_CENTRE_PW": pki.password.decode(), "TEST_JUSTICE_PW": pki.password.decode()}
    r = _run("sign", scan, "--out", tmp_path / "j.pdf", "--keys", keys_file, "--agency", JUSTICE[0], env=env)
    assert r.returncode == ExitCode.OK, r.stderr
    assert f"Đơn vị chuyển đổi: {JUSTICE[1]}" in r.stdout
    r = _run("verify", tmp_path / "j.pdf", "--trust", pki.root_cert_pem)
    assert r.returncode == ExitCode.OK, r.stdout + r.stderr
