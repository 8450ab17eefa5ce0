"""Shared catalogues the validator looks values up in: agency identifier codes, document types, and
the province names GE value sets and forms offer. Provinces themselves are core.units (one source)."""

from __future__ import annotations

import re

from core.units import old_provinces
from schemas.document_types import DOCUMENT_TYPES

# Mã định danh of an agency as used in mã hồ sơ: e.g. 000.00.15.H34 (Decision 20/2020/QĐ-TTg shape).
AGENCY_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")


def province_names() -> list[str]:
    """Every accepted spelling's canonical name (old and 2025), sorted; for GE value sets and forms."""
    names = {p.name for p in old_provinces()} | {p.province_2025 for p in old_provinces()}
    return sorted(names)


def is_agency_code(code: str | None) -> bool:
    return bool(code and AGENCY_CODE.match(code.strip()))


def document_type_codes() -> list[str]:
    return sorted(DOCUMENT_TYPES)
