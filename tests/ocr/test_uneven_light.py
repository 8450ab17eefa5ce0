"""Uneven light (a phone photo's shadow, a photocopy's dark band): the page divided by its paper's
level before it is read (ocr.preprocess.flatten_paper), only when its paper varies (issue 12)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ocr import PageImage, get_engine, ocr_pages
from ocr.preprocess import UNEVEN_PAPER, flatten_paper, needs_flattening, paper_unevenness
from tests.ocr.a4_pages import a4_at, clean_a4_page

# The page read without the second readings: only the first reading's preprocessing is under test.
_FIRST_READING = {"key_lines": False, "signer_lines": False, "holder_lines": False, "list_items": False,
                  "header_body": False, "recipient_list": False, "header_stamp": False, "columns": ()}


def _shaded(depth: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """A 150-dpi page, and the same with a shadow darkening its right part by `depth` (a hand or a
    phone held over the sheet)."""
    page = np.asarray(a4_at(clean_a4_page(), 150))
    xx = np.linspace(0, 1, page.shape[1], dtype=np.float32)[None, :]
    light = 1 - depth * np.clip((xx - 0.35) / 0.3, 0, 1)
    return page, np.clip(page.astype(np.float32) * light[..., None], 0, 255).astype(np.uint8)


def test_only_a_page_whose_paper_varies_is_flattened():
    even, shaded = _shaded()
    assert not needs_flattening(even, 150)
    assert needs_flattening(shaded, 150)
    flat = flatten_paper(shaded, 150)
    grey = flat.max(axis=2)
    assert paper_unevenness(grey, 150) < UNEVEN_PAPER / 3
    # Ink stays ink: the darkest pixels of the shadowed part are as dark as on the lit part.
    w = grey.shape[1]
    assert np.percentile(grey[:, int(0.7 * w):], 0.5) < 80


def test_text_in_a_shadow_is_read():
    # Before, Tesseract's global threshold put the shadowed paper with the ink: nothing right of
    # 65 % of the width was read (0 words; 88 with the page flattened).
    _, shaded = _shaded()
    engine = get_engine("tesseract", **_FIRST_READING)
    page = ocr_pages([PageImage(Image.fromarray(shaded), 150, 1, True)], engine=engine, workers=1).pages[0]
    right = [w for w in page.words if w.bbox[0] > 0.65 * shaded.shape[1] and w.confidence > 0.8]
    assert len(right) >= 60
