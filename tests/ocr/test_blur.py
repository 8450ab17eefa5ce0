"""A blurred small page is measured soft and sharpened after its upscale; a sharp one, and any page
read at its own resolution, are not (issue 12)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

import ocr.preprocess as preprocess
from ocr.preprocess import prepare, stretch_levels, unsharp
from ocr.quality import EDGE_WIDTH_DPI, PageQuality, assess, edge_width
from tests.ocr.a4_pages import a4_at, clean_a4_page

samples = pytest.importorskip("samples")


@pytest.fixture(scope="module")
def clean() -> Image.Image:
    return clean_a4_page()


def _at(page: Image.Image, dpi: int) -> np.ndarray:
    return np.asarray(a4_at(page, dpi).convert("L"))


def _blurred(gray: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(gray, (0, 0), sigma) if sigma else gray


@pytest.mark.parametrize("dpi", [70, 100, 300])
def test_the_edge_width_orders_sharp_below_blurred(clean: Image.Image, dpi: int) -> None:
    page = _at(clean, dpi)
    # The same blur for the letters at every resolution: sigma in pixels at EDGE_WIDTH_DPI.
    widths = [edge_width(_blurred(page, s * dpi / EDGE_WIDTH_DPI), dpi) for s in (0, 0.5, 0.7, 1.0)]
    assert widths == sorted(widths) and len(set(widths)) == 4, widths


def test_the_edge_width_is_the_letters_not_the_pixels_nor_the_contrast(clean: Image.Image) -> None:
    small, scan = _at(clean, 70), _at(clean, 300)
    # A 300-dpi scan measures like its 70-dpi thumbnail: the scale is the resolution's, not the file's.
    assert abs(edge_width(scan, 300) - edge_width(small, 70)) < 0.03
    # A grey sheet (every level x 0.75) measures like the white one.
    grey = (small.astype(np.float32) * 0.75).astype(np.uint8)
    assert abs(edge_width(grey, 70) - edge_width(small, 70)) < 0.03
    assert edge_width(np.full((900, 640), 250, np.uint8), 70) == 0.0  # nothing written


def test_the_page_quality_record_carries_the_edge_width(clean: Image.Image) -> None:
    sharp = np.stack([_at(clean, 70)] * 3, axis=-1)
    soft = _blurred(sharp, 0.7)
    q_sharp, q_soft = assess(sharp, 70), assess(soft, 70)
    assert 0 < q_sharp.edge_width < preprocess.SHARPEN_ABOVE_EDGE_WIDTH < q_soft.edge_width
    assert PageQuality.from_dict(q_soft.to_dict()) == q_soft
    old = {k: v for k, v in q_soft.to_dict().items() if k != "edge_width"}  # a record of an older stage
    assert PageQuality.from_dict(old).edge_width == 0.0


def _plain(gray: np.ndarray, dpi: int) -> preprocess.Prepared:
    return prepare(gray, dpi, deskew=False, denoise=False, border=False, ink="gray")


def test_only_a_small_page_above_the_threshold_is_sharpened(clean: Image.Image,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    small = _at(clean, 70)
    soft = _blurred(small, 0.7)
    for page, sharpened in ((small, False), (soft, True)):
        prepared = _plain(page, 70)
        upscaled = cv2.resize(page, None, fx=prepared.scale, fy=prepared.scale, interpolation=cv2.INTER_CUBIC)
        want = stretch_levels(unsharp(upscaled, preprocess.SHARPEN_SIGMA, preprocess.SHARPEN_AMOUNT),
                              preprocess.SOFT_WHITE_POINT) if sharpened else stretch_levels(upscaled)
        assert np.array_equal(prepared.gray, want), sharpened
    # It is the threshold that routes: above the soft page's own width, that page is left soft too.
    monkeypatch.setattr(preprocess, "SHARPEN_ABOVE_EDGE_WIDTH", edge_width(soft, 70) + 0.01)
    scale = _plain(soft, 70).scale
    upscaled = cv2.resize(soft, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    assert np.array_equal(_plain(soft, 70).gray, stretch_levels(upscaled))


def test_a_small_page_gets_the_median_alone_as_every_page_and_no_smoothing_before_its_upscale(
        clean: Image.Image) -> None:
    """Smoothing a small page before its upscale (non-local means) turned a real 87-dpi handwritten
    number into another one: a sharp or a blurred small page gets only the 3x3 median every page
    gets, and a page at 200 dpi or more the median alone."""
    small = _at(clean, 70)
    soft = _blurred(small, 0.7)
    for page in (small, soft):
        prepared = prepare(page, 70, deskew=False, border=False, ink="gray")
        plain = _plain(page, 70)
        assert prepared.scale == plain.scale
        assert np.array_equal(prepared.gray, cv2.medianBlur(plain.gray, 3))
    scan = _at(clean, 300)
    assert np.array_equal(prepare(scan, 300, deskew=False, border=False, ink="gray").gray, cv2.medianBlur(scan, 3))


@pytest.mark.parametrize("dpi", [150, 200, 300])
def test_a_blurred_page_read_at_150_dpi_or_more_is_never_sharpened(clean: Image.Image, dpi: int) -> None:
    page = _blurred(_at(clean, dpi), 0.7 * dpi / EDGE_WIDTH_DPI)
    assert edge_width(page, dpi) > preprocess.SHARPEN_ABOVE_EDGE_WIDTH
    prepared = _plain(page, dpi)
    want = cv2.resize(page, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC) if dpi == 150 else page
    assert np.array_equal(prepared.gray, want)
