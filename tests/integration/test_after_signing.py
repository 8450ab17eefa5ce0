"""After signing (issue 15): corrections by a new version, revocation everywhere, durable delivery,
re-keyed provisional codes, re-digitisation.

Real parts: the sign stage with a real PAdES key (test PKI), the shared SeaweedFS, the reference
warehouse receiver in its own process, `sohoa verify` (pyHanko and pdfsig) and `sohoa print-copy`.
Records are seeded with their fields (no OCR: extraction is not the subject here) over a real scan
in the raw bucket."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pikepdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from sqlalchemy import select

from core.exitcodes import ExitCode
from core.settings import Settings
from review import service
from review.lifecycle import LifecycleError, reopen_signed
from sohoa import pipeline
from sohoa.cli import main
from storage import keys
from storage.db import session_scope
from storage.models import AuditEntry, Batch, Document, DocumentStatus, Field, OutboxEvent, Result
from storage.objects import ObjectStore, sha256_hex
from sync.revocation import revoke_result
from web import create_app

from .conftest import WAREHOUSE_TOKEN

pytestmark = pytest.mark.integration

PROVINCE, AGENCY = "Khánh Hòa", "000.00.15.H34"
HKD = {
    "issuing_authority": "UBND HUYỆN VẠN NINH PHÒNG TÀI CHÍNH - KẾ HOẠCH", "document_number": "1234/GCN-TCKH",
    "issue_date": "2020-05-12", "title": "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", "signer_title": "TRƯỞNG PHÒNG",
    "signer_name": "Nguyễn Văn An", "holder_name": "Trần Thị Bích Ngọc", "holder_birth_date": "1985-03-04",
    "holder_id_number": "056185001234", "registration_number": "37A8012345", "business_name": "Tạp hóa Ngọc",
}


def scan_png(text: str) -> bytes:
    img = Image.new("RGB", (600, 800), "white")
    ImageDraw.Draw(img).text((40, 40), text, fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(150, 150))
    return buf.getvalue()


def _seed_record(settings: Settings, *, key: str, scan_text: str, fields: dict[str, str], dossier: str | None,
                 provisional: bool) -> tuple[int, int]:
    """One record over a real scan in the raw bucket, its fields read (status EXTRACTED)."""
    store = ObjectStore(settings)
    store.ensure_buckets()
    png = scan_png(scan_text)
    sha = sha256_hex(png)
    with session_scope(settings.db_url) as s:
        batch = Batch(batch_key=hashlib.sha256(key.encode()).hexdigest(), province=PROVINCE, agency_code=AGENCY,
                      location=f"/batches/{key}")
        s.add(batch)
        s.flush()
        raw = keys.raw_key(PROVINCE, AGENCY, 2026, batch.id, sha, ".png")
        store.put_bytes(store.bucket("raw"), raw, png, content_type="image/png")
        doc = Document(batch_id=batch.id, file_name=f"{key}.png", sha256=sha, content_type="image/png",
                       size_bytes=len(png), page_count=1, province=PROVINCE, agency_code=AGENCY,
                       document_type="giay_chung_nhan_ho_kinh_doanh", dossier_code=dossier,
                       dossier_provisional=provisional, status=DocumentStatus.EXTRACTED, raw_key=raw)
        s.add(doc)
        s.flush()
        for name, value in fields.items():
            s.add(Field(document_id=doc.id, name=name, value=value, confidence=0.99, page=1))
        return batch.id, doc.id


def seed_approved(settings: Settings, dossier: str | None, *, key: str, fields: dict[str, str] | None = None,
                  provisional: str | None = None, approve: bool = True) -> tuple[int, int]:
    """One record over a real scan in the raw bucket, validated and (unless told) approved by a steward."""
    batch_id, doc_id = _seed_record(settings, key=key, scan_text=f"Giấy chứng nhận {key}", fields=fields or HKD,
                                    dossier=dossier or provisional, provisional=provisional is not None)
    with session_scope(settings.db_url) as s:
        doc = s.get_one(Document, doc_id)
        service.revalidate_document(s, doc, keep_status=True)
        doc.status = DocumentStatus.NEEDS_REVIEW
    if approve:
        service.approve_document(doc_id, "lan", note="đã đối chiếu bản giấy", db_url=settings.db_url)
    return batch_id, doc_id


def results_of(settings: Settings, doc_id: int) -> list[Result]:
    with session_scope(settings.db_url) as s:
        return list(s.scalars(select(Result).where(Result.document_id == doc_id).order_by(Result.id)))


def stored_pdf(settings: Settings, result: Result, path: Path) -> Path:
    store = ObjectStore(settings)
    assert result.stored_bucket and result.stored_key
    path.write_bytes(store.get_bytes(result.stored_bucket, result.stored_key, expected_sha256=result.signed_sha256))
    return path


def warehouse(settings: Settings, code: str, suffix: str = "") -> httpx.Response:
    return httpx.get(f"{settings.citizen_warehouse_url}/api/v1/results/{code}{suffix}",
                     headers={"Authorization": f"Bearer {WAREHOUSE_TOKEN}"}, timeout=10)


def fields_json(pdf: Path) -> dict[str, Any]:
    with pikepdf.open(pdf) as doc:
        return json.loads(doc.attachments["fields.json"].get_file().read_bytes())


def test_correct_after_signing_supersedes_then_revocation_is_visible_everywhere(  # type: ignore[no-untyped-def]
        pipeline_env, tmp_path: Path, capsys, monkeypatch) -> None:
    settings: Settings = pipeline_env[0]
    pki = pipeline_env[1]
    monkeypatch.setenv("SOHOA_ACTOR", "Nguyễn Thị Lan")  # the operator running the stages
    dossier = f"{AGENCY}-200512-0042"
    batch_id, doc_id = seed_approved(settings, dossier, key="correct")
    assert pipeline.release_approved(batch_id, settings)["signed"] == 1
    assert pipeline.sync_batch(batch_id, settings)["delivered"] == 1
    (first,) = results_of(settings, doc_id)
    assert first.result_code == f"{dossier}-KQ1"

    # the signed record cannot be edited in place; it is reopened for a correction
    with pytest.raises(service.ReviewError):
        service.correct_fields(doc_id, {"registration_number": "37A8012346"}, "lan", db_url=settings.db_url)
    reopen_signed(first.result_code, "lan", "số đăng ký đọc sai một chữ số", db_url=settings.db_url)
    assert first.result_code == results_of(settings, doc_id)[0].result_code  # still valid until the new one is signed
    service.correct_fields(doc_id, {"registration_number": "37A8012346"}, "lan", db_url=settings.db_url)
    service.approve_document(doc_id, "lan", note="đính chính theo bản giấy", db_url=settings.db_url)
    assert pipeline.release_approved(batch_id, settings)["signed"] == 1
    old, new = results_of(settings, doc_id)
    assert new.result_code == f"{dossier}-KQ2"
    assert (old.superseded_by_id, new.supersedes_id) == (new.id, old.id)  # linked both ways
    assert old.stored_key and new.stored_key and old.stored_key != new.stored_key  # the old one kept

    new_pdf = stored_pdf(settings, new, tmp_path / "new.pdf")
    old_pdf = stored_pdf(settings, old, tmp_path / "old.pdf")
    assert fields_json(new_pdf)["supersedes"] == old.result_code
    assert fields_json(new_pdf)["fields"]["registration_number"] == "37A8012346"
    assert fields_json(old_pdf)["fields"]["registration_number"] == "37A8012345"  # never overwritten

    # the warehouse: the new version with a link to the old one, the old one marked superseded
    assert pipeline.sync_batch(batch_id, settings)["delivered"] == 1
    held_old, held_new = warehouse(settings, old.result_code).json(), warehouse(settings, new.result_code).json()
    assert (held_old["status"], held_old["superseded_by"]) == ("superseded", new.result_code)
    assert (held_new["status"], held_new["supersedes"]) == ("still_valid", old.result_code)

    # `verify`: the old file is intact but SUPERSEDED; the new one is VALID (pyHanko and pdfsig)
    trust = ["--trust", str(pki.root_cert_pem), "--offline"]
    capsys.readouterr()
    assert main(["verify", str(old_pdf), *trust]) == ExitCode.RESULT_SUPERSEDED
    out = capsys.readouterr().out
    assert "SUPERSEDED" in out and new.result_code in out and "Kết quả / status: VALID" in out
    assert main(["verify", str(new_pdf), *trust]) == ExitCode.OK
    out = capsys.readouterr().out
    assert f"Thay thế kết quả: {old.result_code}" in out  # the marker names the replaced result

    # revoke the new one: verify says REVOKED, print-copy refuses with the reason
    assert main(["revoke", new.result_code, "--reason", "Quyết định thu hồi số 5/QĐ-UBND"]) == 0
    capsys.readouterr()
    assert main(["verify", str(new_pdf), *trust]) == ExitCode.RESULT_REVOKED
    out = capsys.readouterr().out
    assert "REVOKED" in out and "Quyết định thu hồi số 5/QĐ-UBND" in out
    assert main(["verify", str(new_pdf), *trust, "--format", "json"]) == ExitCode.RESULT_REVOKED
    assert json.loads(capsys.readouterr().out)["result_state"]["state"] == "revoked"
    printed = tmp_path / "print.pdf"
    assert main(["print-copy", str(new_pdf), "-o", str(printed), "--trust", str(pki.root_cert_pem)]) \
        == ExitCode.RESULT_REVOKED
    err = capsys.readouterr().err
    assert "ĐÃ THU HỒI" in err and not printed.exists()
    assert main(["print-copy", str(old_pdf), "-o", str(printed), "--trust", str(pki.root_cert_pem)]) \
        == ExitCode.RESULT_SUPERSEDED
    assert not printed.exists()
    assert pipeline.sync_batch(batch_id, settings)["delivered"] == 1
    assert warehouse(settings, new.result_code).json()["status"] == "revoked"

    # the look-up page answers each state; the durable link downloads the signed original
    client = TestClient(create_app(settings))
    page = client.get(f"/tra-cuu/{old.result_code}")
    assert page.status_code == 200 and "Đã được thay thế" in page.text and new.result_code in page.text
    page = client.get(f"/tra-cuu/{new.result_code}")
    assert "ĐÃ THU HỒI" in page.text and "Quyết định thu hồi số 5/QĐ-UBND" in page.text
    assert "Trần Thị Bích Ngọc" not in page.text and "056185001234" not in page.text  # nothing beyond the print
    got = client.get(f"/tra-cuu/{old.result_code}/tai-ve")
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == old.signed_sha256
    checked = client.post(f"/tra-cuu/{new.result_code}/kiem-tra", files={"file": ("x.pdf", old_pdf.read_bytes())})
    assert f"mã {old.result_code}, không phải {new.result_code}" in checked.text

    # the audit log names people, never a constant
    with session_scope(settings.db_url) as s:
        entries = list(s.scalars(select(AuditEntry)))
    actors = {(a.action, a.actor) for a in entries}
    stages = {(a.detail.get("stage"), a.actor) for a in entries if a.action == "status"}
    assert ("sign", "Nguyễn Thị Lan") in actors and ("store", "Nguyễn Thị Lan") in stages
    assert ("reopen", "lan") in actors and ("supersede", "Nguyễn Thị Lan") in actors
    assert not any(actor.startswith("sohoa-") for _, actor in actors)


def test_push_is_durable_the_warehouse_keeps_the_file(pipeline_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A push delivered today opens from the warehouse 30 days later: it carries the file itself and a
    durable look-up link, no pre-signed link to the internal S3 host."""
    settings: Settings = pipeline_env[0]
    batch_id, doc_id = seed_approved(settings, f"{AGENCY}-200512-0043", key="durable")
    pipeline.release_approved(batch_id, settings)
    (result,) = results_of(settings, doc_id)
    with session_scope(settings.db_url) as s:
        (event,) = s.scalars(select(OutboxEvent).where(OutboxEvent.result_id == result.id))
        payload = dict(event.payload)
    assert payload["signed_file_url"] == f"{settings.public_url}/tra-cuu/{result.result_code}/tai-ve"
    assert "X-Amz" not in payload["signed_file_url"] and settings.s3_endpoint not in payload["signed_file_url"]
    assert "signed_pdf_base64" not in payload  # read back from the locked bucket at delivery, not kept twice
    assert (payload["issuing_agency"], payload["keeping_agency_code"]) == (HKD["issuing_authority"], AGENCY)
    assert payload["holder"] == {"kind": "citizen", "name": HKD["holder_name"], "identifier": HKD["holder_id_number"],
                                 "identifier_kind": "cccd"}
    assert pipeline.sync_batch(batch_id, settings)["delivered"] == 1

    # 30 days later the sohoa store is not even reachable: the warehouse answers from its own copy
    store = ObjectStore(settings)
    pdf = store.get_bytes(result.stored_bucket or "", result.stored_key or "")
    monkeypatch.setenv("SOHOA_S3_ENDPOINT", "127.0.0.1:1")
    held = warehouse(settings, result.result_code, "/file")
    assert held.status_code == 200 and held.content == pdf
    assert hashlib.sha256(held.content).hexdigest() == result.signed_sha256
    record = warehouse(settings, result.result_code).json()
    assert record["has_file"] is True and record["result"]["signed_pdf_base64"] is None


