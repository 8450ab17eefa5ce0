"""CSRF protection for every form.

Logged in: a per-session token (WebSession.csrf_token) in a hidden field, compared in constant
time on every POST. The login form (no session yet): a double-submit token, signed with the app's
secret (itsdangerous), in a cookie and in the form; both must match and the signature must hold.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from core.exitcodes import ExitCode
from web.auth import require_user

FIELD = "csrf_token"
LOGIN_COOKIE = "sohoa_login_csrf"
LOGIN_MAX_AGE_S = 3600


class CsrfFailed(Exception):
    """A POST without the right token; the app answers 403."""

    # The web app answers it (403); reaching the command line would be a defect.
    exit_code: ExitCode = ExitCode.UNEXPECTED


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret_key, salt="sohoa-login-csrf")


def new_login_token(request: Request) -> str:
    return _serializer(request).dumps(secrets.token_urlsafe(16))


def check_login_token(request: Request, form_token: str | None) -> None:
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not cookie or not form_token or not hmac.compare_digest(cookie, form_token):
        raise CsrfFailed()
    try:
        _serializer(request).loads(form_token, max_age=LOGIN_MAX_AGE_S)
    except BadSignature:
        raise CsrfFailed() from None


async def csrf_protect(request: Request) -> None:
    """Dependency for every state-changing route of a logged-in user."""
    user = require_user(request)
    form = await request.form()
    token = form.get(FIELD)
    if not isinstance(token, str) or not hmac.compare_digest(token.encode(), user.csrf_token.encode()):
        raise CsrfFailed()


def token_for(request: Request) -> str:
    user = getattr(request.state, "sohoa_user", None)
    return user.csrf_token if user is not None else ""
