"""create_app(settings) -> FastAPI: login/logout, the review desk, the roadmap pages.

The pages are web/review_pages.py and web/roadmap_pages.py: they call the review and roadmap
packages, which know nothing of the web (the web room stands above them).

Every page but /login, /static and the public look-up page (/tra-cuu) needs a session (the app guards itself: Airflow does not guard
plugin apps). Every POST carries a CSRF token. Everything shown is HTML-escaped by Jinja's
autoescape; a strict Content-Security-Policy (no inline scripts) is the second line of defence.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.concurrency import run_in_threadpool

from core.settings import Settings, get_settings
from core.text import vn_number, vn_percent
from web import auth, csrf, lookup_pages, review_pages, roadmap_pages
from web.responses import redirect, root
from web.throttle import LoginBusy, LoginThrottle

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # what stewards read on their clocks; the DB keeps UTC
ROLE_VI = {"operator": "Vận hành", "steward": "Cán bộ rà soát dữ liệu", "manager": "Lãnh đạo, quản lý"}
_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


def _secret_key(settings: Settings) -> str:
    """The key that signs the login form's CSRF cookie: from settings, else made once per home."""
    configured = getattr(settings, "web_secret_key", None)
    value = configured.get_secret_value() if configured is not None else ""
    if value:
        return value
    path = settings.home / "web_secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _templates() -> Jinja2Templates:
    loader = FileSystemLoader(str(HERE / "templates"))

    def context(request: Request) -> dict[str, Any]:
        user = getattr(request.state, "sohoa_user", None)
        return {"root": root(request), "user": user, "csrf_token": csrf.token_for(request), "role_vi": ROLE_VI,
                "has_roadmap": getattr(request.app.state, "has_roadmap", False)}

    # autoescape everywhere: OCR'd text and steward input are never trusted as HTML.
    env = Environment(loader=loader, autoescape=True)
    env.filters["vn_number"] = vn_number
    env.filters["vn_percent"] = vn_percent
    env.filters["local_time"] = local_time
    return Jinja2Templates(env=env, context_processors=[context])


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M:%S") -> str:
    """A stored time (UTC; naive ones are UTC too) as Vietnam's clock shows it."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ).strftime(fmt)


def _safe_next(value: str | None) -> str:
    """A local path to go to after login, or "" (then the user's home page)."""
    # Only a local path: "//evil.example" or "https://…" would be an open redirect.
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return ""


def home_for(role: str) -> str:
    """Where a user lands: managers on the national roadmap (deadlines), everyone else on the queue."""
    return "/roadmap" if role == "manager" else "/review"


# The signed-in user of the application that hosts the desk (Airflow's API server), or None.
HostIdentity = Callable[[Request], Awaitable[str | None]]


def create_app(settings: Settings | None = None, *, host_identity: HostIdentity | None = None,
               host_name: str = "Airflow") -> FastAPI:
    """The desk and roadmap app. Mounted in a host that signs users in (`host_identity`), a user the
    host vouches for who has a sohoa account of the same name gets a desk session without a second
    login; roles and provinces still come from sohoa's own account (`sohoa users add`)."""
    settings = settings or get_settings()
    app = FastAPI(title="sohoa — rà soát dữ liệu số hóa", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.secret_key = _secret_key(settings)
    app.state.templates = templates = _templates()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def timing_and_headers(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        new_session = await _session_from_host(request) if host_identity is not None else None
        response = await call_next(request)
        if new_session:
            response.set_cookie(auth.SESSION_COOKIE, new_session, max_age=auth.SESSION_HOURS * 3600, httponly=True,
                                samesite="lax", path=root(request) or "/", secure=request.url.scheme == "https")
        ms = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={ms:.1f}"
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def _session_from_host(request: Request) -> str | None:
        """One sign-in: no desk session yet, the host says who is signed in, and sohoa knows that name."""
        assert host_identity is not None
        user = await run_in_threadpool(auth.current_user, request)
        if user is not None:
            return None
        try:
            username = await host_identity(request)
        except Exception:  # an unreadable or expired host token is "not signed in", never a 500
            log.warning("%s sign-in could not be read; the desk asks for its own login", host_name)
            return None
        if not username:
            return None
        user_id = await run_in_threadpool(auth.active_user_id, username, settings.db_url)
        if user_id is None:
            request.state.host_user = username  # the login page says why the desk asks again
            return None
        token = await run_in_threadpool(auth.open_session, user_id, settings.db_url)
        await run_in_threadpool(auth.audit_host_login, username, host_name, settings.db_url)
        request.state.sohoa_user = await run_in_threadpool(auth.session_user, token, settings.db_url)
        return token

    @app.exception_handler(auth.LoginRequired)
    async def _login_required(request: Request, exc: auth.LoginRequired) -> Response:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        rel = target[len(root(request)):] if target.startswith(root(request)) else target
        if request.method != "GET":
            rel = "/review"
        return redirect(request, f"/login?next={quote(rel)}")

    @app.exception_handler(auth.Forbidden)
    async def _forbidden(request: Request, exc: auth.Forbidden) -> Response:
        return templates.TemplateResponse(request, "error.html", {"message": exc.message, "code": 403},
                                          status_code=403)

    @app.exception_handler(csrf.CsrfFailed)
    async def _csrf_failed(request: Request, exc: csrf.CsrfFailed) -> Response:
        msg = "Yêu cầu bị từ chối: mã chống giả mạo (CSRF) thiếu hoặc sai. Hãy tải lại trang rồi thử lại."
        return templates.TemplateResponse(request, "error.html", {"message": msg, "code": 403}, status_code=403)

    @app.exception_handler(LookupError)
    async def _not_found(request: Request, exc: LookupError) -> Response:
        auth.current_user(request)
        return templates.TemplateResponse(request, "error.html", {"message": str(exc), "code": 404},
                                          status_code=404)

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> Response:
        user = auth.current_user(request)
        return redirect(request, home_for(user.role) if user else "/login")

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "") -> Response:
        # No `?error=`: refusals render the form themselves, so no link can put text on the page.
        token = csrf.new_login_token(request)
        response = templates.TemplateResponse(request, "login.html", {
            "next": _safe_next(next), "login_csrf": token,
            "host_user": getattr(request.state, "host_user", None), "host_name": host_name})
        response.set_cookie(csrf.LOGIN_COOKIE, token, max_age=csrf.LOGIN_MAX_AGE_S, httponly=True,
                            samesite="strict", path=root(request) or "/", secure=request.url.scheme == "https")
        return response

    app.state.login_throttle = throttle = LoginThrottle()

    def _login_refused(request: Request, next: str, username: str, message: str, status: int,  # noqa: A002
                       retry_after: int | None = None) -> Response:
        token = csrf.new_login_token(request)
        refused = templates.TemplateResponse(request, "login.html", {
            "next": _safe_next(next), "error": message, "login_csrf": token, "username": username},
            status_code=status)
        refused.set_cookie(csrf.LOGIN_COOKIE, token, max_age=csrf.LOGIN_MAX_AGE_S, httponly=True,
                           samesite="strict", path=root(request) or "/", secure=request.url.scheme == "https")
        if retry_after is not None:
            refused.headers["Retry-After"] = str(retry_after)
        return refused

    @app.post("/login")
    def login(request: Request, username: str = Form(""), password: str = Form(""),  # noqa: B008
              csrf_token: str = Form(""), next: str = Form("")) -> Response:  # noqa: B008
        csrf.check_login_token(request, csrf_token)
        address = request.client.host if request.client else "?"
        # A locked account or address is refused before any password is hashed (docs/security.md).
        lockout = throttle.refused(username, address)
        if lockout is not None:
            return _login_refused(request, next, username, (
                f"Đăng nhập tạm thời bị khóa vì nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau "
                f"{lockout.seconds} giây."), 429, lockout.seconds)
        try:
            with throttle.hashing_slot():
                user_id = auth.authenticate(username, password, settings.db_url)
        except LoginBusy:
            return _login_refused(request, next, username,
                                  "Hệ thống đang bận kiểm tra đăng nhập. Vui lòng thử lại sau ít giây.", 429, 2)
        if user_id is None:
            log.warning("failed login for %r from %s", username[:64], address)
            for started in throttle.failed(username, address):
                log.warning("login locked for %d s: %s %r", started.seconds, started.scope,
                            username[:64] if started.scope == "account" else address)
                auth.audit_login_lockout(username, address, started.scope, started.seconds,
                                         throttle.failures(username), settings.db_url)
            return _login_refused(request, next, username, "Tên đăng nhập hoặc mật khẩu không đúng.", 401)
        throttle.succeeded(username)
        token = auth.open_session(user_id, settings.db_url)
        user = auth.session_user(token, settings.db_url)
        response = redirect(request, _safe_next(next) or home_for(user.role if user else ""))
        response.set_cookie(auth.SESSION_COOKIE, token, max_age=auth.SESSION_HOURS * 3600, httponly=True,
                            samesite="lax", path=root(request) or "/", secure=request.url.scheme == "https")
        response.delete_cookie(csrf.LOGIN_COOKIE, path=root(request) or "/")
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        await csrf.csrf_protect(request)
        auth.close_session(request.cookies.get(auth.SESSION_COOKIE), settings.db_url)
        response = redirect(request, "/login")
        response.delete_cookie(auth.SESSION_COOKIE, path=root(request) or "/")
        return response

    # Public: the look-up page the QR codes and print copies name (no login, rate-limited).
    app.state.lookup_limiter = lookup_pages.RateLimiter(settings.lookup_rate_per_minute)
    app.include_router(lookup_pages.router)
    app.include_router(review_pages.router)
    app.include_router(roadmap_pages.router)
    app.state.has_roadmap = True
    return app

