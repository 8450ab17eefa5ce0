"""The desk's re-scan action and list (issue 14): "Yêu cầu quét lại" with a reason, the list per batch
and province, and its CSV for the scanning team; a steward sees only the provinces assigned."""

from __future__ import annotations

from review import service
from storage.db import session_scope
from storage.models import Document, DocumentStatus, Page

from .conftest import GOOD_HKD, csrf_of


def test_a_steward_asks_for_a_rescan_and_the_team_gets_the_list(sohoa_env, app_client, users, seed) -> None:  # type: ignore[no-untyped-def]
    batch_id, (doc_id, other) = seed([{"fields": GOOD_HKD}, {"fields": GOOD_HKD | {"document_number": "5/GCN-TCKH"}}])
    seed([{"fields": GOOD_HKD}], province="Hà Nội", agency="000.00.01.H26", key="hn")
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        doc.page_count = 2
        s.add(Page(document_id=doc_id, number=1, width=10, height=10, dpi=300, quality={"dpi": 300, "flags": []}))
        s.add(Page(document_id=doc_id, number=2, width=10, height=10, dpi=200,
                   quality={"dpi": 200, "flags": ["blank"]}))
        s.flush()
        service.revalidate_document(s, doc)
    client = app_client("lan")
    page = client.get(f"/review/documents/{doc_id}").text
    assert 'id="btn-rescan"' in page and ">Yêu cầu quét lại</button>" in page
    # the reason is filled in from the flagged page; the steward may change it
    assert 'value="trang 2/2: trang trắng, không có nội dung — cần quét lại"' in page
    r = client.post(f"/review/documents/{doc_id}", data={
        "action": "rescan", "csrf_token": csrf_of(page), "rescan_reason": "trang 2 trắng: quét cả mặt sau"},
        follow_redirects=False)
    assert r.status_code == 303
    assert "Đã yêu cầu quét lại hồ sơ" in client.get(r.headers["location"]).text
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).status == DocumentStatus.RESCAN
    record = client.get(f"/review/documents/{doc_id}").text
    assert "Chờ quét lại" in record and 'id="awaiting-rescan"' in record and 'id="btn-rescan"' not in record
    assert "Yêu cầu quét lại" in record  # in the history

    listing = client.get(f"/review/rescans?batch={batch_id}").text
    table = listing[listing.index('id="rescans"'):]
    assert f">#{doc_id}</a>" in table and f">#{other}</a>" not in table
    assert "trang 2 trắng: quét cả mặt sau" in table and "<td>2</td>" in table
    queue = client.get("/review").text
    assert f'href="/review/rescans?batch={batch_id}">1</a>' in queue  # the batch's count links the list
    csv = client.get(f"/review/rescans.csv?batch={batch_id}")
    assert csv.headers["content-type"].startswith("text/csv")
    assert f"{doc_id},{batch_id},Khánh Hòa" in csv.text and "trang 2 trắng: quét cả mặt sau" in csv.text

    # another province's steward does not see it; an operator sees it but may not ask for a re-scan
    assert f">#{doc_id}</a>" not in app_client("hung").get("/review/rescans").text
    operator = app_client("op")
    assert f">#{doc_id}</a>" in operator.get("/review/rescans").text
    token = csrf_of(operator.get(f"/review/documents/{other}").text)
    r = operator.post(f"/review/documents/{other}", data={"action": "rescan", "csrf_token": token,
                                                          "rescan_reason": "mờ"}, follow_redirects=False)
    assert r.status_code == 403
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, other).status != DocumentStatus.RESCAN


def test_a_rescan_without_a_reason_is_refused(sohoa_env, app_client, users, seed) -> None:  # type: ignore[no-untyped-def]
    _, (doc_id,) = seed([{"fields": GOOD_HKD}])
    client = app_client("lan")
    page = client.get(f"/review/documents/{doc_id}").text
    r = client.post(f"/review/documents/{doc_id}", data={"action": "rescan", "csrf_token": csrf_of(page),
                                                        "rescan_reason": ""}, follow_redirects=False)
    assert "error=" in r.headers["location"]
    assert "Phải ghi lý do cần quét lại" in client.get(r.headers["location"]).text  # the code's fixed text