def test_rekey_moves_a_provisional_result_to_its_real_code(pipeline_env, capsys) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = pipeline_env[0]
    tam = f"TAM.{AGENCY}-261126-0007"
    real = f"{AGENCY}-200512-0044"
    batch_id, doc_id = seed_approved(settings, None, key="rekey", provisional=tam)
    pipeline.release_approved(batch_id, settings)
    pipeline.sync_batch(batch_id, settings)
    (provisional,) = results_of(settings, doc_id)
    assert provisional.result_code == f"{tam}-KQ1"
    assert warehouse(settings, provisional.result_code).json()["result"]["provisional"] is True

    assert main(["rekey", tam, "ABC", "--actor", "lan"]) == ExitCode.BAD_INPUT  # not a mã hồ sơ
    assert main(["rekey", tam, real, "--actor", "lan"]) == ExitCode.OK
    old, new = results_of(settings, doc_id)
    assert new.result_code == f"{real}-KQ1" and old.superseded_by_id == new.id
    held_old, held_new = warehouse(settings, old.result_code).json(), warehouse(settings, new.result_code).json()
    assert (held_new["status"], held_new["result"]["provisional"]) == ("still_valid", False)
    assert (held_old["status"], held_old["superseded_by"]) == ("superseded", new.result_code)
    with session_scope(settings.db_url) as s:
        doc = s.get_one(Document, doc_id)
        assert (doc.dossier_code, doc.provisional_code, doc.dossier_provisional) == (real, tam, False)
    assert main(["rekey", real, f"{AGENCY}-200512-0045"]) == ExitCode.BAD_INPUT  # a real code never changes


