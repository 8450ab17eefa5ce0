"""Login, sessions, roles, provinces, CSRF on every form, HTML escaping of OCR'd and typed text."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.db import session_scope
from storage.models import Document, DocumentStatus, FieldChange

from .conftest import GOOD_HKD, csrf_of, login


def test_every_page_needs_a_login(sohoa_env, app_client, users, seed) -> None:  # type: ignore[no-untyped-def]
    _, (doc_id,) = seed([{"fields": GOOD_HKD}])
    client = app_client()
    for path in ("/review", f"/review/documents/{doc_id}", "/review/batches/1", "/review/next",
                 f"/review/documents/{doc_id}/pages/1.png", "/review/batches/1/data-docs/index.html"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    r = client.post(f"/review/documents/{doc_id}", data={"action": "approve"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_wrong_password_is_refused_and_logout_ends_the_session(app_client, users) -> None:  # type: ignore[no-untyped-def]
    client = app_client()
    r = login(client, "lan", "wrong-password")
    assert r.status_code == 401 and "không đúng" in r.text
    assert login(client, "lan").status_code == 303
    page = client.get("/review")
    assert page.status_code == 200 and "Nguyễn Thị Lan" in page.text
    r = client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/review", follow_redirects=False).status_code == 303


def test_login_form_without_or_with_a_wrong_csrf_token_is_refused(app_client, users) -> None:  # type: ignore[no-untyped-def]
    client = app_client()
    token = csrf_of(client.get("/login").text)
    creds = {"username": "lan", "password": "mat-khau-rat-dai-1"}
    assert client.post("/login", data=creds, follow_redirects=False).status_code == 403
    assert client.post("/login", data=creds | {"csrf_token": token[:-2] + "xx"}, follow_redirects=False).status_code == 403
    fresh = app_client()  # a token not issued to this browser (no matching cookie)
    assert fresh.post("/login", data=creds | {"csrf_token": token}, follow_redirects=False).status_code == 403


@pytest.mark.parametrize("token", [None, "", "not-the-token"])
def test_review_post_without_or_with_a_wrong_csrf_token_is_refused(sohoa_env, app_client, users, seed,
                                                                  token) -> None:  # type: ignore[no-untyped-def]
    _, (doc_id,) = seed([{"fields": GOOD_HKD | {"holder_name": ("Tr4n", 0.3)}}])
    client = app_client("lan")
    data = {"action": "save", "field__holder_name": "Trần Văn Ba"}
    if token is not None:
        data["csrf_token"] = token
    r = client.post(f"/review/documents/{doc_id}", data=data, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    with session_scope(sohoa_env.db_url) as s:
        assert not list(s.scalars(select(FieldChange)))  # nothing changed
    data["csrf_token"] = csrf_of(client.get(f"/review/documents/{doc_id}").text)
    assert client.post(f"/review/documents/{doc_id}", data=data, follow_redirects=False).status_code == 303
    with session_scope(sohoa_env.db_url) as s:
        assert len(list(s.scalars(select(FieldChange)))) == 1
    r = client.post("/logout", data={"csrf_token": "wrong"}, follow_redirects=False)
    assert r.status_code == 403


def test_ocr_text_and_typed_text_are_html_escaped(sohoa_env, app_client, users, seed) -> None:  # type: ignore[no-untyped-def]
    payload = "<script>alert('xss')</script>"
    batch_id, (doc_id,) = seed([{"file": "<img src=x onerror=alert(1)>.png",
                                 "fields": GOOD_HKD | {"business_name": (payload, 0.5)}}])
    client = app_client("lan")
    page = client.get(f"/review/documents/{doc_id}").text
    assert payload not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page
    typed = '"><script>alert(2)</script>'
    client.post(f"/review/documents/{doc_id}", data={"csrf_token": csrf_of(page), "action": "save",
                                                     "field__holder_name": typed})
    for path in (f"/review/documents/{doc_id}", "/review?status=all", f"/review/batches/{batch_id}"):
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
    assert "script-src 'self'" in client.get("/review").headers["content-security-policy"]


def test_steward_sees_only_assigned_provinces_and_operator_only_reads(sohoa_env, app_client, users,
                                                                      seed) -> None:  # type: ignore[no-untyped-def]
    _, (kh,) = seed([{"fields": GOOD_HKD | {"holder_name": ("Tr4n", 0.3)}}], province="Khánh Hòa", key="kh")
    _, (hn,) = seed([{"fields": GOOD_HKD | {"holder_name": ("Tr4n", 0.3)}}], province="Hà Nội", key="hn")
    lan = app_client("lan")
    assert lan.get(f"/review/documents/{kh}").status_code == 200
    assert lan.get(f"/review/documents/{hn}").status_code == 404  # as a missing id (issue 17, finding 9)
    queue = lan.get("/review?status=all").text
    assert f"/review/documents/{kh}" in queue and f"/review/documents/{hn}" not in queue
    token = csrf_of(lan.get(f"/review/documents/{kh}").text)
    r = lan.post(f"/review/documents/{hn}", data={"csrf_token": token, "action": "reject", "reason": "x"})
    assert r.status_code == 404
    op = app_client("op")
    page = op.get(f"/review/documents/{hn}")
    assert page.status_code == 200 and "chỉ được xem" in page.text
    r = op.post(f"/review/documents/{hn}", data={"csrf_token": csrf_of(page.text), "action": "approve",
                                                 "note": "x"}, follow_redirects=False)
    assert r.status_code == 403
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, hn).status == DocumentStatus.NEEDS_REVIEW
    boss = app_client("boss")
    assert boss.get(f"/review/documents/{hn}").status_code == 200


def test_open_redirect_after_login_is_refused(app_client, users) -> None:  # type: ignore[no-untyped-def]
    client = app_client()
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "lan", "password": "mat-khau-rat-dai-1", "csrf_token": token,
                                    "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] == "/review"
