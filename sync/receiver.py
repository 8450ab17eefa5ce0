"""Reference citizen data-warehouse receiver: the contract of `sync/openapi.yaml`, runnable.

Stands in for the national/provincial portal's warehouse (Decree 45 Art. 16) in tests and the
demo. Records live in a SQLite file under `data_dir`, so a restart keeps them. With
`--test-hooks`, `POST /_test/fail` makes the next requests fail (5xx) or answer slowly.

    python -m sync.receiver --host 127.0.0.1 --port 8765 --data DIR --token-env VAR [--test-hooks]
"""

# No `from __future__ import annotations`: FastAPI resolves the endpoints' Annotated
# parameters at run time.
import argparse
import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from core.exitcodes import ExitCode
from sync.contract import (
    API_PREFIX,
    RESULT_CODE_PATTERN,
    ConflictReason,
    ErrorBody,
    EventKind,
    Health,
    PushAck,
    ResultPayload,
    ResultStatus,
    Revocation,
    RevocationAck,
    StoredResult,
    idempotency_key,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    result_code TEXT PRIMARY KEY,
    payload TEXT,                -- NULL for a tombstone (revoked before the push arrived)
    checksum_sha256 TEXT,
    received_at TEXT,
    updated_at TEXT NOT NULL,
    revoked_at TEXT,
    revocation_reason TEXT,
    superseded_by TEXT,          -- the result code of the version that replaced this one
    pdf BLOB                     -- the signed PDF itself, checked against checksum_sha256
);
-- Every accepted request, in order: what the warehouse was told, and when (Art. 12.3 spirit).
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    result_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    http_status INTEGER NOT NULL,
    received_at TEXT NOT NULL
);
"""


# Columns added after the first release of the reference receiver (an existing data file is upgraded).
_ADDED_COLUMNS = (("superseded_by", "TEXT"), ("pdf", "BLOB"))


class _Store:
    """SQLite, one short transaction per request (BEGIN IMMEDIATE: check-then-write is atomic)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(_SCHEMA)
            have = {r["name"] for r in db.execute("PRAGMA table_info(results)")}
            for name, kind in _ADDED_COLUMNS:
                if name not in have:
                    db.execute(f"ALTER TABLE results ADD COLUMN {name} {kind}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def read(self, code: str) -> sqlite3.Row | None:
        with self._connect() as db:
            row: sqlite3.Row | None = db.execute("SELECT * FROM results WHERE result_code = ?", (code,)).fetchone()
            return row


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _log(db: sqlite3.Connection, code: str, kind: EventKind, key: str, status: int) -> None:
    db.execute("INSERT INTO deliveries (result_code, kind, idempotency_key, http_status, received_at) "
               "VALUES (?, ?, ?, ?, ?)", (code, str(kind), key, status, _now()))


def _error(status: int, detail: str, reason: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(detail=detail, reason=reason).model_dump(), status_code=status, headers=headers)


def _stored(row: sqlite3.Row) -> StoredResult:
    payload = ResultPayload.model_validate_json(row["payload"]) if row["payload"] else None
    status = (ResultStatus.REVOKED if row["revoked_at"] else
              ResultStatus.SUPERSEDED if row["superseded_by"] else ResultStatus.STILL_VALID)
    return StoredResult(
        result_code=row["result_code"],
        status=status,
        result=payload,
        received_at=row["received_at"],
        updated_at=row["updated_at"],
        revoked_at=row["revoked_at"],
        revocation_reason=row["revocation_reason"],
        superseded_by=row["superseded_by"],
        supersedes=payload.supersedes if payload else None,
        has_file=row["pdf"] is not None,
    )


def _file_of(payload: ResultPayload) -> tuple[bytes | None, str | None]:
    """The signed PDF a push carries, or the reason it is refused (not base64, other SHA-256)."""
    if payload.signed_pdf_base64 is None:
        return None, None
    try:
        pdf = base64.b64decode(payload.signed_pdf_base64, validate=True)
    except (ValueError, binascii.Error):
        return None, "signed_pdf_base64 is not base64"
    if hashlib.sha256(pdf).hexdigest() != payload.checksum_sha256:
        return None, "signed_pdf_base64 does not match checksum_sha256"
    return pdf, None


class _Unauthorised(Exception):
    # The receiver answers it (401); reaching the command line would be a defect.
    exit_code: ExitCode = ExitCode.UNEXPECTED


# ---------------------------------------------------------------- test hooks
@dataclass
class _Fault:
    mode: Literal["off", "5xx", "slow"] = "off"
    remaining: int | None = None  # None: until switched off
    delay_s: float = 0.0

    def take(self) -> tuple[str, float]:
        if self.mode == "off":
            return "off", 0.0
        mode, delay = self.mode, self.delay_s
        if self.remaining is not None:
            self.remaining -= 1
            if self.remaining <= 0:
                self.mode, self.remaining = "off", None
        return mode, delay


def parse_fail_mode(spec: str | None) -> _Fault:
    """`5xx`, `5xx:N` (next N requests), `slow:SECONDS` or `slow:SECONDS:N`; empty/None/off: no fault."""
    if not spec or spec == "off":
        return _Fault()
    parts = spec.split(":")
    try:
        if parts[0] == "5xx" and len(parts) <= 2:
            return _Fault("5xx", int(parts[1]) if len(parts) == 2 else None)
        if parts[0] == "slow" and len(parts) in (2, 3):
            return _Fault("slow", int(parts[2]) if len(parts) == 3 else None, float(parts[1]))
    except ValueError:
        pass
    raise ValueError(f"fail mode must be 5xx[:N] or slow:SECONDS[:N], not {spec!r}")


class FailRequest(BaseModel):
    mode: Literal["off", "5xx", "slow"]
    count: Annotated[int | None, Field(ge=1)] = None
    delay_s: Annotated[float, Field(ge=0, le=600)] = 0.0


# ---------------------------------------------------------------- what the warehouse does
def _push(store: _Store, payload: ResultPayload, result_code: str, key_header: str) -> Response:
    """PUT a result: 201 stored, 200 the same signed file again, 409 revoked or another file under the code."""
    if payload.result_code != result_code:
        return _error(422, f"body result_code {payload.result_code!r} differs from the URL {result_code!r}",
                      "code_mismatch")
    expected = idempotency_key(result_code, EventKind.PUSH, payload.checksum_sha256)
    if key_header != expected:
        return _error(422, f"Idempotency-Key must be {expected!r}", "idempotency_key")
    if payload.supersedes == result_code:
        return _error(422, "a result cannot supersede itself", "supersedes")
    pdf, bad_file = _file_of(payload)
    if bad_file:
        return _error(422, bad_file, "signed_file")
    now = _now()
    # The file is kept in its own column; the stored payload does not repeat it.
    body = payload.model_copy(update={"signed_pdf_base64": None}).model_dump_json()
    with store.transaction() as db:
        row = db.execute("SELECT * FROM results WHERE result_code = ?", (result_code,)).fetchone()
        if row is not None and row["revoked_at"]:
            # Art. 15: a revoked code stays revoked; a late or repeated push must not revive it.
            _log(db, result_code, EventKind.PUSH, expected, 409)
            return _error(409, f"{result_code} was revoked at {row['revoked_at']}", ConflictReason.REVOKED)
        if row is not None and row["payload"] is not None and row["checksum_sha256"] != payload.checksum_sha256:
            # Art. 14.3.c: no silent edits — a different file under the same code is refused.
            _log(db, result_code, EventKind.PUSH, expected, 409)
            return _error(409, f"{result_code} is stored with checksum {row['checksum_sha256']}",
                          ConflictReason.CHECKSUM_MISMATCH)
        if row is None:
            db.execute("INSERT INTO results (result_code, payload, checksum_sha256, received_at, updated_at, pdf) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (result_code, body, payload.checksum_sha256, now, now, pdf))
            status, received_at = 201, now
        elif row["payload"] is None:
            # Its successor arrived first (a placeholder naming `superseded_by`): now the result itself.
            db.execute("UPDATE results SET payload = ?, checksum_sha256 = ?, received_at = ?, updated_at = ?, "
                       "pdf = ? WHERE result_code = ?", (body, payload.checksum_sha256, now, now, pdf, result_code))
            status, received_at = 201, now
        else:
            # Same signed file: idempotent. Keep the newest metadata, and the file if it had none.
            if body != row["payload"] or (pdf is not None and row["pdf"] is None):
                db.execute("UPDATE results SET payload = ?, updated_at = ?, pdf = COALESCE(pdf, ?) "
                           "WHERE result_code = ?", (body, now, pdf, result_code))
            status, received_at = 200, row["received_at"]
        if payload.supersedes:
            _mark_superseded(db, payload.supersedes, result_code, now)
        _log(db, result_code, EventKind.PUSH, expected, status)
    ack = PushAck(result_code=result_code, status=ResultStatus.STILL_VALID, checksum_sha256=payload.checksum_sha256,
                  received_at=datetime.fromisoformat(received_at), already_stored=status == 200)
    return JSONResponse(ack.model_dump(mode="json"), status_code=status)


def _mark_superseded(db: sqlite3.Connection, old_code: str, new_code: str, now: str) -> None:
    """Supersede, don't overwrite: the older version stays, marked and linked to the new one (a
    placeholder naming its successor when the older one has not arrived yet)."""
    old = db.execute("SELECT superseded_by FROM results WHERE result_code = ?", (old_code,)).fetchone()
    if old is None:
        db.execute("INSERT INTO results (result_code, updated_at, superseded_by) VALUES (?, ?, ?)",
                   (old_code, now, new_code))
    elif old["superseded_by"] != new_code:
        db.execute("UPDATE results SET superseded_by = ?, updated_at = ? WHERE result_code = ?",
                   (new_code, now, old_code))


def _file(store: _Store, result_code: str) -> Response:
    row = store.read(result_code)
    if row is None or row["pdf"] is None:
        return _error(404, f"no stored file for {result_code}", "not_found")
    return Response(bytes(row["pdf"]), media_type="application/pdf",
                    headers={"X-Checksum-SHA256": row["checksum_sha256"]})


def _revoke(store: _Store, revocation: Revocation, result_code: str, key_header: str | None) -> Response:
    """POST a revocation: 200 revoked (or already), 202 kept as a tombstone until the push arrives."""
    key = idempotency_key(result_code, EventKind.REVOKE, revocation.checksum())
    if key_header is not None and key_header != key:
        return _error(422, f"Idempotency-Key must be {key!r}", "idempotency_key")
    now = _now()
    revoked_at = revocation.revoked_at.isoformat()
    with store.transaction() as db:
        row = db.execute("SELECT * FROM results WHERE result_code = ?", (result_code,)).fetchone()
        if row is None:
            # Out of order: the revocation overtook the push. Remember it so the push is refused.
            db.execute("INSERT INTO results (result_code, updated_at, revoked_at, revocation_reason) "
                       "VALUES (?, ?, ?, ?)", (result_code, now, revoked_at, revocation.reason))
            status, already, tombstone = 202, False, True
        elif row["revoked_at"]:
            # First revocation wins: its time is the legal one (Art. 15 "ghi nhận thời điểm").
            revoked_at, already, tombstone = row["revoked_at"], True, row["payload"] is None
            status = 202 if tombstone else 200
        else:
            db.execute("UPDATE results SET revoked_at = ?, revocation_reason = ?, updated_at = ? "
                       "WHERE result_code = ?", (revoked_at, revocation.reason, now, result_code))
            status, already, tombstone = 200, False, False
        _log(db, result_code, EventKind.REVOKE, key, status)
    ack = RevocationAck(result_code=result_code, revoked_at=datetime.fromisoformat(revoked_at),
                        already_revoked=already, tombstone=tombstone)
    return JSONResponse(ack.model_dump(mode="json"), status_code=status)


def _lookup(store: _Store, result_code: str) -> Response:
    row = store.read(result_code)
    if row is None:
        return _error(404, f"no result {result_code}", "not_found")
    return JSONResponse(_stored(row).model_dump(mode="json"))


def _deliveries(store: _Store, result_code: str) -> list[dict[str, Any]]:
    with store._connect() as db:
        rows = db.execute("SELECT kind, idempotency_key, http_status, received_at FROM deliveries "
                          "WHERE result_code = ? ORDER BY id", (result_code,)).fetchall()
    return [dict(r) for r in rows]


# ---------------------------------------------------------------- the app: wiring only
_DESCRIPTION = (
    "Receives results of administrative procedures digitised from paper "
    "(Decree 45/2020/NĐ-CP Art. 25) under the code `<mã hồ sơ>-KQ<n>` (Art. 14.3.d), and "
    "their revocations (Art. 15). The warehouse holds the result or a link to it (Art. 16.2.b).\n\n"
    "Idempotency: the `Idempotency-Key` header is `result_code:kind:checksum` (kind `push` with "
    "the signed PDF's SHA-256, or `revoke` with the SHA-256 of the canonical revocation JSON). "
    "Re-delivering the same push answers 200, re-delivering a revocation answers 200 "
    "`already_revoked`. A revocation that arrives before its push is kept as a tombstone (202) "
    "and the later push answers 409 `revoked`. Timestamps carry an offset; a naive one is read as UTC.\n\n"
    "What the receiver must keep: every pushed result under its code for as long as the result "
    "exists (revoked and superseded ones too, Art. 15), the signed PDF itself "
    "(`signed_pdf_base64`, checked against `checksum_sha256`) so that it opens without the "
    "sender, and the links: a push naming `supersedes` marks that result `superseded` and "
    "points it to the new code (also a provisional `TAM.…` code re-keyed to its real "
    "mã hồ sơ). `signed_file_url` is the sender's durable look-up address."
)
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorBody, "description": "missing or invalid bearer token"}}
_CODE = PathParam(pattern=RESULT_CODE_PATTERN, max_length=120, description="`<mã hồ sơ>-KQ<n>`")