def test_redigitising_a_signed_paper_supersedes_instead_of_quarantine(pipeline_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from intake import intake_batch

    settings: Settings = pipeline_env[0]
    batch_id, doc_id = seed_approved(settings, f"{AGENCY}-200512-0046", key="again")
    pipeline.release_approved(batch_id, settings)
    (signed,) = results_of(settings, doc_id)
    with session_scope(settings.db_url) as s:
        raw_key = s.get_one(Document, doc_id).raw_key
    again = tmp_path / "again"
    again.mkdir()
    (again / "again.png").write_bytes(ObjectStore(settings).get_bytes(ObjectStore(settings).bucket("raw"), raw_key))
    report = intake_batch(again, province=PROVINCE, agency_code=AGENCY, settings=settings)
    assert report.quarantined == [] and len(report.accepted) == 1
    with session_scope(settings.db_url) as s:
        doc = s.get_one(Document, report.accepted[0])
        assert doc.replaces_result_id == signed.id and doc.dossier_code == f"{AGENCY}-200512-0046"
        assert any(signed.result_code in str(r) for r in doc.review_reasons)
    # the same file twice in one batch is still a duplicate
    (again / "copy.png").write_bytes((again / "again.png").read_bytes())
    assert [r.reason_code for r in intake_batch(again, province=PROVINCE, agency_code=AGENCY,
                                                settings=settings).quarantined] == ["duplicate"]


def seed_new_scan(settings: Settings, *, key: str, fields: dict[str, str], dossier: str | None = None) -> tuple[int, int]:
    """A new scan (other bytes) of a paper, as extraction leaves it: its fields read, not validated yet.
    Without a mã hồ sơ in the manifest it carries the provisional code intake gives a legacy paper."""
    batch_id, doc_id = _seed_record(settings, key=key, scan_text=f"Bản quét mới {key}", fields=fields,
                                    dossier=dossier, provisional=False)
    if dossier is None:
        with session_scope(settings.db_url) as s:
            doc = s.get_one(Document, doc_id)
            doc.dossier_code, doc.dossier_provisional = f"TAM.{AGENCY}-261126-{doc.id:04d}", True
    return batch_id, doc_id


def test_a_new_scan_of_a_signed_paper_becomes_its_next_version(pipeline_env, capsys) -> None:  # type: ignore[no-untyped-def]
    """Re-digitising with a different scan (new bytes; same body, number and date): the supersede path,
    not a duplicate and not a second independent result."""
    from storage.models import ProbableDuplicate

    settings: Settings = pipeline_env[0]
    dossier = f"{AGENCY}-200512-0051"
    batch_id, doc_id = seed_approved(settings, dossier, key="rescan-first")
    pipeline.release_approved(batch_id, settings)
    assert pipeline.sync_batch(batch_id, settings)["delivered"] == 1
    (old,) = results_of(settings, doc_id)

    again_batch, again = seed_new_scan(settings, key="rescan-again", fields=HKD)  # no mã hồ sơ on the new scan
    pipeline.validate_batch(again_batch, settings)
    with session_scope(settings.db_url) as s:
        doc = s.get_one(Document, again)
        assert doc.status == DocumentStatus.NEEDS_REVIEW  # a person confirms the replacement
        assert doc.replaces_result_id == old.id
        assert (doc.dossier_code, doc.dossier_provisional) == (dossier, False)  # the signed paper's dossier
        assert doc.provisional_code and doc.provisional_code.startswith("TAM.")  # kept as its alias
        assert any(old.result_code in str(r) for r in doc.review_reasons)
        assert not any(str(r).startswith(("có thể trùng", "mã hồ sơ tạm thời")) for r in doc.review_reasons)
        assert not list(s.scalars(select(ProbableDuplicate).where(ProbableDuplicate.document_id == again)))
    # no written override needed: it is not a duplicate
    service.approve_document(again, "lan", db_url=settings.db_url)
    assert pipeline.release_approved(again_batch, settings)["signed"] == 1
    (new,) = results_of(settings, again)
    old = results_of(settings, doc_id)[0]
    assert new.result_code == f"{dossier}-KQ2"  # the next version of the dossier, not a second KQ1
    assert (old.superseded_by_id, new.supersedes_id) == (new.id, old.id)
    with session_scope(settings.db_url) as s:
        (event,) = s.scalars(select(OutboxEvent).where(OutboxEvent.result_id == new.id))
        assert (event.payload["result_code"], event.payload["supersedes"]) == (new.result_code, old.result_code)
    assert pipeline.sync_batch(again_batch, settings)["delivered"] == 1
    held_old, held_new = warehouse(settings, old.result_code).json(), warehouse(settings, new.result_code).json()
    assert (held_old["status"], held_old["superseded_by"]) == ("superseded", new.result_code)
    assert (held_new["status"], held_new["supersedes"]) == ("still_valid", old.result_code)

    # a third scan of the same paper replaces the current version (KQ2), never the superseded KQ1
    third_batch, third = seed_new_scan(settings, key="rescan-third", fields=HKD, dossier=dossier)
    pipeline.validate_batch(third_batch, settings)
    with session_scope(settings.db_url) as s:
        assert s.get_one(Document, third).replaces_result_id == new.id


def test_same_dossier_and_number_is_the_same_paper_two_dossiers_are_not(pipeline_env) -> None:  # type: ignore[no-untyped-def]
    from storage.models import ProbableDuplicate

    settings: Settings = pipeline_env[0]
    dossier = f"{AGENCY}-200512-0052"
    batch_id, doc_id = seed_approved(settings, dossier, key="dossier-first")
    pipeline.release_approved(batch_id, settings)
    (old,) = results_of(settings, doc_id)
    # OCR read the body differently this time: the identity rule misses, the dossier and number do not
    misread = HKD | {"issuing_authority": "UBND HUYỆN VẠN NINH PHÒNG TÀI CHÍNH KẾ HOẠCH"}
    again_batch, again = seed_new_scan(settings, key="dossier-again", fields=misread, dossier=dossier)
    pipeline.validate_batch(again_batch, settings)
    with session_scope(settings.db_url) as s:
        assert s.get_one(Document, again).replaces_result_id == old.id
    # the same paper under another REAL dossier code: two dossiers, a person decides (a duplicate)
    other_batch, other = seed_new_scan(settings, key="dossier-other", fields=HKD, dossier=f"{AGENCY}-200512-0053")
    pipeline.validate_batch(other_batch, settings)
    with session_scope(settings.db_url) as s:
        doc = s.get_one(Document, other)
        assert doc.replaces_result_id is None and doc.status == DocumentStatus.NEEDS_REVIEW
        assert {p.other_document_id for p in s.scalars(select(ProbableDuplicate).where(
            ProbableDuplicate.document_id == other))} >= {doc_id}
    with pytest.raises(service.ReviewError):  # no second independent result without a written reason
        service.approve_document(other, "lan", db_url=settings.db_url)


def test_desk_rekey_of_a_signed_provisional_result(pipeline_env) -> None:  # type: ignore[no-untyped-def]
    """The desk's «Gắn mã hồ sơ thật» on a signed provisional result: the same service as `sohoa rekey`;
    the next signing pass signs it under the real code, superseding the provisional one."""
    import re

    from web.auth import create_user

    settings: Settings = pipeline_env[0]
    tam, real = f"TAM.{AGENCY}-261126-0011", f"{AGENCY}-200512-0054"
    batch_id, doc_id = seed_approved(settings, None, key="desk-rekey", provisional=tam)
    pipeline.release_approved(batch_id, settings)
    pipeline.sync_batch(batch_id, settings)
    create_user("lan", "mat-khau-thu-nghiem-1", "steward", provinces=[PROVINCE], full_name="Nguyễn Thị Lan",
                db_url=settings.db_url)
    client = TestClient(create_app(settings))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    client.post("/login", data={"username": "lan", "password": "mat-khau-thu-nghiem-1",
                                "csrf_token": token.group(1), "next": "/review"}, follow_redirects=False)
    page = client.get(f"/review/documents/{doc_id}").text
    assert 'id="btn-rekey"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    r = client.post(f"/review/documents/{doc_id}", data={"action": "rekey", "real_dossier_code": real,
                                                        "csrf_token": token.group(1)}, follow_redirects=False)
    assert "done=rekeyed" in r.headers["location"]
    assert pipeline.release_approved(batch_id, settings)["signed"] == 1
    assert pipeline.sync_batch(batch_id, settings)["delivered"] == 1
    old, new = results_of(settings, doc_id)
    assert (old.result_code, new.result_code) == (f"{tam}-KQ1", f"{real}-KQ1") and new.supersedes_id == old.id
    held_new = warehouse(settings, new.result_code).json()
    assert (held_new["status"], held_new["supersedes"], held_new["result"]["provisional"]) == \
        ("still_valid", old.result_code, False)
    assert warehouse(settings, old.result_code).json()["superseded_by"] == new.result_code
    with session_scope(settings.db_url) as s:
        rekeyed = [a for a in s.scalars(select(AuditEntry)) if a.action == "rekey"]
        assert rekeyed and {a.actor for a in rekeyed} == {"lan"}


