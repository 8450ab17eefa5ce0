"""Administrative units before and after the 2025 reorganisation (Resolution 202/2025/QH15)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROVINCES_CSV = Path(__file__).parent / "data" / "provinces_2025.csv"


@dataclass(frozen=True)
class OldProvince:
    code: str  # statistical code; a CCCD starts with "0" + this code
    name: str
    province_2025: str


@lru_cache(maxsize=1)
def old_provinces() -> tuple[OldProvince, ...]:
    with PROVINCES_CSV.open(encoding="utf-8") as fh:
        return tuple(OldProvince(r["old_code"], r["old_name"], r["province_2025"]) for r in csv.DictReader(fh))


def province_codes() -> dict[str, str]:
    return {p.code: p.name for p in old_provinces()}


def mapping_to_2025() -> dict[str, str]:
    return {p.name: p.province_2025 for p in old_provinces()}


def provinces_2025() -> list[str]:
    return sorted({p.province_2025 for p in old_provinces()})
