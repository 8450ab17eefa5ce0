"""Still valid (Decree 45 Art. 25.1, issue 14): a marital-status confirmation issued in 2019 (valid
6 months) is not signed as a valid result. It goes to a steward with the reason; a plain approval is
refused; the steward may approve it as archive only (method a), and that decision is recorded and
signed with still_valid false, no structured data, no warehouse push. Real intake, S3, PAdES."""

from __future__ import annotations

from datetime import date

import pikepdf
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from review import service
from review.service import revalidate_document
from signing.pki import make_test_pki
from sohoa.pipeline import release_approved
from storage.db import session_scope
from storage.models import AuditEntry, Document, DocumentStatus, Field, OutboxEvent, Result
from storage.objects import ObjectStore
from storage.review_models import ReviewAction, ReviewDecision

from .conftest import GOOD_HKD


@pytest.fixture
def signing_env(sohoa_env, tmp_path):  # type: ignore[no-untyped-def]
    pki = make_test_pki(tmp_path / "pki", converter=sohoa_env.converter_name)
    return sohoa_env.model_copy(update={"signing_pkcs12": pki.agency_p12,
                                        "signing_password": SecretStr(pki.password.decode())})


def test_expired_confirmation_goes_to_a_steward_and_is_archived_only_on_request(signing_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from intake import intake_batch
    from samples import generate_batch

    samples = generate_batch(tmp_path / "batch", count=2, seed=5, damages=("light",), formats=("png",),
                             document_types=("xac_nhan_tinh_trang_hon_nhan",),
                             issue_dates={0: date(2019, 4, 2)})
    assert samples[0].truth["fields"]["issue_date"] == "2019-04-02"
    assert date.fromisoformat(samples[1].truth["fields"]["issue_date"]) > date.today().replace(day=1).replace(
        year=date.today().year - 1)  # the generator's default: a recent, still valid confirmation
    batch_id = intake_batch(tmp_path / "batch", province="Khánh Hòa", agency_code="000.00.15.H34",
                            settings=signing_env).batch_id
    truth = {s.file_name: s.truth["fields"] for s in samples}
    with session_scope(signing_env.db_url) as s:
        docs = list(s.scalars(select(Document).where(Document.batch_id == batch_id).order_by(Document.id)))
        for doc in docs:  # what a clean extraction gives
            for name, value in truth[doc.file_name].items():
                if value is not None:
                    s.add(Field(document_id=doc.id, name=name, value=value, confidence=0.97))
            doc.status = DocumentStatus.EXTRACTED
            s.flush()
            revalidate_document(s, doc)
        old, fresh = docs[0].id, docs[1].id
        assert [d.status for d in docs] == [DocumentStatus.NEEDS_REVIEW, DocumentStatus.APPROVED], \
            [d.review_reasons for d in docs]
        assert any("đã hết hiệu lực (có giá trị đến hết ngày 02/10/2019)" in r for r in docs[0].review_reasons)

    with pytest.raises(service.ReviewError, match="còn hiệu lực"):  # archive only is for expired papers
        service.approve_archive_only(fresh, "lan", note="x", db_url=signing_env.db_url)
    # the valid one is signed as valid; the expired one waits
    assert release_approved(batch_id, signing_env)["signed"] == 1
    with pytest.raises(service.ReviewError, match="Duyệt lưu trữ"):
        service.approve_document(old, "lan", note="đã đối chiếu", db_url=signing_env.db_url)
    with pytest.raises(service.ReviewError, match="quyết định của cơ quan"):
        service.approve_archive_only(old, "lan", note=" ", db_url=signing_env.db_url)
    service.approve_archive_only(old, "lan", note="UBND xã yêu cầu lưu trữ bản quét", db_url=signing_env.db_url)
    assert release_approved(batch_id, signing_env)["signed"] == 1

    store = ObjectStore(signing_env)
    with session_scope(signing_env.db_url) as s:
        results = {r.document_id: r for r in s.scalars(select(Result))}
        assert results[fresh].still_valid is True and results[old].still_valid is False
        decision = s.scalar(select(ReviewDecision).where(ReviewDecision.document_id == old,
                                                         ReviewDecision.action == ReviewAction.ARCHIVE))
        assert decision is not None and decision.actor == "lan" and "lưu trữ" in decision.reason
        audit = s.scalar(select(AuditEntry).where(AuditEntry.action == "approve_archive_only"))
        assert audit is not None and audit.detail["method"] == "a" and "hết hiệu lực" in audit.detail["why"]
        pushed = {e.result_id for e in s.scalars(select(OutboxEvent))}
        assert results[fresh].id in pushed and results[old].id not in pushed  # the warehouse gets valid results only
        keys = {d: (r.work_key, r.signed_sha256) for d, r in results.items()}
    attached = {}
    for doc_id, (key, sha) in keys.items():
        path = tmp_path / f"{doc_id}.pdf"
        path.write_bytes(store.get_bytes(store.bucket("work"), key, expected_sha256=sha))
        with pikepdf.open(path) as pdf:
            attached[doc_id] = set(pdf.attachments)
    assert attached[fresh] == {"fields.json"} and attached[old] == set()  # method a: the scan only


def test_a_record_that_expired_after_approval_is_not_signed(signing_env, seed) -> None:  # type: ignore[no-untyped-def]
    """Approved while still valid, expired on the day of signing: back to a steward, nothing signed."""
    from sohoa import pipeline
    from storage.models import RuleOutcome

    marriage = {"issuing_authority": "ỦY BAN NHÂN DÂN XÃ VẠN THẮNG", "document_number": "12/UBND-XNTTHN",
                "issue_date": "2019-04-02", "title": "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
                "signer_name": "Nguyễn Văn An", "signer_title": "CHỦ TỊCH", "holder_name": "Trần Thị Bích Ngọc",
                "holder_birth_date": "1985-03-04", "holder_id_number": "056185001234",
                "marital_status": "Chưa đăng ký kết hôn với ai"}
    batch_id, (doc_id,) = seed([{"type": "xac_nhan_tinh_trang_hon_nhan", "fields": marriage}])
    with session_scope(signing_env.db_url) as s:  # as it stood in May 2019, when a steward approved it
        for row in s.scalars(select(RuleOutcome).where(RuleOutcome.document_id == doc_id,
                                                       RuleOutcome.rule == "still_valid")):
            s.delete(row)
        s.get_one(Document, doc_id).status = DocumentStatus.APPROVED
    assert service.signing_terms(doc_id, today=date(2019, 5, 1), db_url=signing_env.db_url).may_sign
    assert pipeline.sign_batch(batch_id, signing_env)["signed"] == 0
    with session_scope(signing_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        assert doc.status == DocumentStatus.NEEDS_REVIEW
        assert any("đã hết hiệu lực" in r for r in doc.review_reasons)
        assert s.scalar(select(Result.id)) is None
    with pytest.raises(service.ReviewError, match="Duyệt lưu trữ"):  # the rule is on record again
        service.approve_document(doc_id, "lan", note="ok", db_url=signing_env.db_url)


def test_a_household_business_certificate_replaced_by_a_later_one_is_no_longer_valid(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    later = GOOD_HKD | {"issue_date": "2023-08-01", "document_number": "2001/GCN-TCKH"}
    other = GOOD_HKD | {"registration_number": "37A8099999", "issue_date": "2024-01-05"}
    _, (first, second, third) = seed([{"fields": GOOD_HKD}, {"fields": later}, {"fields": other}])
    with session_scope(sohoa_env.db_url) as s:
        for doc_id in (first, second, third):
            revalidate_document(s, s.get_one(Document, doc_id))
    with session_scope(sohoa_env.db_url) as s:
        docs = {d.id: d for d in s.scalars(select(Document))}
        assert docs[first].status == DocumentStatus.NEEDS_REVIEW
        assert any(f"đã được thay thế bởi hồ sơ #{second} (ngày 01/08/2023)" in r for r in docs[first].review_reasons)
        assert docs[second].status == DocumentStatus.APPROVED and docs[third].status == DocumentStatus.APPROVED
