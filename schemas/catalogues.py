"""Shared catalogues the validator looks values up in: document types and the province names GE value
sets and forms offer. Provinces themselves are core.units, agency and dossier code shapes
core.identifiers (one source each)."""

from __future__ import annotations

from core.units import old_provinces
from schemas.document_types import DOCUMENT_TYPES


def province_names() -> list[str]:
    """Every accepted spelling's canonical name (old and 2025), sorted; for GE value sets and forms."""
    names = {p.name for p in old_provinces()} | {p.province_2025 for p in old_provinces()}
    return sorted(names)


def document_type_codes() -> list[str]:
    return sorted(DOCUMENT_TYPES)
