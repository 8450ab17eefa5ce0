"""Administrative units before and after the 2025 reorganisation (Resolution 202/2025/QH15).

All units are data (core/data/*.csv, sources in core/data/SOURCES.md); this module only reads them.
Two maps exist side by side: the 63 provinces, 696 districts and 10,051 communes in force until
30 June 2025, and the 34 provinces and 3,321 communes from 1 July 2025, when the district level was
abolished. Every old province belongs to exactly one new province.

`province_2025` is the one mapping of a province name (old or new, any usual spelling) or 2025 code
to its 2025 province; the validator, the review desk, the login check and the roadmap all call it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from core.exitcodes import ExitCode
from core.text import fold, fold_words, nfc

DATA = Path(__file__).parent / "data"
PROVINCES_CSV = DATA / "provinces_2025.csv"
#: The day the district level ended and the 34 provinces began (Resolution 202/2025/QH15 Art. 2).
REORGANISED_ON = date(2025, 7, 1)


class AgencyLevel(StrEnum):
    """Art. 26.2 / 27.3: the roadmap names the responsibility of each department, district and commune."""

    DEPARTMENT = "so"  # a provincial department (sở, ban, ngành)
    DISTRICT = "huyen"  # a district People's Committee — abolished on 1 July 2025
    COMMUNE = "xa"  # a commune People's Committee

    @property
    def label_vi(self) -> str:
        return {"so": "Cấp sở", "huyen": "Cấp huyện", "xa": "Cấp xã"}[self.value]


class UnknownProvince(ValueError):
    """A province name or code that is in neither map."""

    exit_code: ExitCode = ExitCode.USAGE


@dataclass(frozen=True)
class OldProvince:
    code: str  # statistical code; a CCCD starts with "0" + this code
    name: str
    province_2025: str


@dataclass(frozen=True)
class Province2025:
    code: str  # code in the list of Decision 19/2025/QĐ-TTg
    name: str  # short name, as used across sohoa ("Hồ Chí Minh", "Huế")
    full_name: str  # "Thành phố Hồ Chí Minh"


@dataclass(frozen=True)
class District:
    code: str
    name: str  # with its kind: "Huyện Vạn Ninh", "Thị xã Ninh Hòa", "Quận Ba Đình"
    old_province_code: str


@dataclass(frozen=True)
class Commune:
    code: str
    name: str  # with its kind: "Xã Vạn Thắng", "Phường Nha Trang", "Đặc khu Trường Sa"
    parent_code: str  # district code (2024 map) or province code (2025 map)


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


_TONE_FIXES = {  # old-style tone placement ("Hoà") to the form the lists use ("Hòa")
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}
_PREFIXES = ("thành phố ", "tp. ", "tp ", "tỉnh ")


@lru_cache(maxsize=8192)
def name_key(name: str) -> str:
    """Compare unit names the way people write them: case, NFC, tone placement, 'Tỉnh'/'Thành phố'."""
    key = nfc(" ".join(name.split())).lower()
    for old, new in _TONE_FIXES.items():
        key = key.replace(old, new)
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix):]
    return key


@lru_cache(maxsize=1)
def old_provinces() -> tuple[OldProvince, ...]:
    return tuple(OldProvince(r["old_code"], r["old_name"], r["province_2025"]) for r in _rows(PROVINCES_CSV.name))


@lru_cache(maxsize=1)
def new_provinces() -> tuple[Province2025, ...]:
    return tuple(Province2025(r["code"], r["name"], r["full_name"]) for r in _rows("provinces_2025_codes.csv"))


def province_codes() -> dict[str, str]:
    """Old statistical code → old province name (63)."""
    return {p.code: p.name for p in old_provinces()}


def mapping_to_2025() -> dict[str, str]:
    """Old province name → the 2025 province it belongs to (63 entries)."""
    return {p.name: p.province_2025 for p in old_provinces()}


def provinces_2025() -> list[str]:
    return sorted({p.province_2025 for p in old_provinces()})


@lru_cache(maxsize=1)
def _province_index() -> dict[str, str]:
    """Any spelling of an old or new province name → its 2025 province."""
    index = {name_key(p.name): p.province_2025 for p in old_provinces()}
    for p in new_provinces():
        index[name_key(p.name)] = p.name
        index[name_key(p.full_name)] = p.name
    return index


@lru_cache(maxsize=1024)
def old_name(province: str) -> str | None:
    """The canonical old province name, or None when the name is not one of the 63."""
    key = name_key(province)
    return next((p.name for p in old_provinces() if name_key(p.name) == key), None)


@lru_cache(maxsize=1024)
def province_2025(name_or_code: str) -> Province2025:
    """The 2025 province of an old or new province name, or of a Decision 19/2025 code ("56").

    Names compare by `name_key`: case, NFC, spacing, old or new tone placement ("Khánh Hoà" and
    "Khánh Hòa") and a leading "Tỉnh"/"Thành phố"/"TP." do not matter. A string of digits is a 2025
    code (not an old statistical code: those differ). Raises UnknownProvince for anything else."""
    text = name_or_code.strip()
    if text.isdigit():
        code = text.zfill(2)
        found = next((p for p in new_provinces() if p.code == code), None)
        if found is None:
            raise UnknownProvince(f"không có tỉnh/thành phố mã {name_or_code} trong danh mục 34 tỉnh (QĐ 19/2025/QĐ-TTg)")
        return found
    try:
        name = _province_index()[name_key(name_or_code)]
    except KeyError:
        raise UnknownProvince(f"không có tỉnh/thành phố «{name_or_code}» trong danh mục 63 hoặc 34 tỉnh") from None
    return next(p for p in new_provinces() if p.name == name)


@lru_cache(maxsize=1)
def _spelling_index() -> dict[str, str]:
    """Any spelling of an old or new province name → the catalogue's spelling of that same name."""
    index = {name_key(p.name): p.name for p in old_provinces()}
    for p in new_provinces():
        index[name_key(p.name)] = p.name
        index[name_key(p.full_name)] = p.name
    return index