def _bearer_check(token: str) -> Callable[..., None]:
    bearer = HTTPBearer(auto_error=False, description="token configured on the receiver")

    def authorised(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        # Constant-time comparison: the token is a shared secret.
        if creds is None or not hmac.compare_digest(creds.credentials.encode(), token.encode()):
            raise _Unauthorised()

    return authorised


async def _unauthorised(request: Request, exc: Exception) -> JSONResponse:
    return _error(401, "missing or invalid bearer token", "unauthorised", {"WWW-Authenticate": "Bearer"})


def _fault_injector(fault: _Fault) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def inject(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.url.path.startswith(API_PREFIX + "/"):
            mode, delay = fault.take()
            if mode == "5xx":
                return _error(503, "injected failure (test hook)", "unavailable", {"Retry-After": "1"})
            if mode == "slow":
                await asyncio.sleep(delay)
        return await call_next(request)

    return inject


def _add_contract_routes(app: FastAPI, store: _Store, auth: list[Any]) -> None:
    def push_result(payload: ResultPayload, result_code: Annotated[str, _CODE],
                    idempotency_key_header: Annotated[str, Header(alias="Idempotency-Key", max_length=300)]) -> Response:
        return _push(store, payload, result_code, idempotency_key_header)

    def revoke_result(revocation: Revocation, result_code: Annotated[str, _CODE],
                      idempotency_key_header: Annotated[str | None, Header(alias="Idempotency-Key",
                                                                           max_length=300)] = None) -> Response:
        return _revoke(store, revocation, result_code, idempotency_key_header)

    def get_result(result_code: Annotated[str, _CODE]) -> Response:
        return _lookup(store, result_code)

    def get_file(result_code: Annotated[str, _CODE]) -> Response:
        return _file(store, result_code)

    app.get("/healthz", response_model=Health, tags=["ops"])(healthz)
    app.put(f"{API_PREFIX}/results/{{result_code}}", dependencies=auth, tags=["results"], status_code=201,
            response_model=PushAck, summary="Push a result (Art. 14.3.d)",
            responses={200: {"model": PushAck, "description": "same checksum already stored: idempotent re-delivery"},
                       409: {"model": ErrorBody,
                             "description": "reason `checksum_mismatch` (same code, other checksum) or `revoked`"},
                       **_ERRORS})(push_result)
    app.post(f"{API_PREFIX}/results/{{result_code}}/revocation", dependencies=auth, tags=["results"],
             response_model=RevocationAck, summary="Revoke a result (Art. 15)",
             responses={202: {"model": RevocationAck,
                              "description": "the result has not arrived yet: stored as a tombstone"},
                        **_ERRORS})(revoke_result)
    app.get(f"{API_PREFIX}/results/{{result_code}}", dependencies=auth, tags=["results"], response_model=StoredResult,
            summary="Look up a result: still_valid, superseded or revoked (acknowledgement)",
            responses={404: {"model": ErrorBody, "description": "unknown result code"}, **_ERRORS})(get_result)
    app.get(f"{API_PREFIX}/results/{{result_code}}/file", dependencies=auth, tags=["results"],
            summary="The signed PDF the warehouse keeps (pushed with the result)", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "the signed PDF, as pushed"},
                       404: {"model": ErrorBody, "description": "unknown result code, or pushed without its file"},
                       **_ERRORS})(get_file)


