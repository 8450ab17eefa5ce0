"""The type selector on the record page (issue 14): Vietnamese names, not codes; changing the type is
kept in the history and the record is validated again as the new type."""

from __future__ import annotations

from storage.db import session_scope
from storage.models import Document

from .conftest import GOOD_HKD, csrf_of


def test_a_steward_changes_the_type_from_the_record_page(sohoa_env, app_client, users, seed) -> None:  # type: ignore[no-untyped-def]
    general = {k: v for k, v in GOOD_HKD.items() if k not in ("registration_number", "business_name")}
    _, (doc_id,) = seed([{"fields": general | {"title": "QUYẾT ĐỊNH"}, "type": "van_ban_hanh_chinh"}])
    client = app_client("lan")
    page = client.get(f"/review/documents/{doc_id}").text
    assert '<select name="document_type" id="document-type">' in page
    assert '<option value="quyet_dinh">Quyết định</option>' in page
    assert '<option value="van_ban_hanh_chinh" selected>Văn bản hành chính</option>' in page
    r = client.post(f"/review/documents/{doc_id}", data={"action": "change_type", "document_type": "quyet_dinh",
                                                        "csrf_token": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303
    after = client.get(r.headers["location"]).text
    assert "Đã đổi loại giấy tờ của hồ sơ" in after and f"Hồ sơ #{doc_id} — Quyết định" in after
    assert "Đổi loại giấy tờ" in after and "Văn bản hành chính → Quyết định" in after  # the history
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).document_type == "quyet_dinh"
    # a made-up code is refused with a reason, and an operator may not change anything
    r = client.post(f"/review/documents/{doc_id}", data={"action": "change_type", "document_type": "khong_co",
                                                        "csrf_token": csrf_of(after)}, follow_redirects=False)
    assert "không có trong danh mục" in client.get(r.headers["location"]).text
    operator = app_client("op")
    token = csrf_of(operator.get(f"/review/documents/{doc_id}").text)
    r = operator.post(f"/review/documents/{doc_id}", data={"action": "change_type", "csrf_token": token,
                                                          "document_type": "giay_phep_xay_dung"}, follow_redirects=False)
    assert r.status_code == 403
