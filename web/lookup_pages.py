"""The public look-up page (Decree 137 Art. 4.1.c, Decree 45 Art. 15.3, Art. 18): where the QR code
and the look-up code of a result's marker and paper print lead.

`/tra-cuu/<result code>` shows what the paper print shows (document number, competent authority,
signer, date, result code, who converted and signed the electronic version and when) plus the
current state: valid, superseded (by which version) or revoked (when, why). `/tai-ve` is the
durable download link the citizen warehouse receives; `/kiem-tra` lets a holder check a PDF they
were given against the signed original (SHA-256). No login; nothing beyond the print is shown (no
holder name or ID); a per-address rate limit keeps it from being used to enumerate codes.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from storage.db import session_scope
from storage.models import RESULT_STATE_VI, Field, Result
from storage.records import ResultLookup, lookup_result
from sync.contract import RESULT_CODE_PATTERN

router = APIRouter(prefix="/tra-cuu")
PUBLIC_PATHS = ("/tra-cuu",)  # served without a session (tests/web/test_all_routes_guarded.py)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
_PRINT_FIELDS = ("document_number", "issuing_authority", "signer_name", "issue_date")


class RateLimiter:
    """At most `per_minute` requests per client address in any 60 s (in memory, per process)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, who: str) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(who, deque())
            while hits and hits[0] <= now - 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle addresses
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - 60}
            return True


def _limited(request: Request) -> Response | None:
    limiter: RateLimiter = request.app.state.lookup_limiter
    who = request.client.host if request.client else "?"
    if limiter.allow(who):
        return None
    return _page(request, {"message": "Quá nhiều lượt tra cứu từ địa chỉ này. Vui lòng thử lại sau một phút."},
                 status_code=429, headers={"Retry-After": "60"})


def _vn_time(value: datetime) -> str:
    """As the marker and the print show it: Vietnam time (UTC+7), never the server's zone."""
    return f"{value.astimezone(ZoneInfo('Asia/Ho_Chi_Minh')):%H:%M ngày %d/%m/%Y}"


def _vn_date(value: str) -> str:
    try:
        return f"{date.fromisoformat(value):%d/%m/%Y}"
    except ValueError:
        return value or "—"


def _page(request: Request, context: dict[str, Any], status_code: int = 200,
          headers: dict[str, str] | None = None) -> Response:
    response: Response = request.app.state.templates.TemplateResponse(
        request, "lookup.html", {"state_vi": RESULT_STATE_VI, "vn_time": _vn_time, "vn_date": _vn_date, **context},
        status_code=status_code)
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def _find(request: Request, code: str) -> tuple[ResultLookup | None, dict[str, str]]:
    import re

    if not re.match(RESULT_CODE_PATTERN, code) or len(code) > 120:
        return None, {}
    with session_scope(request.app.state.settings.db_url) as s:
        found = lookup_result(s, code)
        if found is None:
            return None, {}
        doc_id = s.scalar(select(Result.document_id).where(Result.result_code == code))
        values = {f.name: f.value or "" for f in s.scalars(
            select(Field).where(Field.document_id == doc_id, Field.name.in_(_PRINT_FIELDS)))}
    return found, values


@router.get("")
def lookup_form(request: Request, ma: str = "") -> Response:
    if (limited := _limited(request)) is not None:
        return limited
    if ma.strip():
        from web.responses import redirect

        return redirect(request, f"/tra-cuu/{ma.strip()}")
    return _page(request, {})


@router.get("/{code}")
def lookup(request: Request, code: str) -> Response:
    if (limited := _limited(request)) is not None:
        return limited
    found, values = _find(request, code)
    if found is None:
        return _page(request, {"code": code, "message": f"Không tìm thấy kết quả mã «{code}»."}, status_code=404)
    return _page(request, {"code": code, "r": found, "values": values})


@router.get("/{code}/tai-ve")
def download(request: Request, code: str) -> Response:
    """The signed PDF, read from the locked results bucket and checked against the DB's SHA-256."""
    if (limited := _limited(request)) is not None:
        return limited
    found, _ = _find(request, code)
    if found is None or not (found.stored_bucket and found.stored_key):
        return _page(request, {"code": code, "message": f"Không có bản điện tử mã «{code}»."}, status_code=404)
    from storage.objects import ObjectStore

    store = getattr(request.app.state, "store", None) or ObjectStore(request.app.state.settings)
    request.app.state.store = store
    pdf = store.get_bytes(found.stored_bucket, found.stored_key, expected_sha256=found.signed_sha256)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{code}.pdf"', "X-Result-State": str(found.state),
        "Cache-Control": "no-store"})


@router.post("/{code}/kiem-tra")
async def check_file(request: Request, code: str, file: UploadFile) -> Response:
    """Is the PDF a holder was given the signed original of this code (or of another version)?"""
    if (limited := _limited(request)) is not None:
        return limited
    found, values = _find(request, code)
    if found is None:
        return _page(request, {"code": code, "message": f"Không tìm thấy kết quả mã «{code}»."}, status_code=404)
    digest, size = hashlib.sha256(), 0
    while chunk := await file.read(1 << 20):
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            return _page(request, {"code": code, "r": found, "values": values,
                                   "check": {"ok": False, "text": "Tệp quá lớn (tối đa 50 MB)."}}, status_code=413)
        digest.update(chunk)
    sha = digest.hexdigest()
    if sha == found.signed_sha256:
        text = f"Tệp trùng khớp từng byte với bản điện tử đã ký mã {code}."
        ok = True
    else:
        with session_scope(request.app.state.settings.db_url) as s:
            other = s.scalar(select(Result.result_code).where(Result.signed_sha256 == sha))
        ok = False
        text = (f"Tệp là bản điện tử mã {other}, không phải {code}: hãy tra cứu mã {other}." if other else
                "Tệp KHÔNG trùng khớp với bản điện tử đã ký của mã này (đã bị sửa, hoặc là tệp khác).")
    return _page(request, {"code": code, "r": found, "values": values,
                           "check": {"ok": ok, "text": text, "sha256": sha}})
