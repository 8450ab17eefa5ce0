"""Sessions end: after SESSION_HOURS, and at once when an account is disabled (web/auth.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from storage.db import session_scope
from storage.models import Document, DocumentStatus
from storage.review_models import User, WebSession
from web import auth
from web.auth import create_user

from .conftest import GOOD_HKD, PASSWORD, csrf_of, login


def _sessions(db_url: str, username: str) -> list[WebSession]:
    with session_scope(db_url) as s:
        return list(s.scalars(select(WebSession).join(User, User.id == WebSession.user_id)
                              .where(User.username == username)))


def _set_expiry(db_url: str, username: str, at: datetime) -> None:
    with session_scope(db_url) as s:
        user_id = s.scalar(select(User.id).where(User.username == username))
        s.execute(update(WebSession).where(WebSession.user_id == user_id).values(expires_at=at))


def _set_active(db_url: str, username: str, active: bool) -> None:
    with session_scope(db_url) as s:
        s.execute(update(User).where(User.username == username).values(active=active))


def _redirected_to_login(client, path: str = "/review") -> bool:  # type: ignore[no-untyped-def]
    r = client.get(path, follow_redirects=False)
    return r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_session_lasts_session_hours_and_then_ends(sohoa_env, app_client, users) -> None:  # type: ignore[no-untyped-def]
    client = app_client()
    before = datetime.now(UTC)
    r = login(client, "lan")
    assert r.status_code == 303
    assert f"Max-Age={auth.SESSION_HOURS * 3600}" in r.headers["set-cookie"]
    (row,) = _sessions(sohoa_env.db_url, "lan")
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    assert before + timedelta(hours=auth.SESSION_HOURS) <= expires <= datetime.now(UTC) + timedelta(
        hours=auth.SESSION_HOURS)

    # a minute before the end the session still works ...
    _set_expiry(sohoa_env.db_url, "lan", datetime.now(UTC) + timedelta(minutes=1))
    assert client.get("/review").status_code == 200
    # ... a minute after it, the same cookie leads to the login page and the session is gone
    _set_expiry(sohoa_env.db_url, "lan", datetime.now(UTC) - timedelta(minutes=1))
    assert _redirected_to_login(client)
    assert _sessions(sohoa_env.db_url, "lan") == []
    assert _redirected_to_login(client)  # and it stays gone
    # logging in again opens a fresh session
    assert login(client, "lan").status_code == 303
    assert client.get("/review").status_code == 200


def test_an_expired_session_cannot_post(sohoa_env, app_client, users, seed) -> None:  # type: ignore[no-untyped-def]
    _, (doc_id,) = seed([{"fields": GOOD_HKD | {"holder_name": ("Tr4n", 0.3)}}])
    client = app_client("lan")
    token = csrf_of(client.get(f"/review/documents/{doc_id}").text)
    _set_expiry(sohoa_env.db_url, "lan", datetime.now(UTC) - timedelta(seconds=1))
    r = client.post(f"/review/documents/{doc_id}", data={"action": "approve", "note": "ok", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, doc_id).status == DocumentStatus.NEEDS_REVIEW


def test_open_session_clears_expired_sessions(sohoa_env, users) -> None:  # type: ignore[no-untyped-def]
    lan = auth.authenticate("lan", PASSWORD, sohoa_env.db_url)
    assert lan is not None
    auth.open_session(lan, sohoa_env.db_url)
    _set_expiry(sohoa_env.db_url, "lan", datetime.now(UTC) - timedelta(hours=1))
    op = auth.authenticate("op", PASSWORD, sohoa_env.db_url)
    assert op is not None
    auth.open_session(op, sohoa_env.db_url)  # housekeeping removes lan's stale row
    with session_scope(sohoa_env.db_url) as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 1
    assert _sessions(sohoa_env.db_url, "lan") == []


def test_a_disabled_user_cannot_log_in_and_loses_open_sessions(sohoa_env, app_client, users) -> None:  # type: ignore[no-untyped-def]
    client = app_client("lan")
    assert client.get("/review").status_code == 200
    _set_active(sohoa_env.db_url, "lan", False)
    # the open session ends at the next request ...
    assert _redirected_to_login(client)
    assert _sessions(sohoa_env.db_url, "lan") == []
    # ... and the right password no longer opens one; the answer is the same as for a wrong password
    r = login(app_client(), "lan")
    assert r.status_code == 401 and "không đúng" in r.text
    assert auth.authenticate("lan", PASSWORD, sohoa_env.db_url) is None
    assert _sessions(sohoa_env.db_url, "lan") == []
    # other users are not affected
    assert app_client("op").get("/review").status_code == 200

    # enabled again (sohoa users add resets the password): the old cookie stays dead, a new login works
    create_user("lan", PASSWORD, "steward", provinces=["Khánh Hòa"], db_url=sohoa_env.db_url)
    assert _redirected_to_login(client)
    assert login(client, "lan").status_code == 303
    assert client.get("/review").status_code == 200