def healthz() -> Health:
    return Health()


def _add_test_hooks(app: FastAPI, store: _Store, fault: _Fault, auth: list[Any]) -> None:
    def set_fault(request: FailRequest) -> dict[str, Any]:
        fault.mode, fault.remaining, fault.delay_s = request.mode, request.count, request.delay_s
        return {"mode": fault.mode, "remaining": fault.remaining, "delay_s": fault.delay_s}

    def deliveries(result_code: str) -> list[dict[str, Any]]:
        return _deliveries(store, result_code)

    app.post("/_test/fail", dependencies=auth, include_in_schema=False)(set_fault)
    app.get("/_test/deliveries/{result_code}", dependencies=auth, include_in_schema=False)(deliveries)


def create_app(data_dir: Path, token: str, *, fail_mode: str | None = None, test_hooks: bool = False) -> FastAPI:
    """The reference receiver. `token` is the bearer token clients must send.

    `fail_mode` (see `parse_fail_mode`) injects faults from the start; `test_hooks` exposes
    `POST /_test/fail` to change them at run time (never in a real deployment)."""
    if not token:
        raise ValueError("the receiver needs a non-empty bearer token")
    data_dir.mkdir(parents=True, exist_ok=True)
    store = _Store(data_dir / "warehouse.sqlite3")
    fault = parse_fail_mode(fail_mode)
    app = FastAPI(title="Kho dữ liệu điện tử của tổ chức, cá nhân — citizen data warehouse sync API",
                  version="1.0.0", description=_DESCRIPTION)
    app.add_exception_handler(_Unauthorised, _unauthorised)
    app.middleware("http")(_fault_injector(fault))
    auth = [Depends(_bearer_check(token))]
    _add_contract_routes(app, store, auth)
    if test_hooks:
        _add_test_hooks(app, store, fault, auth)
    return app