@lru_cache(maxsize=1024)
def canonical_province(name_or_code: str) -> str:
    """The catalogue's spelling of a province name ("Khánh Hoà", "tỉnh khánh hòa" → "Khánh Hòa").

    An old name stays old ("Ninh Thuận" is not turned into "Khánh Hòa": the roadmap's old map needs
    it); a 2025 code gives the 2025 name. What is stored (batches, documents, steward assignments) is
    this spelling, so that plain equality in SQL agrees with `province_2025`. Raises UnknownProvince."""
    text = name_or_code.strip()
    if text.isdigit():
        return province_2025(text).name
    try:
        return _spelling_index()[name_key(text)]
    except KeyError:
        raise UnknownProvince(f"không có tỉnh/thành phố «{name_or_code}» trong danh mục 63 hoặc 34 tỉnh") from None


def search_key(text: str) -> str:
    """How a search box compares unit names: case, diacritics and tone placement off, punctuation
    and spacing collapsed ("khanh hoa", "Khánh Hoà" and "KHÁNH HÒA" are one key)."""
    return fold_words(text)


def name_matches(query: str, name: str) -> bool:
    """Whether a search query (accents optional) is part of a unit name: the roadmap's search box."""
    wanted = search_key(query)
    return bool(wanted) and wanted in search_key(name)


def is_province(name_or_code: str | None) -> bool:
    """Whether `province_2025` knows the name or code (catalogue look-ups, forms)."""
    if not name_or_code:
        return False
    try:
        province_2025(name_or_code)
    except UnknownProvince:
        return False
    return True


def old_provinces_of(province: str) -> list[OldProvince]:
    """The old provinces merged into a 2025 province."""
    new = province_2025(province).name
    return [p for p in old_provinces() if p.province_2025 == new]


@lru_cache(maxsize=1)
def districts_2024() -> dict[str, District]:
    return {r["code"]: District(r["code"], r["name"], r["old_province_code"]) for r in _rows("districts_2024.csv")}


@lru_cache(maxsize=1)
def communes_2024() -> dict[str, Commune]:
    return {r["code"]: Commune(r["code"], r["name"], r["district_code"]) for r in _rows("communes_2024.csv")}


