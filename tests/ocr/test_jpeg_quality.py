"""The JPEG compression left in a page's pixels is measured (the re-compression dip), and a small page
saved as a harsh JPEG is read on its luma, strongly coloured ink still on its brightest channel
(issue 12)."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

import ocr.preprocess as preprocess
from ocr.preprocess import harsh_jpeg, luma_unless_coloured, prepare
from ocr.quality import jpeg_quality
from tests.ocr.a4_pages import a4_at, clean_a4_page

pytest.importorskip("samples")


@pytest.fixture(scope="module")
def small_rgb() -> Image.Image:
    return a4_at(clean_a4_page(), 70).convert("RGB")


def _saved(image: Image.Image, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"))


@pytest.mark.parametrize("quality", [40, 60, 75, 85])
def test_the_quality_a_page_was_saved_at_is_read_from_its_pixels(small_rgb: Image.Image, quality: int) -> None:
    assert abs(jpeg_quality(_saved(small_rgb, quality)) - quality) <= 2


def test_a_page_never_saved_as_jpeg_or_moved_off_its_grid_shows_none(small_rgb: Image.Image) -> None:
    assert jpeg_quality(np.asarray(small_rgb.convert("L"))) == 0  # never compressed
    shifted = _saved(small_rgb, 60)[3:, 5:]  # cropped by a few pixels: the 8x8 grid is lost
    assert jpeg_quality(shifted) == 0
    assert jpeg_quality(np.full((300, 300), 250, np.uint8)) == 0  # nothing written: nothing to measure


def test_only_a_harsh_jpeg_counts(small_rgb: Image.Image) -> None:
    assert harsh_jpeg(_saved(small_rgb, 60))
    assert not harsh_jpeg(_saved(small_rgb, 85))
    assert not harsh_jpeg(np.asarray(small_rgb.convert("L")))


def test_coloured_ink_keeps_its_brightest_channel_the_rest_is_luma() -> None:
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0] = (200, 40, 40)  # a seal's red: faded as before
    rgb[0, 1] = (30, 20, 40)  # black print with a JPEG colour fringe: luma, not its lighter channel
    rgb[1, 0] = (250, 250, 250)
    rgb[1, 1] = (120, 120, 120)
    out = luma_unless_coloured(rgb)
    luma = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    assert out[0, 0] == 200
    assert out[0, 1] == luma[0, 1] < 40
    assert out[1, 0] == 250 and out[1, 1] == 120


def test_a_harsh_small_jpeg_is_prepared_from_its_luma(small_rgb: Image.Image, monkeypatch: pytest.MonkeyPatch) -> None:
    buf = io.BytesIO()
    small_rgb.save(buf, "JPEG", quality=60)
    harsh = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    seen: list[str] = []
    real = preprocess.luma_unless_coloured

    def spy(rgb: np.ndarray) -> np.ndarray:
        seen.append("luma")
        return real(rgb)

    monkeypatch.setattr(preprocess, "luma_unless_coloured", spy)
    prepare(harsh, 70, ink="max")
    assert seen == ["luma"]
    prepare(harsh, 300, ink="max", upscale=False)  # not a small page: its brightest channel as before
    prepare(np.asarray(small_rgb), 70, ink="max")  # never compressed
    assert seen == ["luma"]
