"""The OCR of one page converts the page's pixels once (issue 16, the cost outside OCR).

Each step converting a PIL page itself (preprocessing, the seal and signature marks, every crop the
second recogniser reads) cost a 26 MB copy per call at 300 dpi; the engine converts the page to one
RGB array and hands that on. Counted through PIL, no timing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PIL import Image

import ocr.key_lines
import ocr.signer_lines
from ocr.tesseract_engine import TesseractEngine

samples = pytest.importorskip("samples")


def test_the_engine_reads_a_page_from_one_conversion_of_its_pixels(monkeypatch: pytest.MonkeyPatch) -> None:
    pages, _ = samples.render_document("giay_phep_xay_dung", seed=4, damage="none")
    page = pages[0].convert("RGB")
    conversions: list[str] = []
    convert, tobytes = Image.Image.convert, Image.Image.tobytes

    def counted_convert(self: Image.Image, *args: Any, **kwargs: Any) -> Image.Image:
        if self is page:
            conversions.append("convert")
        return convert(self, *args, **kwargs)

    def counted_tobytes(self: Image.Image, *args: Any, **kwargs: Any) -> bytes:
        if self is page:  # np.asarray(page) goes through here
            conversions.append("tobytes")
        return tobytes(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "convert", counted_convert)
    monkeypatch.setattr(Image.Image, "tobytes", counted_tobytes)
    crops: list[tuple[int, ...]] = []
    for module in (ocr.key_lines, ocr.signer_lines):
        def read_line(image: Any, bbox: tuple[int, ...], *, _real: Any = module.read_line, **kw: Any) -> Any:
            crops.append(bbox)
            return _real(image, bbox, **kw)

        monkeypatch.setattr(module, "read_line", read_line)

    text = TesseractEngine().recognise(page, dpi=300)

    assert len(text.words) > 50
    assert len(crops) >= 3  # the number or date line and the signature block were read a second time
    # One conversion, and no copy before it: an RGB page is read as it is (np.asarray), not converted
    # to RGB first (a 26 MB copy of the same pixels).
    assert conversions == ["tobytes"], conversions


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "LA", "L", "P", "1", "I;16", "CMYK"])
def test_a_page_read_as_it_is_has_the_pixels_of_its_rgb_conversion(mode: str) -> None:
    from ocr.quality import _max_channel, as_rgb_array

    image = Image.new(mode, (37, 23))
    image.putpixel((3, 4), 1 if len(mode) == 1 or mode == "I;16" else tuple(range(60, 60 + len(mode))))
    converted = np.asarray(image.convert("RGB"))
    read = as_rgb_array(image)
    assert read.dtype == converted.dtype and read.shape == converted.shape
    assert np.array_equal(read, converted)
    assert np.array_equal(_max_channel(image), converted.max(axis=2))


def test_the_darkest_channel_is_numpys_minimum_over_the_channels() -> None:
    from ocr.key_lines import darkest, min_channel

    rgb = np.random.default_rng(7).integers(0, 256, (61, 83, 3), dtype=np.uint8)
    assert np.array_equal(min_channel(rgb), rgb.min(axis=2))
    dark = darkest(rgb[5:40, 7:70])  # a crop: not contiguous
    assert dark.shape == (35, 63, 3) and np.array_equal(dark, np.repeat(rgb[5:40, 7:70].min(axis=2)[:, :, None], 3, axis=2))
