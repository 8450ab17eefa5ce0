"""Page quality on the desk (issue 14): the record page names each flagged page with its thumbnail and
asks for a note before approval; the batch page and the batch's validation report list the pages."""

from __future__ import annotations

from review import service
from storage.db import session_scope
from storage.models import Batch, Document, Field, Page, QuarantineEntry, RuleOutcome

from .conftest import GOOD_HKD, csrf_of

CLEAN = {"dpi": 300, "flags": []}
BLANK = {"dpi": 200, "flags": ["blank"], "blank": True}
TINY = {"dpi": 70, "flags": ["low_resolution", "too_small"]}


def _flag(sohoa_env, doc_id: int, qualities: list[dict]) -> None:  # type: ignore[no-untyped-def,type-arg]
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, doc_id)
        doc.page_count = len(qualities)
        for n, q in enumerate(qualities, start=1):
            s.add(Page(document_id=doc_id, number=n, width=1654, height=2339, dpi=q["dpi"], quality=q))
        s.flush()
        service.revalidate_document(s, doc)


def test_the_record_and_batch_pages_show_the_flagged_pages(sohoa_env, app_client, users, seed) -> None:  # type: ignore[no-untyped-def]
    batch_id, (blank_doc, tiny_doc, clean_doc) = seed([
        {"fields": GOOD_HKD}, {"fields": GOOD_HKD | {"document_number": "2/GCN-TCKH"}},
        {"fields": GOOD_HKD | {"document_number": "3/GCN-TCKH"}}])
    _flag(sohoa_env, blank_doc, [CLEAN, BLANK])
    _flag(sohoa_env, tiny_doc, [TINY])
    _flag(sohoa_env, clean_doc, [CLEAN])
    client = app_client("lan")
    page = client.get(f"/review/documents/{blank_doc}").text
    assert "Chất lượng bản quét" in page
    assert "Trang 2/2</b>: trang trắng, không có nội dung — cần quét lại" in page
    assert f'src="/review/documents/{blank_doc}/pages/2.png"' in page and 'class="thumb"' in page
    assert 'class="page-tab flagged" data-page="2"' in page  # the page's tab is marked too
    assert 'data-required="yes"' in page  # a note is asked for before approval
    r = client.post(f"/review/documents/{blank_doc}", data={"action": "approve", "csrf_token": csrf_of(page)},
                    follow_redirects=False)
    assert r.status_code == 303 and "error=" in r.headers["location"]
    assert "quét lại" in client.get(r.headers["location"]).text
    assert "Chất lượng bản quét" not in client.get(f"/review/documents/{clean_doc}").text

    batch_page = client.get(f"/review/batches/{batch_id}").text
    table = batch_page[batch_page.index('id="page-quality"'):]
    table = table[:table.index("</table>")]
    assert f">#{blank_doc}</a>" in table and f">#{tiny_doc}</a>" in table and f">#{clean_doc}</a>" not in table
    assert "ảnh quá nhỏ (70 dpi)" in table
    assert f'src="/review/documents/{blank_doc}/pages/2.png"' in table  # the page's thumbnail


def test_the_validation_report_names_the_page_and_the_problem(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from review.report import render_validation_report

    batch_id, (doc_id,) = seed([{"fields": GOOD_HKD}])
    _flag(sohoa_env, doc_id, [CLEAN, BLANK])
    with session_scope(sohoa_env.db_url) as s:
        html = render_validation_report(
            s.get_one(Batch, batch_id), list(s.scalars(select(Document))), list(s.scalars(select(Field))),
            list(s.scalars(select(RuleOutcome))), list(s.scalars(select(QuarantineEntry))))
    assert "bản quét trang 2/2: trang trắng, không có nội dung — cần quét lại" in html
    assert "class='err page-quality'" in html
