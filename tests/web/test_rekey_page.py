"""The desk's re-key button (issue 15): a steward links a provisional TAM.… dossier code to the real
mã hồ sơ from the record page, through the same service as `sohoa rekey`; the code is checked
(core.identifiers.is_dossier_code), the form needs its CSRF token, and the audit names the steward.
A signed provisional result re-keyed from the desk: tests/integration/test_after_signing.py."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import session_scope
from storage.models import AuditEntry, Document
from storage.review_models import ReviewAction, ReviewDecision

from .conftest import GOOD_HKD, csrf_of

TAM = "TAM.000.00.15.H34-261126-0009"
REAL = "000.00.15.H34-200512-0077"


def _provisional(sohoa_env, seed) -> int:  # type: ignore[no-untyped-def]
    _, (doc_id,) = seed([{"fields": GOOD_HKD}], key="rekey-page")
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        doc.dossier_code, doc.dossier_provisional = TAM, True
    return doc_id


def test_a_steward_rekeys_a_provisional_record_from_its_page(sohoa_env, app_client, users, seed) -> None:  # type: ignore[no-untyped-def]
    doc_id = _provisional(sohoa_env, seed)
    client = app_client("lan")
    page = client.get(f"/review/documents/{doc_id}").text
    assert 'id="btn-rekey"' in page and "(tạm thời)" in page

    # not a mã hồ sơ: refused with its own banner, nothing changed
    for bad in ("ABC", "000.00.15.H34-201399-0001", ""):  # no shape; 13th month; empty
        r = client.post(f"/review/documents/{doc_id}", data={"action": "rekey", "real_dossier_code": bad,
                                                            "csrf_token": csrf_of(page)}, follow_redirects=False)
        assert r.status_code == 303 and "error=dossier_code" in r.headers["location"], bad
        assert "không đúng dạng" in client.get(r.headers["location"]).text
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).dossier_code == TAM

    # without the form's token nothing happens
    r = client.post(f"/review/documents/{doc_id}", data={"action": "rekey", "real_dossier_code": REAL},
                    follow_redirects=False)
    assert r.status_code == 403
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).dossier_code == TAM

    r = client.post(f"/review/documents/{doc_id}", data={"action": "rekey", "real_dossier_code": f" {REAL} ",
                                                        "csrf_token": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303 and "done=rekeyed" in r.headers["location"]
    after = client.get(r.headers["location"]).text
    assert "Đã gắn hồ sơ" in after and REAL in after and 'id="btn-rekey"' not in after  # real now: no button
    assert f"(mã tạm trước đây: {TAM})" in after  # the alias stays visible
    assert "Đổi mã hồ sơ tạm sang mã thật" in after  # the history shows it
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        assert (doc.dossier_code, doc.provisional_code, doc.dossier_provisional) == (REAL, TAM, False)
        (audit,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "rekey"))
        assert (audit.actor, audit.entity_id) == ("lan", str(doc_id))
        assert (audit.detail["provisional"], audit.detail["real"]) == (TAM, REAL)
        (decision,) = s.scalars(select(ReviewDecision).where(ReviewDecision.action == ReviewAction.REKEY))
        assert decision.actor == "lan"

    # a real code never changes, even if the form is posted again
    r = client.post(f"/review/documents/{doc_id}", data={"action": "rekey", "real_dossier_code": "000.00.15.H34-200512-0078",
                                                        "csrf_token": csrf_of(after)}, follow_redirects=False)
    assert "error=not_provisional" in r.headers["location"]
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).dossier_code == REAL


def test_only_a_steward_of_the_province_or_a_manager_may_rekey(sohoa_env, app_client, users, seed) -> None:  # type: ignore[no-untyped-def]
    doc_id = _provisional(sohoa_env, seed)
    operator = app_client("op")
    page = operator.get(f"/review/documents/{doc_id}").text
    assert 'id="btn-rekey"' not in page
    r = operator.post(f"/review/documents/{doc_id}", data={"action": "rekey", "real_dossier_code": REAL,
                                                          "csrf_token": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 403
    other = app_client("hung")  # a steward of Hà Nội: the record does not exist for them
    token = csrf_of(other.get("/review").text)
    r = other.post(f"/review/documents/{doc_id}", data={"action": "rekey", "real_dossier_code": REAL,
                                                       "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 404
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).dossier_code == TAM
    boss = app_client("boss")
    page = boss.get(f"/review/documents/{doc_id}").text
    r = boss.post(f"/review/documents/{doc_id}", data={"action": "rekey", "real_dossier_code": REAL,
                                                      "csrf_token": csrf_of(page)}, follow_redirects=False)
    assert "done=rekeyed" in r.headers["location"]
    with session_scope(sohoa_env.db_url) as s:
        (audit,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "rekey"))
        assert audit.actor == "boss"
