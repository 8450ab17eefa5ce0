"""All 63 old provinces map to the right one of the 34 (Resolution 202/2025/QH15), checked row by row
against a copy of the project's reference list (tests/data/provinces_2025.csv, copied from
shared/data/provinces_2025.csv) through core.units, the one home of the mapping."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest

from core import units

REFERENCE = Path(__file__).parent / "data" / "provinces_2025.csv"
# Centrally-run cities before 2025: written "Thành phố X", the others "Tỉnh X".
CITIES = {"Hà Nội", "Hải Phòng", "Đà Nẵng", "Hồ Chí Minh", "Cần Thơ"}


def _reference() -> list[tuple[str, str, str]]:
    with REFERENCE.open(encoding="utf-8", newline="") as fh:
        return [(r["old_code"], r["old_name"], r["province_2025"]) for r in csv.DictReader(fh)]


ROWS = _reference()


def test_the_reference_list_is_complete() -> None:
    assert len(ROWS) == 63
    assert len({code for code, _, _ in ROWS}) == 63 and len({name for _, name, _ in ROWS}) == 63
    assert len({new for _, _, new in ROWS}) == 34


def _spellings(name: str) -> list[str]:
    """How a province name arrives from a form or OCR: as listed, decomposed (NFD), upper case, with its kind."""
    kind = "Thành phố" if name in CITIES else "Tỉnh"
    return [name, unicodedata.normalize("NFD", name), name.upper(), f"{kind} {name}", f"  {kind.lower()}  {name} "]


@pytest.mark.parametrize(("old_code", "old_name", "new"), ROWS, ids=[f"{c}-{n}" for c, n, _ in ROWS])
def test_every_old_province_maps_to_its_2025_province(old_code: str, old_name: str, new: str) -> None:
    assert units.mapping_to_2025()[old_name] == new
    assert units.province_codes()[old_code] == old_name  # a CCCD starts with "0" + this code
    assert units.province_2025(old_name).name == new
    assert old_name in {p.name for p in units.old_provinces_of(new)}
    for spelling in _spellings(old_name):
        assert units.province_2025(spelling).name == new, spelling
        assert units.old_name(spelling) == old_name, spelling
        assert units.is_province(spelling), spelling


def test_the_34_new_names_map_to_themselves_and_nothing_else_is_a_province() -> None:
    new_names = {new for _, _, new in ROWS}
    assert {p.name for p in units.new_provinces()} == new_names
    assert sorted(units.provinces_2025()) == sorted(new_names)
    for name in new_names:
        assert units.province_2025(name).name == name and units.is_province(name)
    # the mapping has exactly the reference's 63 rows, no more
    assert units.mapping_to_2025() == {old: new for _, old, new in ROWS}
    assert not units.is_province("Gotham")
    with pytest.raises(units.UnknownProvince):
        units.province_2025("Gotham")
