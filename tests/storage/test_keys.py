"""Object keys: province / agency / year / result code, ASCII only (Art. 17: browsable by unit)."""

from __future__ import annotations

from storage.keys import ascii_slug, raw_key, result_key


def test_result_keys_are_province_agency_year_result_code() -> None:
    key = result_key("Khánh Hòa", "000.00.15.H34", 2020, "000.00.15.H34-200512-0001-KQ1", ".pdf")
    assert key == "khanh-hoa/000.00.15.h34/2020/000.00.15.h34-200512-0001-kq1.pdf"
    assert key.isascii()


def test_vietnamese_unit_names_become_ascii_slugs() -> None:
    assert ascii_slug("Đắk Lắk") == "dak-lak"
    assert ascii_slug("Thừa Thiên Huế") == "thua-thien-hue"
    assert ascii_slug("UBND xã Vạn Ninh") == "ubnd-xa-van-ninh"
    assert ascii_slug("???") == "unknown"


def test_raw_keys_are_content_addressed_per_batch() -> None:
    sha = "a" * 64
    assert raw_key("Bình Định", "000.00.15.H08", 2019, 7, sha, ".tif") == f"binh-dinh/000.00.15.h08/2019/batch-7/{sha}.tif"
