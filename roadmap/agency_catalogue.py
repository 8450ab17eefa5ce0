"""Import the national catalogue of agency codes (mã định danh, Decision 20/2020/QĐ-TTg).

One row per agency: its code, official name, optionally the province it belongs to (blank: a central
agency, known in every province), its parent's code, and the other forms its name is printed in on
paper headers ("UBND huyện Vạn Ninh Phòng Tài chính - Kế hoạch"), separated by ";". Issuing agencies
are then sent to the warehouse by their code (`storage.records.agency_code_by_name`), and a record
whose issuing agency the catalogue does not know goes to a steward (`review/validate.py`).

As for plans (`roadmap/plans.py`), a bad file is rejected whole, every bad row named by its number
(the header is row 1) with the reason in Vietnamese; the database is left as it was. Importing again
updates agencies by code (their names are replaced) and keeps the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from core import units
from core.identifiers import is_agency_code
from core.text import agency_key
from roadmap.plans import PlanRejected, RowError, _columns, _header, read_table
from storage.db import session_scope
from storage.models import AuditEntry, CatalogueAgency, CatalogueAgencyName

CATALOGUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "ma_dinh_danh", "mã định danh", "mã cơ quan"),
    "name": ("name", "ten_co_quan", "tên cơ quan"),
    "province": ("province", "tinh", "tỉnh"),
    "parent_code": ("parent_code", "ma_co_quan_cap_tren", "mã cơ quan cấp trên"),
    "printed_names": ("printed_names", "ten_tren_giay_to", "tên in trên giấy tờ"),
}
_OPTIONAL = ("province", "parent_code", "printed_names")


@dataclass(frozen=True)
class CatalogueOutcome:
    source: str
    added: int
    updated: int


def import_catalogue(path: Path, actor: str, *, db_url: str | None = None) -> CatalogueOutcome:
    """Validate and load the catalogue file; raises PlanRejected (exit 3) listing every bad row."""
    source = str(path)
    rows = read_table(path)
    spec = {k: v for k, v in CATALOGUE_COLUMNS.items() if k not in _OPTIONAL}
    cols = _columns(source, rows, spec, _header(path))
    header = set(_header(path))
    for key in _OPTIONAL:
        hit = next((units.name_key(a) for a in CATALOGUE_COLUMNS[key] if units.name_key(a) in header), None)
        if hit is not None:
            cols[key] = hit
    errors: list[RowError] = []
    parsed: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    names_seen: dict[tuple[str, str | None], tuple[str, int]] = {}
    for number, row in rows:
        text = {k: row.get(h, "").strip() for k, h in cols.items()}
        code, name = text.get("code", ""), text.get("name", "")
        if not code:
            errors.append(RowError(number, "thiếu mã định danh cơ quan"))
        elif not is_agency_code(code):
            errors.append(RowError(number, f"mã định danh «{code}» không đúng dạng (vd. 000.00.15.H34)"))
        elif code in seen:
            errors.append(RowError(number, f"mã định danh «{code}» trùng với dòng {seen[code]}"))
        else:
            seen[code] = number
        if not name:
            errors.append(RowError(number, "thiếu tên cơ quan"))
        province: str | None = None
        if text.get("province"):
            try:
                province = units.province_2025(text["province"]).name
            except units.UnknownProvince:
                errors.append(RowError(number, f"tỉnh «{text['province']}» không có trong danh mục đơn vị hành chính"))
        parent = text.get("parent_code") or None
        if parent and not is_agency_code(parent):
            errors.append(RowError(number, f"mã cơ quan cấp trên «{parent}» không đúng dạng (vd. 000.00.15.H34)"))
        printed = [p.strip() for p in text.get("printed_names", "").split(";") if p.strip()]
        keys = {agency_key(n) for n in (name, *printed) if agency_key(n)}
        for key in sorted(keys):
            other = names_seen.get((key, province))
            if other is not None and other[0] != code:
                errors.append(RowError(number, f"tên «{key}» đã dùng cho cơ quan {other[0]} ở dòng {other[1]} "
                                               "(cùng tỉnh): giấy tờ in tên này không biết là của cơ quan nào"))
            else:
                names_seen[(key, province)] = (code, number)
        parsed.append({"number": number, "code": code, "name": name, "province": province, "parent": parent,
                       "keys": keys})
    with session_scope(db_url) as s:
        known = set(s.scalars(select(CatalogueAgency.code)))
        for record in parsed:
            if record["parent"] and record["parent"] not in seen and record["parent"] not in known:
                errors.append(RowError(record["number"], f"cơ quan cấp trên «{record['parent']}» chưa có trong danh mục"))
        if errors:
            raise PlanRejected(source, sorted(errors, key=lambda e: e.row))
        existing = {a.code: a for a in s.scalars(select(CatalogueAgency))}
        added = updated = 0
        for record in parsed:
            agency = existing.get(record["code"])
            if agency is None:
                agency = CatalogueAgency(code=record["code"])
                added += 1
            else:
                updated += 1
            agency.name, agency.province, agency.parent_code = record["name"], record["province"], record["parent"]
            s.add(agency)
            s.execute(delete(CatalogueAgencyName).where(CatalogueAgencyName.agency_code == record["code"]))
            for key in sorted(record["keys"]):
                s.add(CatalogueAgencyName(agency_code=record["code"], name_key=key[:400], province=record["province"]))
        s.add(AuditEntry(actor=actor, action="agency_catalogue_import", entity="agency_catalogue", entity_id=source[-100:],
                         detail={"added": added, "updated": updated}))
    return CatalogueOutcome(source, added, updated)
