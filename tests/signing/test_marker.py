from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest

from signing import ConversionMarker

from .conftest import CONVERTER


def test_lines_render_vietnam_time_not_machine_time() -> None:
    m = ConversionMarker(CONVERTER, datetime(2026, 11, 21, 20, 30, tzinfo=UTC), "X-KQ2", None)
    # 20:30 UTC on the 21st is 03:30 on the 22nd in Vietnam: date rolls over too.
    assert m.lines() == [
        "Bản điện tử được chuyển đổi từ văn bản giấy",
        "Thời gian chuyển đổi: 03:30 ngày 22/11/2026",
        f"Đơn vị chuyển đổi: {CONVERTER}",
        "Mã kết quả: X-KQ2",
    ]


def test_other_offsets_are_converted() -> None:
    paris = timezone(timedelta(hours=1))
    m = ConversionMarker(CONVERTER, datetime(2026, 1, 2, 8, 0, tzinfo=paris), None, None)
    assert m.lines()[1] == "Thời gian chuyển đổi: 14:00 ngày 02/01/2026"
    assert len(m.lines()) == 3  # no result code line when there is none


def test_qr_payload_holds_same_information_and_lookup_url() -> None:
    m = ConversionMarker(CONVERTER, datetime(2026, 11, 22, 7, 5, tzinfo=UTC), "X-KQ1", "https://tra.cuu/X-KQ1")
    data = json.loads(m.qr_payload())
    assert data == {"marker": "Bản điện tử được chuyển đổi từ văn bản giấy", "converted_at": "2026-11-22T14:05:00+07:00",
                    "converter": CONVERTER, "result_code": "X-KQ1", "lookup_url": "https://tra.cuu/X-KQ1"}


def test_naive_time_and_empty_converter_refused() -> None:
    with pytest.raises(ValueError):
        ConversionMarker(CONVERTER, datetime(2026, 1, 1), None, None)
    with pytest.raises(ValueError):
        ConversionMarker("  ", datetime(2026, 1, 1, tzinfo=UTC), None, None)


def test_converter_is_nfc_normalised() -> None:
    nfd = unicodedata.normalize("NFD", CONVERTER)
    assert nfd != CONVERTER
    assert ConversionMarker(nfd, datetime(2026, 1, 1, tzinfo=UTC), None, None).converter == CONVERTER
