"""Users, argon2 passwords, server-side sessions, and the FastAPI dependencies that guard pages.

The session cookie holds a random token; the DB keeps only its SHA-256 (a leaked table does not
give a session away). Roles: operator (reads), steward (reviews assigned provinces), manager (all).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Depends, Request
from sqlalchemy import delete, select

from core.actors import actor_name
from core.errors import InvalidValue
from core.exitcodes import ExitCode
from core.units import canonical_province, is_province
from storage.db import session_scope
from storage.models import AuditEntry
from storage.review_models import Role, User, UserProvince, WebSession

SESSION_COOKIE = "sohoa_session"
SESSION_HOURS = 12
_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("sohoa-dummy-password")


class LoginRequired(Exception):
    """Raised by require_user; the app turns it into a redirect to /login."""

    # The web app answers it; reaching the command line would be a defect.
    exit_code: ExitCode = ExitCode.UNEXPECTED


class Forbidden(Exception):
    # The web app answers it (403); reaching the command line would be a defect.
    exit_code: ExitCode = ExitCode.UNEXPECTED

    def __init__(self, message: str = "Bạn không có quyền truy cập trang này.") -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CurrentUser:
    """The logged-in user as pages see it (detached from any DB session)."""

    id: int
    username: str
    full_name: str
    role: str
    provinces: tuple[str, ...]
    csrf_token: str

    @property
    def province_names(self) -> list[str]:
        return list(self.provinces)

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def create_user(username: str, password: str, role: str, *, provinces: Iterable[str] = (), full_name: str = "",
                db_url: str | None = None) -> int:
    """Create (or update the role, password and provinces of) a user. Province names must be in the
    catalogue (old or 2025 names)."""
    username = username.strip()
    if not username:
        raise InvalidValue("tên đăng nhập không được để trống")
    if role not in {r.value for r in Role}:
        raise InvalidValue(f"vai trò {role!r} không hợp lệ; chọn: {', '.join(r.value for r in Role)}")
    if len(password) < 8:
        raise InvalidValue("mật khẩu phải có ít nhất 8 ký tự")
    provinces = [p.strip() for p in provinces if p.strip()]
    unknown = [p for p in provinces if not is_province(p)]
    if unknown:
        raise InvalidValue(f"tỉnh không có trong danh mục: {', '.join(unknown)}")
    provinces = [canonical_province(p) for p in provinces]  # "Khánh Hoà" is stored as the catalogue's "Khánh Hòa"
    if role == Role.STEWARD and not provinces:
        raise InvalidValue("cán bộ rà soát (steward) phải được giao ít nhất một tỉnh (--province)")
    with session_scope(db_url) as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username)
            s.add(user)
        user.full_name, user.role, user.active = full_name or user.full_name or "", role, True
        if user.id is not None and not verify_password(user.password_hash, password):
            _end_sessions(s, user.id)  # a new password ends every session opened with the old one
        user.password_hash = hash_password(password)
        # Keep the rows of provinces that stay: replacing them all would insert a duplicate
        # (user, province) before the old row is deleted, and the unique constraint refuses it.
        wanted = list(dict.fromkeys(provinces))
        kept = [p for p in user.provinces if p.province in wanted]
        held = {p.province for p in kept}
        user.provinces = kept + [UserProvince(province=p) for p in wanted if p not in held]
        s.flush()
        return user.id


def _end_sessions(s: Any, user_id: int) -> None:
    s.execute(delete(WebSession).where(WebSession.user_id == user_id))


def _existing(s: Any, username: str) -> User:
    user = s.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise InvalidValue(f"không có tài khoản {username.strip()!r}")
    return user


def set_password(username: str, password: str, db_url: str | None = None, *, actor: str | None = None) -> None:
    """A new password; every session of the user ends (issue 17, finding 9)."""
    if len(password) < 8:
        raise InvalidValue("mật khẩu phải có ít nhất 8 ký tự")
    with session_scope(db_url) as s:
        user = _existing(s, username)
        user.password_hash = hash_password(password)
        _end_sessions(s, user.id)
        s.add(AuditEntry(actor=actor_name(actor), action="password_changed", entity="user", entity_id=user.username))


def disable_user(username: str, db_url: str | None = None, *, actor: str | None = None) -> None:
    """The account can no longer log in and its sessions end now; `users add` enables it again."""
    with session_scope(db_url) as s:
        user = _existing(s, username)
        user.active = False
        _end_sessions(s, user.id)
        s.add(AuditEntry(actor=actor_name(actor), action="user_disabled", entity="user", entity_id=user.username))


def remove_user(username: str, db_url: str | None = None, *, actor: str | None = None) -> None:
    """The account, its provinces and sessions are deleted; the audit log keeps what it did (by name)."""
    with session_scope(db_url) as s:
        user = _existing(s, username)
        _end_sessions(s, user.id)
        s.execute(delete(UserProvince).where(UserProvince.user_id == user.id))
        s.delete(user)
        s.add(AuditEntry(actor=actor_name(actor), action="user_removed", entity="user", entity_id=user.username))


def authenticate(username: str, password: str, db_url: str | None = None) -> int | None:
    with session_scope(db_url) as s:
        user = s.scalar(select(User).where(User.username == username.strip()))
        if user is None or not user.active:
            verify_password(_DUMMY_HASH, password)
            return None
        if not verify_password(user.password_hash, password):
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return user.id


def active_user_id(username: str, db_url: str | None = None) -> int | None:
    """The id of an enabled account of that name (for a sign-in vouched for by the host, e.g. Airflow)."""
    with session_scope(db_url) as s:
        user = s.scalar(select(User).where(User.username == username.strip()))
        return user.id if user is not None and user.active else None


def audit_host_login(username: str, host: str, db_url: str | None = None) -> None:
    with session_scope(db_url) as s:
        s.add(AuditEntry(actor=username[:100], action="login_via_host", entity="user", entity_id=username[:120],
                         detail={"host": host}))


def audit_login_lockout(username: str, address: str, scope: str, seconds: int, failures: int,
                        db_url: str | None = None) -> None:
    """One audit-log entry per lockout started (not per refused attempt: a flood must not flood it)."""
    with session_scope(db_url) as s:
        # Nobody is logged in: the actor is the client the attempts came from (Art. 17: attributable).
        s.add(AuditEntry(actor=f"máy khách {address}"[:100], action="login_locked", entity="user", entity_id=username.strip()[:120],
                         detail={"scope": scope, "seconds": seconds, "client": address[:64],
                                 "account_failures": failures}))


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user_id: int, db_url: str | None = None) -> str:
    """A new session for the user; returns the cookie token (shown once, stored hashed)."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with session_scope(db_url) as s:
        s.execute(delete(WebSession).where(WebSession.expires_at < now))  # housekeeping
        s.add(WebSession(token_sha256=_sha(token), user_id=user_id, csrf_token=secrets.token_urlsafe(32),
                         expires_at=now + timedelta(hours=SESSION_HOURS)))
    return token


