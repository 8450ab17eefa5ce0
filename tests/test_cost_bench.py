"""The cost bench's breakdown wraps named functions of the OCR stage; a moved or renamed function must
fail here, not in the middle of `make bench` after minutes of paired runs."""

from __future__ import annotations

import ocr.reading
import ocr.tesseract_engine
from sohoa.cost_bench import _instrumented, _Parts


def test_every_wrapped_step_exists_and_is_put_back() -> None:
    before = (ocr.reading.assess, ocr.tesseract_engine.prepare)
    parts = _Parts()
    with _instrumented(parts):
        assert ocr.reading.assess is not before[0]  # the page-quality step the OCR stage calls is timed
        assert ocr.tesseract_engine.prepare is not before[1]
    assert (ocr.reading.assess, ocr.tesseract_engine.prepare) == before
