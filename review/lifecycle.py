"""After signing: a signed record is corrected by a new version, never overwritten (Decree 45
Art. 15; Decree 137 Art. 4), and a provisional `TAM.…` dossier code is re-keyed to the real one.

Both set `documents.replaces_result_id` to the signed result the next signature replaces; the
sign stage then signs a new version (next `KQ<n>` of the dossier) whose marker and fields.json name
the old one, links the two both ways (`storage.records.link_new_version`), and the push of the new
version tells the warehouse which result it supersedes. Until then the old result stays valid.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.errors import InvalidValue
from core.exitcodes import ExitCode
from core.identifiers import is_dossier_code
from storage.db import session_scope
from storage.documents import transition
from storage.models import AuditEntry, Document, DocumentStatus, Result, ResultState
from storage.records import current_result
from storage.review_models import ReviewAction, ReviewDecision


class LifecycleError(InvalidValue):
    """The action is refused; the message (Vietnamese) says why. Pages show the fixed text of its
    `code` instead (web/review_pages.py), as for ReviewError."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[type[LifecycleError], tuple[str, str]]:  # crosses process pools intact
        return type(self), (str(self), self.code)

    exit_code: ExitCode = ExitCode.BAD_INPUT  # the result named cannot take this action
    headline = "Không thực hiện được"


def _valid(s, result_code: str) -> Result:  # type: ignore[no-untyped-def]
    result = s.scalar(select(Result).where(Result.result_code == result_code))
    if result is None:
        raise LifecycleError(f"không có kết quả mã {result_code}", "no_result")
    if result.state is ResultState.REVOKED:
        raise LifecycleError(f"{result_code} đã bị thu hồi: không đính chính được", "revoked")
    if result.state is ResultState.SUPERSEDED:
        raise LifecycleError(f"{result_code} đã được thay thế: hãy đính chính bản hiện hành", "superseded")
    return result


def reopen_signed(result_code: str, actor: str, reason: str, *, db_url: str | None = None) -> int:
    """A steward corrects a signed result: the record opens for review again (its fields editable,
    history kept) and, once approved, is signed as a new version superseding `result_code`.
    Returns the document id."""
    reason = reason.strip()
    if not reason:
        raise LifecycleError("cần ghi lý do đính chính", "reopen_reason")
    with session_scope(db_url) as s:
        result = _valid(s, result_code)
        doc = s.get_one(Document, result.document_id)
        if current_result(s, doc.id) is not result:
            raise LifecycleError(f"{result_code} không phải bản hiện hành của hồ sơ #{doc.id}", "not_current")
        if doc.replaces_result_id == result.id:
            return doc.id  # already open for correction
        if doc.status not in (DocumentStatus.STORED, DocumentStatus.SYNCED):
            raise LifecycleError(f"{result_code} chưa được lưu trữ xong: hãy chạy bước lưu trữ trước khi đính chính", "not_stored")
        doc.replaces_result_id = result.id
        doc.review_reasons = [*doc.review_reasons, f"đính chính sau khi ký ({result_code}): {reason}"]
        transition(s, doc, DocumentStatus.NEEDS_REVIEW, actor=actor, reason=reason, action="reopen",
                   detail={"result_code": result_code})
        s.add(ReviewDecision(document_id=doc.id, action=ReviewAction.REOPEN, reason=reason, actor=actor))
        return doc.id


@dataclass(frozen=True)
class Rekeyed:
    document_id: int
    batch_id: int
    old_result: str | None  # the provisional result to be superseded (None: not signed yet)


def rekey_provisional(provisional: str, real: str, actor: str, *, db_url: str | None = None) -> list[Rekeyed]:
    """`sohoa rekey TAM-CODE REAL-CODE`: the records under a provisional dossier code take the real
    mã hồ sơ (checked against the one-stop format); the provisional code stays as their alias. A
    signed one is queued for a new version under `<real>-KQ<n>` that supersedes the provisional result
    (no new review: only the code changes). Returns what moved."""
    provisional, real = provisional.strip(), real.strip()
    if not is_dossier_code(real):
        raise LifecycleError(f"mã hồ sơ «{real}» không đúng dạng <mã cơ quan>-<yymmdd>-<số thứ tự>", "dossier_code")
    moved: list[Rekeyed] = []
    with session_scope(db_url) as s:
        docs = list(s.scalars(select(Document).where(Document.dossier_code == provisional).order_by(Document.id)))
        if not docs:
            raise LifecycleError(f"không có hồ sơ nào mang mã tạm {provisional}", "no_provisional")
        if not all(d.dossier_provisional for d in docs):
            raise LifecycleError(f"{provisional} là mã hồ sơ thật: mã hồ sơ không bao giờ đổi (Điều 12.3)",
                                 "not_provisional")
        for doc in docs:
            result = current_result(s, doc.id)
            if result is not None and result.state is ResultState.REVOKED:
                result = None  # a revoked provisional result stays revoked under its own code
            doc.provisional_code, doc.dossier_code, doc.dossier_provisional = provisional, real, False
            doc.review_reasons = [r for r in doc.review_reasons if "mã hồ sơ tạm thời" not in str(r)]
            detail = {"provisional": provisional, "real": real, "result": result.result_code if result else None}
            if result is not None:
                doc.replaces_result_id = result.id
                # The approved content is unchanged: signed again as it is, under the real code.
                transition(s, doc, DocumentStatus.APPROVED, actor=actor, action="rekey", detail=detail)
            else:
                s.add(AuditEntry(actor=actor, action="rekey", entity="document", entity_id=str(doc.id), detail=detail))
            s.add(ReviewDecision(document_id=doc.id, action=ReviewAction.REKEY, reason=f"{provisional} → {real}",
                                 actor=actor))
            moved.append(Rekeyed(doc.id, doc.batch_id, result.result_code if result else None))
    return moved