def test_the_push_names_the_issuing_agency_by_its_catalogue_code(pipeline_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`sohoa agencies import`: the warehouse gets the issuing agency's code, the printed name only as text."""
    settings: Settings = pipeline_env[0]
    catalogue = tmp_path / "danh_muc.csv"
    catalogue.write_text("mã định danh,tên cơ quan,tỉnh,tên in trên giấy tờ\n"
                         f"{AGENCY},Ủy ban nhân dân huyện Vạn Ninh,Khánh Hòa,\n"  # the keeping agency is listed too
                         "000.15.20.H34,Phòng Tài chính - Kế hoạch huyện Vạn Ninh,Khánh Hòa,"
                         "UBND huyện Vạn Ninh Phòng Tài chính - Kế hoạch\n", encoding="utf-8")
    assert main(["agencies", "import", str(catalogue), "--actor", "lan"]) == ExitCode.OK
    batch_id, doc_id = seed_approved(settings, f"{AGENCY}-200512-0055", key="agency-code")
    assert pipeline.release_approved(batch_id, settings)["signed"] == 1
    assert pipeline.sync_batch(batch_id, settings)["delivered"] == 1
    (result,) = results_of(settings, doc_id)
    held = warehouse(settings, result.result_code).json()["result"]
    assert (held["issuing_agency_code"], held["issuing_agency"]) == ("000.15.20.H34", HKD["issuing_authority"])
    assert held["keeping_agency_code"] == AGENCY


def test_a_revoked_or_superseded_result_cannot_be_reopened(pipeline_env) -> None:  # type: ignore[no-untyped-def]
    settings: Settings = pipeline_env[0]
    batch_id, doc_id = seed_approved(settings, f"{AGENCY}-200512-0047", key="locked")
    pipeline.release_approved(batch_id, settings)
    (result,) = results_of(settings, doc_id)
    revoke_result(result.result_code, "hủy", actor="lan", settings=settings)
    with pytest.raises(LifecycleError, match="thu hồi"):
        reopen_signed(result.result_code, "lan", "sửa", db_url=settings.db_url)


def test_kq_numbers_are_given_in_the_order_of_signing(pipeline_env) -> None:  # type: ignore[no-untyped-def]
    """No KQ2 while KQ1 waits in review: the first record of the dossier signed is KQ1."""
    settings: Settings = pipeline_env[0]
    dossier = f"{AGENCY}-200512-0048"
    waiting_batch, waiting = seed_approved(settings, dossier, key="kq-waiting", approve=False)
    ready_batch, ready = seed_approved(settings, dossier, key="kq-ready")
    assert waiting < ready  # the one entered first is still in review
    pipeline.release_approved(ready_batch, settings)
    assert [r.result_code for r in results_of(settings, ready)] == [f"{dossier}-KQ1"]
    service.approve_document(waiting, "lan", note="đã đối chiếu", db_url=settings.db_url)
    pipeline.release_approved(waiting_batch, settings)
    assert [r.result_code for r in results_of(settings, waiting)] == [f"{dossier}-KQ2"]


def test_desk_and_lookup_page_in_a_real_browser(pipeline_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The steward reopens a signed record on the desk; the public look-up page shows valid, then
    superseded (linking the new version), then revoked; a holder checks a PDF on it (Chromium)."""
    import threading

    from playwright.sync_api import expect, sync_playwright

    from testing.browser import ARTIFACTS, launch_chromium, serve_app
    from web.auth import create_user

    settings: Settings = pipeline_env[0]
    dossier = f"{AGENCY}-200512-0049"
    batch_id, doc_id = seed_approved(settings, dossier, key="browser")
    pipeline.release_approved(batch_id, settings)
    (first,) = results_of(settings, doc_id)
    create_user("lan", "mat-khau-thu-nghiem-1", "steward", provinces=[PROVINCE], full_name="Nguyễn Thị Lan",
                db_url=settings.db_url)
    with serve_app(settings) as base, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(f"{base}/tra-cuu?ma={first.result_code}")  # the form sends to the code's page
        expect(page.locator("#lookup-state")).to_contain_text("Còn giá trị")
        expect(page.locator("#lookup-code")).to_have_text(first.result_code)

        page.goto(f"{base}/review/documents/{doc_id}")
        page.fill("input[name=username]", "lan")
        page.fill("input[name=password]", "mat-khau-thu-nghiem-1")
        page.click("button[type=submit]")
        page.goto(f"{base}/review/documents/{doc_id}")
        expect(page.locator("#results")).to_contain_text(first.result_code)
        page.fill("#reopen-reason", "số đăng ký đọc sai một chữ số")
        page.click("#btn-reopen")
        expect(page.locator(".flash")).to_contain_text("Đã mở lại")
        expect(page.locator("#btn-approve")).to_be_visible()  # editable again
        page.screenshot(path=str(ARTIFACTS / "after-signing-desk-reopened.png"), full_page=True)

        service.correct_fields(doc_id, {"registration_number": "37A8012346"}, "lan", db_url=settings.db_url)
        service.approve_document(doc_id, "lan", note="đính chính", db_url=settings.db_url)
        # pyHanko runs its own event loop: not in the thread where Playwright's sync API runs one
        signer = threading.Thread(target=pipeline.release_approved, args=(batch_id, settings))
        signer.start()
        signer.join(timeout=120)
        _, new = results_of(settings, doc_id)

        page.goto(f"{base}/tra-cuu/{first.result_code}")
        expect(page.locator("#superseded-notice")).to_contain_text(new.result_code)
        page.screenshot(path=str(ARTIFACTS / "after-signing-lookup-superseded.png"), full_page=True)
        page.click(f"#superseded-notice a[href$='{new.result_code}']")
        expect(page.locator("#lookup-state")).to_contain_text("Còn giá trị")
        expect(page.locator("#supersedes")).to_contain_text(first.result_code)

        revoke_result(new.result_code, "Quyết định thu hồi số 5/QĐ-UBND", actor="lan", settings=settings)
        page.reload()
        expect(page.locator("#revoked-notice")).to_contain_text("ĐÃ THU HỒI")
        expect(page.locator("#revoked-notice")).to_contain_text("Quyết định thu hồi số 5/QĐ-UBND")
        pdf = stored_pdf(settings, new, tmp_path / "received.pdf")
        page.set_input_files("#check-file", str(pdf))
        page.click("#check-submit")
        expect(page.locator("#check-result")).to_contain_text("trùng khớp từng byte")
        page.screenshot(path=str(ARTIFACTS / "after-signing-lookup-revoked.png"), full_page=True)
        browser.close()


def test_the_qr_codes_lead_to_the_lookup_page_that_answers(pipeline_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The marker's QR code and the paper print's QR and look-up line name this system's look-up page,
    and that page answers for the code (no invented portal address)."""
    import subprocess

    import cv2
    import numpy as np

    settings: Settings = pipeline_env[0]
    batch_id, doc_id = seed_approved(settings, f"{AGENCY}-200512-0050", key="qr")
    pipeline.release_approved(batch_id, settings)
    (result,) = results_of(settings, doc_id)
    signed = stored_pdf(settings, result, tmp_path / "signed.pdf")
    printed = tmp_path / "print.pdf"
    assert main(["print-copy", str(signed), "-o", str(printed)]) == ExitCode.OK
    wanted = f"{settings.public_url}/tra-cuu/{result.result_code}"
    client = TestClient(create_app(settings))
    for pdf, page, name in ((signed, 1, "marker"), (printed, 1, "print")):
        # the marker's QR code on this small test scan is ~20 mm: rendered finely enough to decode
        subprocess.run(["pdftoppm", "-r", "600" if name == "marker" else "200", "-gray", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                        str(tmp_path / name)], check=True)
        text, *_ = cv2.QRCodeDetector().detectAndDecode(np.array(Image.open(tmp_path / f"{name}.pgm")))
        assert text, f"no QR code found on the {name}"
        assert json.loads(text)["lookup_url"] == wanted, name
        answer = client.get(wanted.removeprefix(settings.public_url))
        assert answer.status_code == 200 and result.result_code in answer.text
    with pikepdf.open(printed) as doc:
        assert len(doc.pages) == 2  # the cover, then the result's page
