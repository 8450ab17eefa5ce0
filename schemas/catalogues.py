"""Shared catalogues the validator looks values up in: agency identifier codes, document types, and
the province names GE value sets and forms offer. Provinces themselves are core.units (one source)."""

from __future__ import annotations

import re
from datetime import datetime

from core.units import old_provinces
from schemas.document_types import DOCUMENT_TYPES

# Mã định danh of an agency as used in mã hồ sơ: e.g. 000.00.15.H34 (Decision 20/2020/QĐ-TTg shape).
AGENCY_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
# Mã hồ sơ from the one-stop system: the receiving agency's code, the date received (yymmdd) and a
# sequence number, e.g. 000.00.15.H56-200512-0001 (DOMAIN.md, "Mã hồ sơ").
DOSSIER_CODE = re.compile(r"^(?P<agency>\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-(?P<date>\d{6})-(?P<seq>\d{4,6})$")


def province_names() -> list[str]:
    """Every accepted spelling's canonical name (old and 2025), sorted; for GE value sets and forms."""
    names = {p.name for p in old_provinces()} | {p.province_2025 for p in old_provinces()}
    return sorted(names)


def is_agency_code(code: str | None) -> bool:
    return bool(code and AGENCY_CODE.match(code.strip()))


def is_dossier_code(code: str | None) -> bool:
    """A mã hồ sơ of the one-stop form whose date part is a real day (yymmdd)."""
    match = DOSSIER_CODE.match(code.strip()) if code else None
    if match is None:
        return False
    try:
        datetime.strptime(match["date"], "%y%m%d")
    except ValueError:
        return False
    return True


def document_type_codes() -> list[str]:
    return sorted(DOCUMENT_TYPES)
