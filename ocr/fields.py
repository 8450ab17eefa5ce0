"""The extractor's field model: a value read with its confidence, page, box and plausibility checks,
the confidence a value's words give it, and the caps a doubtful value is held under.

Below the extractor (ocr.extract), the labelled-line readers (ocr.labelled), the calibration
(ocr.calibrate) and the catalogue (ocr.catalogue): they all speak of fields this way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from typing import Any

from core.text import has_foreign_letter
from ocr.correct import CORRECTED_INVALID_CAP
from ocr.model import Box, Word
from ocr.segments import union

LOW_WORD_CONFIDENCE = 0.6
FORMAT_FAIL_CAP = 0.3
LOW_WORD_CAP = 0.5
# A value that looks hand-written into a printed blank (number, day) goes to a person.
HANDWRITTEN_CAP = 0.5
FILLED_IN_CONFIDENCE = 0.8
# A value that fails a plausibility check (a signer "name" that is a title, a holder name that is a
# label, a kind outside the known kinds) is a guess, whatever the glyph confidence: a person looks.
PLAUSIBILITY_CAP = 0.3
# A long free text (a summary of 20 words) is right only if every word is: one slipped mark in
# "kiêm định" at 0.94 mean word confidence is the commonest miss on real pages. Below the signing
# band, not below the review threshold.
LONG_TEXT_WORDS = 8
LONG_TEXT_CAP = 0.85


@dataclass(frozen=True)
class ExtractedField:
    value: str | None
    confidence: float  # 0..1
    page: int | None
    bbox: Box | None
    # Plausibility checks of the value from its place and form, by name ("personal_name",
    # "known_kind", "header_right" ...): True passed, False failed. A failed check has already capped
    # the confidence at PLAUSIBILITY_CAP; calibration reads them as features. Empty: none applies.
    checks: dict[str, bool] = dc_field(default_factory=dict, compare=False, hash=False)
    # Where the value came from when it is not simply what was read: {"catalogue": {"read": <the value
    # the page gave>, "repaired": "signer", "support": 400, ...}} (ocr.catalogue). Empty: as read.
    provenance: dict[str, Any] = dc_field(default_factory=dict, compare=False, hash=False)

    @property
    def plausible(self) -> bool:
        return all(self.checks.values())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "confidence": round(self.confidence, 3), "page": self.page,
                               "bbox": list(self.bbox) if self.bbox else None}
        if self.checks:  # only when there are any: older readers see the four keys they know
            out["checks"] = dict(self.checks)
        if self.provenance:
            out["provenance"] = dict(self.provenance)
        return out


def with_checks(f: ExtractedField, **checks: bool) -> ExtractedField:
    """`f` with these plausibility checks added; any failed one caps its confidence at PLAUSIBILITY_CAP."""
    if f.value is None:
        return f
    merged = {**f.checks, **checks}
    conf = f.confidence if all(merged.values()) else min(f.confidence, PLAUSIBILITY_CAP)
    return replace(f, confidence=conf, checks=merged)


ABSENT = ExtractedField(None, 0.0, None, None)


@dataclass(frozen=True)
class Extraction:
    document_type: str
    pages: int
    fields: dict[str, ExtractedField]

    def to_dict(self) -> dict[str, Any]:
        return {"document_type": self.document_type, "pages": self.pages,
                "fields": {name: f.to_dict() for name, f in self.fields.items()}}


def words_confidence(words: list[Word], format_ok: bool = True) -> float:
    if not words:
        return 0.0
    confs = [w.confidence for w in words]
    c = min(sum(confs) / len(confs), min(confs) + 0.15)
    if min(confs) < LOW_WORD_CONFIDENCE:
        c = min(c, LOW_WORD_CAP)
    if not format_ok:
        c = min(c, FORMAT_FAIL_CAP)
    return round(max(0.0, min(1.0, c)), 3)


def field_from_words(value: str | None, words: list[Word], page: int | None, format_ok: bool = True) -> ExtractedField:
    if not value:
        return ABSENT
    box = union(w.bbox for w in words) if words else None
    confidence = words_confidence(words, format_ok) if words else (0.3 if format_ok else 0.1)
    if has_foreign_letter(value):
        confidence = min(confidence, LOW_WORD_CAP)
    return ExtractedField(value, confidence, page, box)


def fixed_field(field: ExtractedField, fix: Callable[[str], str]) -> ExtractedField:
    """The field with `fix` applied to its value; a changed value is never more than
    CORRECTED_INVALID_CAP certain (it is our reading, not the engine's)."""
    if not field.value:
        return field
    fixed = fix(field.value)
    if fixed == field.value:
        return field
    return replace(field, value=fixed, confidence=min(field.confidence, CORRECTED_INVALID_CAP))
