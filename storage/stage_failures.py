"""How many times a stage may fail on one document before a person has to look (issue 13).

A stage that fails on a document marks it failed and the next run takes it again: right for a
passing fault (a Tesseract crash, a timeout under load), wrong for a document that fails the same
way every time — each re-run would spend the same minutes and fail again. After
`Settings.stage_max_failures` failures at one stage (counted in the audit log since the last forced
retry) the document is held for a person instead: NEEDS_REVIEW with the reason
`stage_failed: <stage> …`, which no re-run takes. `sohoa retry BATCH [--stage S]` forces it back
(`force_retry`), and the count starts again from zero.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEntry

HELD_PREFIX = "stage_failed: "
FAILED_ACTION = "stage_failed"
FORCED_ACTION = "retry_forced"
HELD_ACTION = "held_for_person"


def failures_since_forced(session: Session, document_id: int, stage: str) -> int:
    """Failures of `stage` on this document recorded since its last forced retry (pending ones included)."""
    session.flush()
    entries = session.execute(
        select(AuditEntry.id, AuditEntry.action, AuditEntry.detail)
        .where(AuditEntry.entity == "document", AuditEntry.entity_id == str(document_id),
               AuditEntry.action.in_((FAILED_ACTION, FORCED_ACTION)))
        .order_by(AuditEntry.id)).all()
    count = 0
    for _id, action, detail in entries:
        if action == FORCED_ACTION:
            count = 0
        elif (detail or {}).get("stage") == stage:
            count += 1
    return count


def held_reason(stage: str, failures: int, failure: str, batch_id: int) -> str:
    """The review reason of a held document: the stage, how often, the last error, what to run."""
    return (f"{HELD_PREFIX}{stage} — công đoạn {stage} thất bại {failures} lần, không tự thử lại nữa "
            f"(lỗi cuối: {failure[:300]}); cần người kiểm tra, thử lại bằng `sohoa retry {batch_id} --stage {stage}`")


def held_stage(reasons: Iterable[object]) -> str | None:
    """The stage a held document waits on, read from its review reasons (None: not held)."""
    for reason in reasons:
        text = str(reason)
        if text.startswith(HELD_PREFIX):
            return text[len(HELD_PREFIX):].split(" ", 1)[0]
    return None


def without_held(reasons: Iterable[object]) -> list[object]:
    return [r for r in reasons if not str(r).startswith(HELD_PREFIX)]