@lru_cache(maxsize=1)
def communes_2025() -> dict[str, Commune]:
    return {r["code"]: Commune(r["code"], r["name"], r["province_code"]) for r in _rows("communes_2025.csv")}


def district_province_2025(district_code: str) -> str:
    """The 2025 province an old district lies in."""
    old_code = districts_2024()[district_code].old_province_code
    return next(p.province_2025 for p in old_provinces() if p.code == old_code)


@lru_cache(maxsize=1)
def district_successors() -> dict[str, tuple[str, ...]]:
    """Old district code → the 2025 communes that carry the code of one of its former communes.

    A commune formed in 2025 took the statistical code of one of the communes merged into it (its seat);
    that commune's records went with it, so the 2025 communes whose code comes from a district's former
    communes are the successors of that district's People's Committee for the papers it kept. Districts
    none of whose communes' codes survived are island districts, each succeeded by the special zone
    (đặc khu) of the same name.
    """
    old = communes_2024()
    successors: dict[str, list[str]] = {}
    for code in communes_2025():
        former = old.get(code)
        if former is not None:
            successors.setdefault(former.parent_code, []).append(code)
    # Island districts whose communes' codes did not survive became special zones of the same name
    # (Huyện Côn Đảo → Đặc khu Côn Đảo).
    zones = {name_key(c.name.removeprefix("Đặc khu ")): c.code for c in communes_2025().values()
             if c.name.startswith("Đặc khu ")}
    for district in districts_2024().values():
        if district.code not in successors:
            zone = zones.get(name_key(district.name.removeprefix("Huyện ")))
            if zone is not None:
                successors[district.code] = [zone]
    return {d: tuple(sorted(codes)) for d, codes in successors.items()}


def communes_of_2025(province: str) -> list[Commune]:
    code = province_2025(province).code
    return [c for c in communes_2025().values() if c.parent_code == code]


def districts_of(province: str) -> list[District]:
    """Old districts lying in a 2025 province (any name of it, old or new)."""
    new = province_2025(province).name
    codes = {p.code for p in old_provinces() if p.province_2025 == new}
    return [d for d in districts_2024().values() if d.old_province_code in codes]


_UNIT_KINDS = ("thành phố ", "tỉnh ", "quận ", "huyện ", "thị xã ", "thị trấn ", "xã ", "phường ", "đặc khu ")


@lru_cache(maxsize=1)
def place_name_keys() -> frozenset[str]:
    """Every province, district and commune name, old and new, without its kind ("Ninh Hòa", not
    "Thị xã Ninh Hòa"), as `name_key`s: what the place in a document's date line may be."""
    names = [p.name for p in old_provinces()] + [p.name for p in new_provinces()]
    names += [d.name for d in districts_2024().values()]
    names += [c.name for c in communes_2024().values()] + [c.name for c in communes_2025().values()]
    keys = set()
    for name in names:
        key = nfc(" ".join(name.split())).lower()
        for kind in _UNIT_KINDS:
            if key.startswith(kind):
                key = key[len(kind):]
                break
        keys.add(name_key(key))
    return frozenset(keys)


def is_place_name(text: str) -> bool:
    return name_key(text) in place_name_keys()


@lru_cache(maxsize=1)
def place_names_by_fold() -> dict[str, tuple[str, ...]]:
    """Place names as printed, without their kind ("Diên Khánh"), by their lower-case form without
    diacritics ("dien khanh"): how a name whose marks OCR misread ("Diễn Khánh") finds its print form."""
    names = [p.name for p in old_provinces()] + [p.name for p in new_provinces()]
    names += [d.name for d in districts_2024().values()]
    names += [c.name for c in communes_2024().values()] + [c.name for c in communes_2025().values()]
    out: dict[str, set[str]] = {}
    for name in names:
        name = nfc(" ".join(name.split()))
        for kind in _UNIT_KINDS:
            if name.lower().startswith(kind):
                name = name[len(kind):]
                break
        out.setdefault(" ".join(fold(name).split()), set()).add(name)
    return {k: tuple(sorted(v)) for k, v in out.items()}
