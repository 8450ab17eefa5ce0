"""Steward actions: corrections with history (Art. 12.3), approval, rejection, provinces, release."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from review import service
from storage.db import session_scope
from storage.models import Document, DocumentStatus, Field, FieldChange, Result, RuleOutcome
from storage.review_models import Role, User, UserProvince

from .conftest import GOOD_HKD


def _user(role: str, *provinces: str) -> User:
    return User(username=f"u-{role}", role=role, password_hash="x",
                provinces=[UserProvince(province=p) for p in provinces])


def test_every_amendment_keeps_who_when_old_and_new_value(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    _, (doc_id,) = seed([{"fields": GOOD_HKD | {"holder_id_number": ("056186001234", 0.55)}}])
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).status == DocumentStatus.NEEDS_REVIEW
    correction = service.correct_fields(doc_id, {"holder_id_number": "056185001234",
                                                 "holder_name": GOOD_HKD["holder_name"]}, "lan")
    assert correction.changed == ("holder_id_number",)  # an unchanged value is no amendment
    with session_scope(sohoa_env.db_url) as s:
        (change,) = s.scalars(select(FieldChange).where(FieldChange.document_id == doc_id))
        assert (change.field_name, change.old_value, change.new_value, change.changed_by) == (
            "holder_id_number", "056186001234", "056185001234", "lan")
        assert change.changed_at is not None
        field = s.scalar(select(Field).where(Field.document_id == doc_id, Field.name == "holder_id_number"))
        assert field.source == "steward" and field.confidence == 1.0
        # validation ran again: the CCCD rule passes now, and no stale failure is left behind
        outcome = s.scalar(select(RuleOutcome).where(RuleOutcome.document_id == doc_id,
                                                     RuleOutcome.rule == "cccd_structure"))
        assert outcome.passed
        assert not list(s.scalars(select(RuleOutcome).where(RuleOutcome.document_id == doc_id,
                                                            RuleOutcome.passed.is_(False))))
        # still the steward's to approve: a correction alone never approves
        assert s.get_one(Document, doc_id).status == DocumentStatus.NEEDS_REVIEW
    view = service.record_view(doc_id)
    assert [(h.what, h.field_name) for h in view.history] == [("change", "holder_id_number"), ("correct", "")]


def test_approval_with_errors_left_needs_a_note(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    _, (doc_id,) = seed([{"fields": GOOD_HKD | {"issue_date": "1930-01-01"}}])
    with pytest.raises(service.ReviewError, match="lỗi"):
        service.approve_document(doc_id, "lan")
    service.approve_document(doc_id, "lan", note="bản gốc ghi đúng năm 1930, đã đối chiếu sổ")
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).status == DocumentStatus.APPROVED


def test_rejection_needs_a_reason_and_keeps_it(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    _, (doc_id,) = seed([{"fields": GOOD_HKD | {"holder_name": ("Tr4n", 0.2)}}])
    with pytest.raises(service.ReviewError):
        service.reject_document(doc_id, "lan", "  ")
    service.reject_document(doc_id, "lan", "bản quét mờ, cần quét lại")
    view = service.record_view(doc_id)
    assert view.document.status == DocumentStatus.REJECTED
    assert view.history[-1].what == "reject" and view.history[-1].reason == "bản quét mờ, cần quét lại"


def test_a_signed_result_cannot_be_edited(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    _, (doc_id,) = seed([{"fields": GOOD_HKD}])
    with session_scope(sohoa_env.db_url) as s:
        s.add(Result(document_id=doc_id, result_code="X-KQ1", converter="c", converted_at=datetime.now(UTC),
                     signer="s", work_key="k", signed_sha256="0" * 64))
        s.get_one(Document, doc_id).status = DocumentStatus.SIGNED
    with pytest.raises(service.ReviewError, match="ký số"):
        service.correct_fields(doc_id, {"holder_name": "Lê Văn Tám"}, "lan")


def test_a_steward_sees_only_assigned_provinces(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    seed([{"fields": GOOD_HKD}], province="Khánh Hòa", key="a")
    seed([{"fields": GOOD_HKD}], province="Ninh Thuận", key="b")  # merged into Khánh Hòa in 2025
    seed([{"fields": GOOD_HKD}], province="Hà Nội", key="c")
    steward = _user(Role.STEWARD, "Khánh Hòa")
    seen = {r.document.province for r in service.queue(steward, status=None).rows}
    assert seen == {"Khánh Hòa", "Ninh Thuận"}
    assert not service.can_see(steward, "Hà Nội")
    manager = _user(Role.MANAGER)
    assert {r.document.province for r in service.queue(manager, status=None).rows} == {
        "Khánh Hòa", "Ninh Thuận", "Hà Nội"}
    assert not service.can_review(_user(Role.OPERATOR), "Khánh Hòa")


def test_queue_puts_the_least_confident_record_first(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    _, ids = seed([{"fields": GOOD_HKD | {"holder_name": ("Trần Thị Bích Ngọc", 0.7)}},
                   {"fields": GOOD_HKD | {"holder_name": ("Trần Thị Bích Ngọc", 0.3)}},
                   {"fields": GOOD_HKD}])
    manager = _user(Role.MANAGER)
    q = service.queue(manager)
    assert [r.document.id for r in q.rows] == [ids[1], ids[0]]  # the clean one is auto-approved
    assert service.next_doubtful(manager) == ids[1]
    assert service.next_doubtful(manager, after=ids[1]) == ids[0]
    assert sum(q.counts.values(), start=__import__("collections").Counter())["approved"] == 1


def test_only_approved_records_are_released_for_signing(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    batch_id, ids = seed([{"fields": GOOD_HKD}, {"fields": GOOD_HKD | {"holder_name": ("Tr4n Thi", 0.4)}}])
    assert service.approved_unsigned(batch_id) == [ids[0]]
    assert service.approved_unsigned_batches() == [batch_id]
    service.approve_document(ids[1], "lan", note="tên đúng theo bản gốc")
    assert service.approved_unsigned(batch_id) == ids


def test_a_withheld_field_shows_on_the_desk_with_its_reason(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    """An approved record whose doubtful recipients list is left out of the signed data: the desk shows
    the value as read, the failed check and the withheld note on the field; nothing on other fields."""
    from storage.records import withheld_fields

    _, (doc_id,) = seed([{"fields": GOOD_HKD | {"recipients": ("Chủ hộ kinh doanh; Lưu: VT", 0.73)}}])
    view = service.record_view(doc_id)
    assert view.document.status == DocumentStatus.APPROVED and view.document.review_reasons == []
    field = next(f for f in view.fields if f.name == "recipients")
    assert field.value == "Chủ hộ kinh doanh; Lưu: VT"
    assert {o.rule for o in field.failed} == {"confidence", "withheld"}
    assert all(not f.failed for f in view.fields if f.name != "recipients")
    with session_scope() as s:
        assert withheld_fields(s, doc_id) == {"recipients": "không đưa vào dữ liệu ký số (độ tin cậy 0,73 < ngưỡng 0,90)"}


def test_revalidation_keeps_earlier_stage_flags(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    _, (doc_id,) = seed([{"fields": GOOD_HKD | {"holder_name": ("Tr4n", 0.3)}}])
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        doc.review_reasons = ["page_count_mismatch: manifest 2, scan 1", *doc.review_reasons]
    service.correct_fields(doc_id, {"holder_name": GOOD_HKD["holder_name"]}, "lan")
    with session_scope(sohoa_env.db_url) as s:
        reasons = s.get_one(Document, doc_id).review_reasons
    assert reasons == ["page_count_mismatch: manifest 2, scan 1"]  # the name problem is gone, the flag stays


def test_one_province_matcher_for_intake_rules_users_and_queues(sohoa_env, seed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A batch spelled "Khánh Hoà" passes the catalogue rule and is in the "Khánh Hòa" steward's queue;
    a steward added as "Khánh Hoà" is the same steward; the queue's province filter agrees."""
    from intake import intake_batch
    from samples import generate_batch
    from web.auth import create_user

    generate_batch(tmp_path / "batch", count=1, seed=3, formats=("png",), damages=("light",))
    intake = intake_batch(tmp_path / "batch", province="Khánh Hoà", agency_code="000.00.15.H34", settings=sohoa_env)
    _, (legacy,) = seed([{"fields": GOOD_HKD}], province="Khánh Hoà", key="legacy")  # stored before this change
    with session_scope(sohoa_env.db_url) as s:
        (taken,) = s.scalars(select(Document).where(Document.batch_id == intake.batch_id))
        assert taken.province == "Khánh Hòa"
        outcome = s.scalar(select(RuleOutcome).where(RuleOutcome.document_id == legacy,
                                                     RuleOutcome.rule == "province_in_catalogue"))
        assert outcome is not None and outcome.passed
        assert s.get_one(Document, legacy).status == DocumentStatus.APPROVED
    steward = _user(Role.STEWARD, "Khánh Hòa")
    assert {r.document.id for r in service.queue(steward, status=None).rows} == {taken.id, legacy}
    create_user("lan", "mat-khau-du-dai-1", "steward", provinces=["Khánh Hoà", "khánh hòa"], db_url=sohoa_env.db_url)
    with session_scope(sohoa_env.db_url) as s:
        lan = s.scalar(select(User).where(User.username == "lan"))
        assert lan.province_names == ["Khánh Hòa"]  # one assignment, in the catalogue's spelling
        assert {r.document.id for r in service.queue(lan, status=None).rows} == {taken.id, legacy}
    for spelling in ("Khánh Hoà", "Khánh Hòa"):
        assert {r.document.id for r in service.queue(steward, status=None, province=spelling).rows} == {
            taken.id, legacy}
