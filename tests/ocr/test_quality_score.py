"""The per-page quality score and the re-scan flag (Decree 137 Art. 4.2.a: nothing silently accepted)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocr.quality import assess

samples = pytest.importorskip("sohoa.samples")


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    pages, _ = samples.render_document("quyet_dinh", seed=4, damage="none")
    return np.asarray(pages[0].convert("RGB"))


def test_clean_page_needs_no_rescan(page: np.ndarray) -> None:
    q = assess(page, 300)
    assert not q.rescan and q.flags == () and q.score > 0.9
    assert q.to_dict()["rescan"] is False and q.to_dict()["score"] == q.score


def test_blurred_low_resolution_and_faded_pages_are_flagged_for_rescan(page: np.ndarray) -> None:
    small = cv2.resize(page, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)  # 120 dpi
    q = assess(small, 120)
    assert q.rescan and "low_resolution" in q.flags and q.score <= 0.4
    blurred = cv2.GaussianBlur(page, (0, 0), 6)
    q = assess(blurred, 300)
    assert q.rescan and "blurry" in q.flags
    faded = (255 - (255 - page.astype(np.float32)) * 0.2).astype(np.uint8)
    q = assess(faded, 300)
    assert q.rescan and "low_contrast" in q.flags


def test_blank_page_is_flagged_blank_not_rescan() -> None:
    blank = np.full((3508, 2480, 3), 250, np.uint8)
    q = assess(blank, 300)
    assert q.blank and q.flags == ("blank",) and q.score == 0.0 and not q.rescan
