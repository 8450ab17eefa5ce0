"""One province matcher: every path (catalogue rule, users, queues, roadmap search) asks core.units."""

from __future__ import annotations

import pytest

from core.units import UnknownProvince, canonical_province, name_key, name_matches, province_2025, search_key


@pytest.mark.parametrize("spelling", ["Khánh Hoà", "Khánh Hòa", "KHÁNH HOÀ", "tỉnh  khánh hòa", "56"])
def test_every_spelling_of_a_province_stores_as_the_catalogue_spells_it(spelling: str) -> None:
    assert canonical_province(spelling) == "Khánh Hòa"
    assert province_2025(spelling).name == "Khánh Hòa"


def test_an_old_name_keeps_its_own_spelling_and_maps_to_its_2025_province() -> None:
    assert canonical_province("ninh thuận") == "Ninh Thuận"  # the old map still needs it
    assert province_2025("Ninh Thuận").name == "Khánh Hòa"
    assert canonical_province("Thành phố Hồ Chí Minh") == "Hồ Chí Minh"
    with pytest.raises(UnknownProvince):
        canonical_province("Gotham")


def test_tone_placement_does_not_matter_for_unit_names() -> None:
    assert name_key("Thuỷ Nguyên") == name_key("Thủy Nguyên")
    assert name_key("Hoà Bình") == name_key("Hòa Bình")
    assert canonical_province("Hoà Bình") == "Hòa Bình"


def test_search_is_accents_off_and_case_off() -> None:
    assert search_key("Khánh Hoà") == search_key("khanh hoa") == search_key("KHÁNH HÒA") == "khanh hoa"
    assert name_matches("khanh hoa", "Khánh Hòa")
    assert name_matches("Khánh Hoà", "Khánh Hòa")
    assert name_matches("thuy", "Thủy Nguyên") and name_matches("Thuỷ", "Thủy Nguyên")
    assert not name_matches("khanh hoa", "Ninh Thuận")
    assert not name_matches("", "Khánh Hòa")
    # accents-off is for searching only: the catalogue rule still wants the name as written
    with pytest.raises(UnknownProvince):
        province_2025("Khanh Hoa")