def openapi_document(app: FastAPI | None = None) -> dict[str, Any]:
    """The contract as committed in sync/openapi.yaml (exported from the app, no test hooks)."""
    if app is None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            return openapi_document(create_app(Path(tmp), "unused"))
    return json.loads(json.dumps(app.openapi()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sync.receiver", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1; never 0.0.0.0 by default)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--data", type=Path, help="directory for the SQLite file (required to serve)")
    parser.add_argument("--token-env", default="SOHOA_CITIZEN_WAREHOUSE_TOKEN",
                        help="name of the environment variable holding the bearer token")
    parser.add_argument("--test-hooks", action="store_true", help="expose POST /_test/fail (tests only)")
    parser.add_argument("--fail-mode", default=os.environ.get("SOHOA_RECEIVER_FAIL_MODE"),
                        help="5xx[:N] or slow:SECONDS[:N] from the start (implies nothing about --test-hooks)")
    parser.add_argument("--export-openapi", type=Path, metavar="FILE",
                        help="write the OpenAPI document (YAML) to FILE and exit")
    args = parser.parse_args(argv)

    if args.export_openapi:
        import yaml

        args.export_openapi.write_text(
            "# Generated by `python -m sync.receiver --export-openapi sync/openapi.yaml`;"
            " a test checks it matches the receiver.\n"
            + yaml.safe_dump(openapi_document(), sort_keys=False, allow_unicode=True, width=100),
            encoding="utf-8")
        return 0
    if args.data is None:
        parser.error("--data is required")
    token = os.environ.get(args.token_env, "")
    if not token:
        print(f"error: environment variable {args.token_env} (the bearer token) is empty", file=sys.stderr)
        return 2
    import uvicorn

    app = create_app(args.data, token, fail_mode=args.fail_mode, test_hooks=args.test_hooks)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
