"""Probable duplicates: the same paper entered twice must not become two signed results.

Two signs of the same paper, checked when a record is validated:
- the same issuing body, number and date (compared folded and whitespace-collapsed), or
- near-identical page images: a difference hash (dHash) of every page, compared by Hamming distance.

A record that matches an EARLIER record (a lower id, not rejected) goes to a steward as "có thể trùng"
with a link to that record; approving it anyway needs a written reason (`service.approve_document`).
The earlier record is left alone: it is the one that came first.

Re-digitisation (issue 15): when the earlier paper already has a valid signed result, a new scan of
it (new bytes; the same body, number and date, near-identical pages, or the same real mã hồ sơ,
type and number) is no duplicate and no second independent result: the record takes the supersede
path (`documents.replaces_result_id`, as `sohoa reopen` and intake of the same file do), goes to a
steward with the result it will replace named, and once signed becomes the next version of that
result under its dossier code (`signing/batch.py`, `storage.records.link_new_version`). Matches that
lead to two different valid results stay duplicates: a person decides.

The hash: the page in grey, shrunk by area averaging to HASH_SIDE+1 by HASH_SIDE cells, one bit per
pair of horizontal neighbours (is the left cell brighter by more than STEP?). A 64-bit hash (8 x 8)
cannot tell two filled-in copies of one form apart (measured: as close as 0 bits): they differ only in
a few words, which vanish in an 8 x 8 grid. At 32 x 32 (1,024 bits) the filled-in words change enough
cells; STEP keeps the scanner noise of blank margins out of the bits. HASH_SIDE, STEP and
MATCH_DISTANCE were measured on generated documents (`python -m review.bench`, figures in
docs/duplicates.md). A paper put through the scanner twice (new skew, shift, noise) is NOT reliably
caught by the images (its pages differ as much as two different papers'): the identity rule is what
catches it, when OCR reads its number, body and date the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.text import fold_words
from ocr.fingerprint import (  # noqa: F401 (the duplicates check compares them)
    HASH_BITS,
    HASH_SIDE,
    MATCH_DISTANCE,
    STEP,
    hamming,
    page_hash,
)
from schemas.rules import Route
from storage.models import Document, DocumentStatus, Field, Page, ProbableDuplicate, Result
from storage.records import REDIGITISED_PREFIX, latest_result, redigitised_reason, valid_version_of

#: The fields that say which paper a record is: who issued it, its number, its date.
IDENTITY_FIELDS = ("issuing_authority", "document_number", "issue_date")
REASON_PREFIX = "có thể trùng"
PROVISIONAL_PREFIX = "mã hồ sơ tạm thời"  # review.validate.PROVISIONAL_REASON begins so
BASIS_VI = {"identity": "cùng cơ quan ban hành, số và ngày", "image": "ảnh các trang gần như trùng khớp",
            "dossier": "cùng mã hồ sơ, loại giấy tờ và số"}


def identity_key(fields: dict[str, str | None]) -> tuple[str, str, str] | None:
    """(body, number, date), folded and whitespace-collapsed; None when one of them is missing."""
    values = []
    for name in IDENTITY_FIELDS:
        value = fields.get(name)
        if not value or not value.strip():
            return None
        folded = fold_words(value)
        if name == "document_number":  # "1234 / QĐ-UBND" and "1234/QĐ-UBND" are one number
            folded = re.sub(r"\s+", "", folded)
        values.append(folded)
    return values[0], values[1], values[2]


@dataclass(frozen=True)
class Match:
    other_id: int
    basis: str  # identity | image
    distance: int | None  # image: the largest page distance

    @property
    def reason(self) -> str:
        how = BASIS_VI[self.basis]
        if self.distance is not None:
            how += f", khác {self.distance}/{HASH_BITS} bit"
        return f"{REASON_PREFIX} với hồ sơ #{self.other_id} ({how})"


def _hashes(s: Session, document_ids: list[int] | None = None) -> dict[int, list[str]]:
    q = select(Page.document_id, Page.number, Page.image_hash).where(Page.image_hash.is_not(None))
    if document_ids is not None:
        q = q.where(Page.document_id.in_(document_ids))
    pages: dict[int, list[tuple[int, str]]] = {}
    for doc_id, number, h in s.execute(q):
        if h:
            pages.setdefault(doc_id, []).append((number, h))
    return {d: [h for _, h in sorted(p)] for d, p in pages.items()}


def find_matches(s: Session, doc: Document) -> list[Match]:
    """Earlier, not rejected records that are probably the same paper as `doc`."""
    earlier = [d for d, status in s.execute(select(Document.id, Document.status).where(Document.id < doc.id))
               if status != DocumentStatus.REJECTED]
    if not earlier:
        return []
    found: list[Match] = []
    fields = {f.name: f.value for f in s.scalars(select(Field).where(Field.document_id == doc.id,
                                                                    Field.name.in_(IDENTITY_FIELDS)))}
    key = identity_key(fields)
    if key is not None:
        candidates: dict[int, dict[str, str | None]] = {}
        for f in s.scalars(select(Field).where(Field.name.in_(IDENTITY_FIELDS), Field.document_id.in_(earlier))):
            candidates.setdefault(f.document_id, {})[f.name] = f.value
        found += [Match(other, "identity", None) for other, values in candidates.items() if identity_key(values) == key]
    mine = _hashes(s, [doc.id]).get(doc.id)
    if mine:
        mine_bits = np.unpackbits(np.frombuffer(bytes.fromhex("".join(mine)), dtype=np.uint8))
        for other, theirs in _hashes(s, earlier).items():
            if len(theirs) != len(mine):
                continue
            bits = np.unpackbits(np.frombuffer(bytes.fromhex("".join(theirs)), dtype=np.uint8))
            per_page = (bits != mine_bits).reshape(len(mine), -1).sum(axis=1)
            if int(per_page.max()) <= MATCH_DISTANCE:  # every page of one matches the same page of the other
                found.append(Match(other, "image", int(per_page.max())))
    return sorted(found, key=lambda m: (m.other_id, m.basis))


def _same_dossier_paper(s: Session, doc: Document) -> list[Match]:
    """Earlier records under the same real mã hồ sơ, of the same type and document number: the same
    paper even when OCR read its body or date differently this time (a re-digitisation candidate)."""
    if not doc.dossier_code or doc.dossier_provisional:
        return []
    number = s.scalar(select(Field.value).where(Field.document_id == doc.id, Field.name == "document_number"))
    if not number or not number.strip():
        return []
    wanted = re.sub(r"\s+", "", fold_words(number))
    found = []
    for other_id, value in s.execute(
            select(Document.id, Field.value).join(Field, Field.document_id == Document.id).where(
                Document.id < doc.id, Document.dossier_code == doc.dossier_code,
                Document.document_type == doc.document_type, Document.status != DocumentStatus.REJECTED,
                Field.name == "document_number")):
        if value and re.sub(r"\s+", "", fold_words(value)) == wanted:
            found.append(Match(other_id, "dossier", None))
    return found


def _redigitised(s: Session, doc: Document, matches: list[Match]) -> list[Match]:
    """Take the supersede path when the matches are the signed paper `doc` scans again; returns the
    matches left as probable duplicates (those that are not that paper's history)."""
    candidates = matches + [m for m in _same_dossier_paper(s, doc) if m.other_id not in {x.other_id for x in matches}]
    resolved = {m.other_id: valid_version_of(s, m.other_id) for m in candidates}
    if doc.replaces_result_id is None and latest_result(s, doc.id) is None:
        valid = {r.id: r for r in resolved.values() if r is not None}
        if len(valid) == 1:
            (result,) = valid.values()
            earlier = s.get_one(Document, result.document_id)
            if _take_dossier_of(doc, earlier):
                doc.replaces_result_id = result.id
    if doc.replaces_result_id is None:
        return matches
    # The paper's earlier records and versions are its history, not duplicates.
    return [m for m in matches if (r := resolved.get(m.other_id)) is None or r.id != doc.replaces_result_id]


def _take_dossier_of(doc: Document, earlier: Document) -> bool:
    """The new version continues the earlier one's dossier (its next KQ<n>). A provisional code of the
    new scan stays as its alias; two different real codes are two dossiers: no re-digitisation."""
    if doc.dossier_code == earlier.dossier_code:
        return True
    if doc.dossier_provisional or not doc.dossier_code:
        doc.provisional_code = doc.provisional_code or doc.dossier_code
        doc.dossier_code, doc.dossier_provisional = earlier.dossier_code, earlier.dossier_provisional
        return True
    return earlier.dossier_provisional  # the real code found at last: the new version re-keys it


def flag_duplicates(s: Session, doc: Document) -> list[str]:
    """Record the probable duplicates of `doc` (replacing earlier findings) and return their reasons.
    A new scan of a signed paper is no duplicate: it takes the supersede path (`_redigitised`)."""
    matches = _redigitised(s, doc, find_matches(s, doc))
    existing = {(p.other_document_id, p.basis): p for p in
                s.scalars(select(ProbableDuplicate).where(ProbableDuplicate.document_id == doc.id))}
    wanted = {(m.other_id, m.basis): m for m in matches}
    for key, row in existing.items():
        if key not in wanted:
            s.delete(row)
    for key, m in wanted.items():
        row = existing.get(key) or ProbableDuplicate(document_id=doc.id, other_document_id=m.other_id, basis=m.basis)
        row.distance = m.distance
        s.add(row)
    return [m.reason for m in matches]


def route_duplicates(s: Session, doc: Document, route: Route, reasons: list[Any]) -> tuple[Route, list[Any]]:
    """The hook where validation routes a record: a probable duplicate never goes straight to signing.

    Returns the route (APPROVED becomes NEEDS_REVIEW when `doc` matches an earlier record; REJECTED
    stays) and the reasons with the duplicate ones recomputed."""
    found = flag_duplicates(s, doc)
    reasons = [*without_duplicate_reasons(reasons), *found]
    replaced = s.get(Result, doc.replaces_result_id) if doc.replaces_result_id is not None else None
    redigitised = replaced is not None and replaced.document_id != doc.id  # not a correction of its own result
    if redigitised and replaced is not None:
        reasons = [r for r in reasons if not (isinstance(r, str) and r.startswith(REDIGITISED_PREFIX))]
        if not doc.dossier_provisional:  # it took the signed paper's real mã hồ sơ
            reasons = [r for r in reasons if not (isinstance(r, str) and r.startswith(PROVISIONAL_PREFIX))]
        reasons.append(redigitised_reason(replaced.result_code))
    if (found or redigitised) and route == Route.APPROVED:
        route = Route.NEEDS_REVIEW  # a person confirms that a new version replaces a signed result
    return route, reasons


def without_duplicate_reasons(reasons: list[Any]) -> list[Any]:
    """Review reasons minus the duplicate ones (recomputed on every validation)."""
    return [r for r in reasons if not (isinstance(r, str) and r.startswith(REASON_PREFIX))]


def duplicates_of(s: Session, document_id: int) -> list[ProbableDuplicate]:
    return list(s.scalars(select(ProbableDuplicate).where(ProbableDuplicate.document_id == document_id)
                          .order_by(ProbableDuplicate.other_document_id)))
