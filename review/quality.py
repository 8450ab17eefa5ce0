"""Page quality as review reasons (Decree 137 Art. 4.2.a, DOMAIN rule 3: full content; a blank,
unreadable or low-resolution page is flagged, never silently accepted).

The OCR stage measures every page (`ocr.quality.assess`) and keeps the figures in `pages.quality`;
this module is the one rule turning them into what a steward reads: one Vietnamese reason per
problem page, naming the page and the problem. Validation adds the reasons to the record (both the
pipeline's first pass and the desk's revalidation), so a record with any of them is never approved
by the rules alone: it waits in review, where a steward approves it with a note, or asks for a
re-scan ("Yêu cầu quét lại").

Every reason starts with REASON_PREFIX, so a revalidation replaces them instead of piling them up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Document, Page

REASON_PREFIX = "bản quét"
# What the pipeline's intake wrote for a page count the manifest disagrees with (English code); the
# Vietnamese reason below says the same, so the code is dropped once the reason is there.
INTAKE_PAGE_COUNT_CODE = "page_count_mismatch"

# Flags of ocr.quality.PageQuality, most telling first: a page shows the first of a group only
# ("too_small" says more than "low_resolution", "seal_only" more than "blank").
_FLAG_VI: dict[str, str] = {
    "seal_only": "chỉ có dấu đỏ, không có chữ (có thể dấu thấm từ mặt sau)",
    "blank": "trang trắng, không có nội dung",
    "too_small": "ảnh quá nhỏ ({dpi} dpi), chữ chỉ cao vài điểm ảnh",
    "low_resolution": "độ phân giải thấp ({dpi} dpi, dưới mức 200 dpi)",
    "blurry": "ảnh bị mờ",
    "low_contrast": "chữ quá nhạt (độ tương phản thấp)",
    "upside_down": "trang bị quét ngược (lộn đầu)",
    "sideways": "trang bị quét nằm ngang (xoay 90°)",
    "cut": "trang bị cắt, chữ chạm mép {edges} (có thể mất nội dung)",
}
_EDGES_VI = {"left": "trái", "right": "phải", "top": "trên", "bottom": "dưới"}
_SAME_GROUP = (("seal_only", "blank"), ("too_small", "low_resolution"))
# Problems a person fixes only by scanning the paper again (the rest: the scan is usable, a steward
# checks it). An approval over a re-scan problem needs a note. A page between 100 and 200 dpi
# ("low_resolution" alone) is checked, not re-scanned by default: 9 of the 15 development real
# documents are 150-dpi scans that read well (docs/review.md); a steward may still ask for a re-scan.
RESCAN_FLAGS = frozenset({"seal_only", "blank", "too_small", "blurry", "low_contrast", "cut"})


@dataclass(frozen=True)
class PageProblem:
    page: int | None  # None: the record as a whole (its page count)
    flags: tuple[str, ...]  # ocr.quality flags, or ("page_count",)
    problem_vi: str
    rescan: bool  # only a new scan fixes it
    label: str = ""  # "2/3" when the record has several pages, "1" for a single page

    @property
    def reason(self) -> str:
        """The review reason: "bản quét trang 2/3: trang trắng, không có nội dung — cần quét lại"."""
        where = f"{REASON_PREFIX} trang {self.label or self.page}" if self.page is not None else REASON_PREFIX
        return f"{where}: {self.problem_vi} — {'cần quét lại' if self.rescan else 'cần kiểm tra'}"


def page_problems(pages: Iterable[tuple[int, Mapping[str, Any]]], *, page_count: int | None = None,
                  manifest_pages: int | None = None) -> list[PageProblem]:
    """The problems of a record's pages: (page number, stored quality dict) each, plus the page count
    against the manifest. Pages are named "2/3" when the record has several."""
    items = sorted(pages, key=lambda item: item[0])
    total = page_count or len(items)
    out: list[PageProblem] = []
    if manifest_pages is not None and page_count is not None and manifest_pages != page_count:
        out.append(PageProblem(None, ("page_count",), f"danh mục ghi {manifest_pages} trang, tệp có {page_count} "
                               "trang (thiếu hoặc thừa trang)", True))
    order = list(_FLAG_VI)
    for number, quality in items:
        flags = [f for f in quality.get("flags") or () if f in _FLAG_VI]
        for first, second in _SAME_GROUP:
            if first in flags and second in flags:
                flags.remove(second)
        if "blank" in flags or "seal_only" in flags:
            # Nothing on the page: its resolution or sharpness says nothing more.
            flags = [f for f in flags if f in ("blank", "seal_only", "upside_down", "sideways")]
        if not flags:
            continue
        flags.sort(key=order.index)
        dpi = quality.get("dpi") or "?"
        edges = ", ".join(_EDGES_VI.get(e, e) for e in quality.get("cut_edges") or ()) or "trang"
        out.append(PageProblem(number, tuple(flags), "; ".join(_FLAG_VI[f].format(dpi=dpi, edges=edges) for f in flags),
                               any(f in RESCAN_FLAGS for f in flags),
                               f"{number}/{total}" if total > 1 else str(number)))
    return out


def record_problems(s: Session, doc: Document) -> list[PageProblem]:
    """The page problems of one stored record (its Page rows and its page count)."""
    rows = s.execute(select(Page.number, Page.quality).where(Page.document_id == doc.id)).all()
    return page_problems(((n, q or {}) for n, q in rows), page_count=doc.page_count,
                         manifest_pages=doc.manifest_pages)


def is_quality_reason(reason: object) -> bool:
    """A reason this module wrote (or intake's page-count code it replaces): recomputed on every validation."""
    return isinstance(reason, str) and (reason.startswith(REASON_PREFIX) or reason.startswith(INTAKE_PAGE_COUNT_CODE))


def quality_reasons(s: Session, doc: Document) -> tuple[str, ...]:
    """The review reasons of the record's pages, for validation's `extra_reasons`."""
    return tuple(p.reason for p in record_problems(s, doc))


def with_quality_reasons(s: Session, doc: Document, reasons: Iterable[str]) -> tuple[str, ...]:
    """`reasons` without earlier page-quality reasons, followed by the current ones. Intake's
    page-count code stays when the record has no manifest count to judge it by."""
    fresh = quality_reasons(s, doc)
    judged_count = doc.manifest_pages is not None
    kept = tuple(r for r in reasons if not (isinstance(r, str) and r.startswith(REASON_PREFIX))
                 and not (judged_count and isinstance(r, str) and r.startswith(INTAKE_PAGE_COUNT_CODE)))
    return kept + fresh
