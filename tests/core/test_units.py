"""The 2025 map change: 63 provinces → 34, each old province in exactly one new one; districts abolished."""

from __future__ import annotations

import pytest

from core import units


def test_every_old_province_belongs_to_exactly_one_of_34() -> None:
    mapping = units.mapping_to_2025()
    assert len(mapping) == 63 and len(set(mapping.values())) == 34
    assert {p.name for p in units.new_provinces()} == set(mapping.values())
    assert mapping["Ninh Thuận"] == "Khánh Hòa" and mapping["Thừa Thiên Huế"] == "Huế"


def test_new_codes_come_from_the_list_not_from_the_old_names() -> None:
    # Lào Cai (2025) took Yên Bái's code 15; the old Lào Cai was 10.
    assert units.province_2025("15").name == "Lào Cai"
    assert units.province_codes()["10"] == "Lào Cai"
    assert units.province_2025("Thành phố Hồ Chí Minh").code == "79"
    with pytest.raises(units.UnknownProvince):
        units.province_2025("10")


def test_communes_and_districts_are_complete_and_each_district_has_successors() -> None:
    assert len(units.communes_2025()) == 3321
    assert len(units.districts_2024()) == 696
    assert set(units.district_successors()) == set(units.districts_2024())
    van_ninh = next(d for d in units.districts_of("Khánh Hòa") if d.name == "Huyện Vạn Ninh")
    names = {units.communes_2025()[c].name for c in units.district_successors()[van_ninh.code]}
    assert "Xã Vạn Ninh" in names
    con_dao = next(d for d in units.districts_2024().values() if d.name == "Huyện Côn Đảo")
    assert [units.communes_2025()[c].name for c in units.district_successors()[con_dao.code]] == ["Đặc khu Côn Đảo"]


def test_names_match_however_they_are_spelled() -> None:
    assert units.province_2025("Hoà Bình").name == "Phú Thọ"
    assert units.province_2025("  tỉnh  khánh hòa ").name == "Khánh Hòa"
    # Both tone placements, with or without the kind, old and new names, full 2025 names.
    assert units.province_2025("Khánh Hoà").name == units.province_2025("Khánh Hòa").name == "Khánh Hòa"
    assert units.province_2025("Thanh Hoá").name == "Thanh Hóa"
    assert units.province_2025("TP. Hồ Chí Minh").code == "79"
    assert units.is_province("tỉnh Ninh Thuận") and not units.is_province("Atlantis") and not units.is_province("")
    with pytest.raises(units.UnknownProvince, match="Atlantis"):
        units.province_2025("Atlantis")