def close_session(token: str | None, db_url: str | None = None) -> None:
    if token:
        with session_scope(db_url) as s:
            s.execute(delete(WebSession).where(WebSession.token_sha256 == _sha(token)))


def session_user(token: str | None, db_url: str | None = None) -> CurrentUser | None:
    if not token:
        return None
    with session_scope(db_url) as s:
        row = s.scalar(select(WebSession).where(WebSession.token_sha256 == _sha(token)))
        if row is None:
            return None
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
        if expires < datetime.now(UTC):
            s.delete(row)
            return None
        user = s.get(User, row.user_id)
        if user is None or not user.active:
            s.delete(row)  # a disabled account's sessions end; enabling it again must not revive them
            return None
        return CurrentUser(user.id, user.username, user.full_name, user.role, tuple(user.province_names),
                           row.csrf_token)


def _db_url(request: Request) -> str:
    return request.app.state.settings.db_url


def current_user(request: Request) -> CurrentUser | None:
    # Our own key: mounted in Airflow, `request.state.user` is Airflow's user object (its JWT middleware
    # runs for the mounted app too), which must never stand for a sohoa account.
    cached = getattr(request.state, "sohoa_user", None)
    if cached is not None:
        return cached
    user = session_user(request.cookies.get(SESSION_COOKIE), _db_url(request))
    request.state.sohoa_user = user
    return user


def require_user(request: Request) -> CurrentUser:
    """Dependency: the logged-in user, or a redirect to /login (raised as LoginRequired)."""
    user = current_user(request)
    if user is None:
        raise LoginRequired()
    return user


UserDep = Annotated[CurrentUser, Depends(require_user)]


def require_role(*roles: str) -> Callable[..., Any]:
    """Dependency factory: the logged-in user if their role is one of `roles`, else 403."""
    allowed = {str(r) for r in roles}

    def dependency(user: UserDep) -> CurrentUser:
        if user.role not in allowed:
            raise Forbidden()
        return user

    return dependency
