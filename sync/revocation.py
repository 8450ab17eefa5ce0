"""Revocation of a result (Decree 45/2020/NĐ-CP Art. 15).

The result row is kept for look-up by competent agencies; it is marked not valid with the time
and reason, a `revocations` row (append-only) records who revoked it, and a `revoke` outbox event
is written in the same transaction, so the warehouse learns of it through the same at-least-once
path as the push (idempotency key `result_code:revoke:<sha256 of the canonical revocation>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from core.errors import InvalidValue
from core.exitcodes import ExitCode
from core.settings import Settings, get_settings
from storage.db import session_scope
from storage.models import AuditEntry, OutboxEvent, Result
from storage.models import Revocation as RevocationRow
from sync.contract import EventKind, Revocation, idempotency_key


class UnknownResult(LookupError):
    exit_code: ExitCode = ExitCode.BAD_INPUT
    headline = "Không tìm thấy kết quả"


@dataclass(frozen=True)
class RevocationOutcome:
    result_code: str
    revoked_at: datetime
    reason: str
    already_revoked: bool  # True: nothing changed, the first revocation stands
    outbox_key: str


def revoke_result(result_code: str, reason: str, *, actor: str, at: datetime | None = None,
                  settings: Settings | None = None) -> RevocationOutcome:
    """Mark the result revoked and queue the warehouse revocation, in one transaction."""
    reason = reason.strip()
    if not reason:
        raise InvalidValue("thu hồi cần có lý do (Điều 15) / a revocation needs a reason (Art. 15)")
    settings = settings or get_settings()
    at = (at or datetime.now(UTC)).astimezone(UTC)
    with session_scope(settings.db_url) as s:
        result = s.scalar(select(Result).where(Result.result_code == result_code))
        if result is None:
            raise UnknownResult(f"không có kết quả mã {result_code!r} / no result with code {result_code!r}")
        existing = s.scalar(select(RevocationRow).where(RevocationRow.result_id == result.id))
        if existing is not None:
            # The first revocation's time is the legal one; a second call changes nothing.
            first_at = existing.revoked_at if existing.revoked_at.tzinfo else existing.revoked_at.replace(tzinfo=UTC)
            body = Revocation(revoked_at=first_at, reason=existing.reason)
            return RevocationOutcome(result_code, first_at, existing.reason, True,
                                     idempotency_key(result_code, EventKind.REVOKE, body.checksum()))
        body = Revocation(revoked_at=at, reason=reason)
        key = idempotency_key(result_code, EventKind.REVOKE, body.checksum())
        result.still_valid, result.revoked_at, result.revocation_reason = False, at, reason
        s.add(RevocationRow(result_id=result.id, result_code=result_code, revoked_at=at, reason=reason,
                            revoked_by=actor))
        s.add(OutboxEvent(result_id=result.id, kind=EventKind.REVOKE.value, idempotency_key=key,
                          payload={"result_code": result_code, "revoked_at": at.isoformat(), "reason": reason}))
        s.add(AuditEntry(actor=actor, action="revoke", entity="result", entity_id=result_code,
                         detail={"reason": reason, "revoked_at": at.isoformat()}))
    return RevocationOutcome(result_code, at, reason, False, key)
