"""The record page of a probable duplicate links the other record; approving it takes a reason."""

from __future__ import annotations

from sqlalchemy import select

from review.duplicates import route_duplicates
from schemas.rules import Route
from storage.db import session_scope
from storage.models import Document, DocumentStatus, ProbableDuplicate

from .conftest import GOOD_HKD, csrf_of


def test_the_record_page_links_the_other_record_and_asks_why_before_approving(
        sohoa_env, app_client, users, seed) -> None:  # type: ignore[no-untyped-def]
    _, (first, second) = seed([{"fields": GOOD_HKD}, {"fields": GOOD_HKD}])
    with session_scope(sohoa_env.db_url) as s:  # what the pipeline's validate step does
        doc = s.get_one(Document, second)
        route, doc.review_reasons = route_duplicates(s, doc, Route.APPROVED, list(doc.review_reasons))
        assert route == Route.NEEDS_REVIEW
        doc.status = DocumentStatus.NEEDS_REVIEW
        assert [(p.other_document_id, p.basis) for p in s.scalars(select(ProbableDuplicate))] == [(first, "identity")]
    client = app_client("lan")
    page = client.get(f"/review/documents/{second}").text
    assert "Có thể trùng" in page
    assert f'href="/review/documents/{first}">hồ sơ #{first}</a>' in page
    assert 'data-required="yes"' in page  # the note is asked for, as with errors left
    assert "Có thể trùng" not in client.get(f"/review/documents/{first}").text  # the first one is the paper
    r = client.post(f"/review/documents/{second}", data={"action": "approve", "csrf_token": csrf_of(page)},
                    follow_redirects=False)
    assert r.status_code == 303 and "error=" in r.headers["location"]
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, second).status == DocumentStatus.NEEDS_REVIEW
    r = client.post(f"/review/documents/{second}", data={"action": "approve", "csrf_token": csrf_of(page),
                                                        "note": "hai bản gốc khác nhau, đã đối chiếu"},
                    follow_redirects=False)
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, second).status == DocumentStatus.APPROVED
