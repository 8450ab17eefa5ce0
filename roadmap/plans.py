"""Import a province's agencies and its yearly plan (Art. 26.2, 27.3; letter 2995/VPCP-KSTT item 3).

A plan is a CSV or Excel sheet with one row per year × agency × document type: the inventory of
still-valid paper results the agency keeps, and the cumulative number to be digitised by the end of
that year. A bad file is rejected whole, with every bad row's number and reason, in Vietnamese; the
database is left as it was.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from core import units
from core.exitcodes import ExitCode
from core.units import AgencyLevel
from schemas import DOCUMENT_TYPES
from storage.db import session_scope
from storage.roadmap_models import Agency, Plan, PlanRow

#: Art. 26.2 / 27.3 and letter 2995/VPCP-KSTT: every still-valid result digitised by 31/12/2025.
DEADLINE = date(2025, 12, 31)
FIRST_PLAN_YEAR = 2020  # Decree 45/2020 took effect on 22 May 2020

PLAN_COLUMNS: dict[str, tuple[str, ...]] = {
    "year": ("year", "nam", "năm"),
    "agency_code": ("agency_code", "ma_co_quan", "mã cơ quan"),
    "document_type": ("document_type", "loai_giay_to", "loại giấy tờ", "loại kết quả"),
    "inventory": ("inventory", "ton_giay", "số kết quả giấy còn hiệu lực", "tồn"),
    "cumulative_target": ("cumulative_target", "chi_tieu_luy_ke", "chỉ tiêu lũy kế"),
}
AGENCY_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "ma_co_quan", "mã cơ quan", "agency_code"),
    "name": ("name", "ten_co_quan", "tên cơ quan"),
    "level": ("level", "cap", "cấp"),
    "unit_code": ("unit_code", "ma_don_vi_hanh_chinh", "mã đơn vị hành chính"),
    "successor_code": ("successor_code", "ma_co_quan_ke_thua", "mã cơ quan kế thừa"),
}
_OPTIONAL = {"unit_code", "successor_code"}
_LEVELS = {"so": AgencyLevel.DEPARTMENT, "sở": AgencyLevel.DEPARTMENT, "cấp sở": AgencyLevel.DEPARTMENT,
           "huyen": AgencyLevel.DISTRICT, "huyện": AgencyLevel.DISTRICT, "cấp huyện": AgencyLevel.DISTRICT,
           "xa": AgencyLevel.COMMUNE, "xã": AgencyLevel.COMMUNE, "cấp xã": AgencyLevel.COMMUNE}


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet shows it: the header is row 1
    message: str

    def __str__(self) -> str:
        return f"dòng {self.row}: {self.message}" if self.row else self.message


class PlanRejected(ValueError):
    """The file was not imported; `errors` says where and why."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, source: str, errors: list[RowError]) -> None:
        self.source = source
        self.errors = errors
        super().__init__(f"{source}: không nhập được ({len(errors)} lỗi)\n" + "\n".join(f"  {e}" for e in errors))

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses process boundaries intact (a ProcessPoolExecutor worker re-raises it in the parent).
        return (type(self), (self.source, self.errors))


@dataclass
class ImportOutcome:
    province: str
    source: str
    rows: int
    plan_id: int | None = None
    version: int | None = None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading
def read_table(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(row number, {header: text}) for each non-empty row of a CSV or the first sheet of an .xlsx."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several unrelated types for a bad file
            raise PlanRejected(str(path), [RowError(0, f"không đọc được tệp Excel: {exc}")]) from exc
        raw = [[_cell(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
    elif suffix == ".csv":
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PlanRejected(str(path), [RowError(0, "tệp CSV không phải mã UTF-8")]) from exc
        raw = list(csv.reader(io.StringIO(text)))
    else:
        raise PlanRejected(str(path), [RowError(0, f"định dạng «{path.suffix}» không được hỗ trợ (chỉ .csv, .xlsx)")])
    if not raw or not any(c.strip() for c in raw[0]):
        raise PlanRejected(str(path), [RowError(0, "tệp rỗng hoặc thiếu dòng tiêu đề")])
    header = [units.name_key(h) for h in raw[0]]
    rows = []
    for number, cells in enumerate(raw[1:], start=2):
        if any(c.strip() for c in cells):
            rows.append((number, {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}))
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _columns(source: str, rows: list[tuple[int, dict[str, str]]], spec: dict[str, tuple[str, ...]],
             header: Iterable[str]) -> dict[str, str]:
    """Our column name → the header used in the file (any alias, any case)."""
    present = set(header)
    found, missing = {}, []
    for key, aliases in spec.items():
        hit = next((units.name_key(a) for a in aliases if units.name_key(a) in present), None)
        if hit is not None:
            found[key] = hit
        elif key not in _OPTIONAL:
            missing.append(f"«{aliases[0]}» (hoặc «{aliases[-1]}»)")
    if missing:
        raise PlanRejected(source, [RowError(1, "thiếu cột " + ", ".join(missing))])
    return found


def _header(path: Path) -> list[str]:
    if path.suffix.lower() == ".csv":
        first = path.read_bytes().decode("utf-8-sig").splitlines()[:1]
        return [units.name_key(h) for h in next(csv.reader(first), [])]
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    head = next(wb.worksheets[0].iter_rows(values_only=True, max_row=1), ())
    wb.close()
    return [units.name_key(_cell(h)) for h in head]


def _int(text: str) -> int | None:
    try:
        return int(text.replace(".", "").replace(",", "").replace(" ", "")) if text else None
    except ValueError:
        return None


# ---------------------------------------------------------------- agencies
def _province_or_reject(source: str, province: str) -> str:
    """The 2025 province a table is imported for; an unknown one rejects the whole table."""
    try:
        return units.province_2025(province).name
    except units.UnknownProvince as exc:
        raise PlanRejected(source, [RowError(0, str(exc))]) from exc


def import_agencies(path: Path, province: str) -> ImportOutcome:
    """Register (or update) a province's agencies: code, name, level, administrative unit, successor."""
    source = str(path)
    new_province = _province_or_reject(source, province)
    rows = read_table(path)
    cols = _columns(source, rows, AGENCY_COLUMNS, _header(path))
    errors: list[RowError] = []
    parsed: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    district_codes = {d.code for d in units.districts_of(new_province)}
    communes_2025 = {c.code for c in units.communes_of_2025(new_province)}
    communes_2024 = {c.code: c for c in units.communes_2024().values() if c.parent_code in district_codes}
    for number, row in rows:
        code, name = row.get(cols["code"], ""), row.get(cols["name"], "")
        level = _LEVELS.get(units.name_key(row.get(cols["level"], "")))
        unit = row.get(cols.get("unit_code", ""), "")
        successor = row.get(cols.get("successor_code", ""), "") or None
        record: dict[str, Any] = {"code": code, "name": name, "level": level, "unit_code": unit or None,
                                  "successor_code": successor, "old_province": None, "abolished_on": None}
        if not code:
            errors.append(RowError(number, "thiếu mã cơ quan"))
        elif code in seen:
            errors.append(RowError(number, f"mã cơ quan «{code}» trùng với dòng {seen[code]}"))
        else:
            seen[code] = number
        if not name:
            errors.append(RowError(number, "thiếu tên cơ quan"))
        if level is None:
            errors.append(RowError(number, f"cấp «{row.get(cols['level'], '')}» không hợp lệ (sở, huyện hoặc xã)"))
        elif level is AgencyLevel.DISTRICT:
            unit = unit.zfill(3) if unit.isdigit() else unit
            if unit not in district_codes:
                errors.append(RowError(number, f"mã huyện «{unit}» không thuộc {new_province} "
                                               "(danh mục đơn vị hành chính trước 01/07/2025)"))
            else:
                record.update(unit_code=unit, abolished_on=units.REORGANISED_ON,
                              old_province=units.province_codes()[units.districts_2024()[unit].old_province_code])
        elif level is AgencyLevel.COMMUNE:
            unit = unit.zfill(5) if unit.isdigit() else unit
            if unit in communes_2025:
                record["unit_code"] = unit
            elif unit in communes_2024:
                # A commune merged away on 1 July 2025: its papers stay in scope under its successor.
                district = units.districts_2024()[communes_2024[unit].parent_code]
                record.update(unit_code=unit, abolished_on=units.REORGANISED_ON,
                              old_province=units.province_codes()[district.old_province_code])
            else:
                errors.append(RowError(number, f"mã xã «{unit}» không thuộc {new_province} "
                                               "(danh mục xã trước hoặc sau 01/07/2025)"))
        parsed.append(record)
    with session_scope() as s:
        known = set(s.scalars(select(Agency.code).where(Agency.province == new_province)))
        for (number, _), record in zip(rows, parsed, strict=True):
            succ = record["successor_code"]
            if succ and succ not in seen and succ not in known:
                errors.append(RowError(number, f"cơ quan kế thừa «{succ}» chưa có trong danh mục cơ quan của tỉnh"))
        if errors:
            raise PlanRejected(source, errors)
        existing = {a.code: a for a in s.scalars(select(Agency).where(Agency.province == new_province))}
        for record in parsed:
            agency = existing.get(record["code"]) or Agency(province=new_province, code=record["code"])
            for key in ("name", "unit_code", "old_province", "abolished_on", "successor_code"):
                setattr(agency, key, record[key])
            agency.level = record["level"].value
            s.add(agency)
    return ImportOutcome(new_province, source, len(parsed))


def agencies(province: str) -> dict[str, Agency]:
    with session_scope() as s:
        return {a.code: a for a in s.scalars(select(Agency).where(Agency.province == units.province_2025(province).name))}


# ---------------------------------------------------------------- plans
def import_plan(path: Path, province: str) -> ImportOutcome:
    """Validate and store a new version of a province's plan; the previous version stops counting."""
    source = str(path)
    new_province = _province_or_reject(source, province)
    rows = read_table(path)
    cols = _columns(source, rows, PLAN_COLUMNS, _header(path))
    known_agencies = agencies(new_province)
    errors: list[RowError] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[tuple[int, str, str], int] = {}
    for number, row in rows:
        text = {k: row.get(h, "") for k, h in cols.items()}
        bad = len(errors)
        year = _int(text["year"])
        if year is None:
            errors.append(RowError(number, f"năm «{text['year']}» không phải số nguyên"))
        elif not FIRST_PLAN_YEAR <= year <= DEADLINE.year:
            errors.append(RowError(number, f"năm {year} ngoài kỳ kế hoạch {FIRST_PLAN_YEAR}–{DEADLINE.year} "
                                           "(phải hoàn thành trước 31/12/2025)"))
        agency = text["agency_code"]
        if not agency:
            errors.append(RowError(number, "thiếu mã cơ quan"))
        elif agency not in known_agencies:
            errors.append(RowError(number, f"cơ quan «{agency}» không có trong danh mục cơ quan của {new_province}"))
        doc_type = text["document_type"]
        if doc_type not in DOCUMENT_TYPES:
            errors.append(RowError(number, f"loại kết quả «{doc_type}» không có trong danh mục "
                                           f"({', '.join(sorted(DOCUMENT_TYPES))})"))
        inventory = _int(text["inventory"])
        if inventory is None or inventory < 0:
            errors.append(RowError(number, f"số kết quả giấy còn hiệu lực «{text['inventory']}» không phải số nguyên "
                                           "không âm"))
        target_text = text["cumulative_target"]
        if target_text.endswith("%"):
            pct = _int(target_text[:-1].strip())
            target = None if pct is None or not 0 <= pct <= 100 or inventory is None else round(inventory * pct / 100)
            if pct is None or not 0 <= pct <= 100:
                errors.append(RowError(number, f"chỉ tiêu lũy kế «{target_text}» không phải tỷ lệ từ 0% đến 100%"))
        else:
            target = _int(target_text)
            if target is None or target < 0:
                errors.append(RowError(number, f"chỉ tiêu lũy kế «{target_text}» không phải số nguyên không âm"))
        if target is not None and inventory is not None and target > inventory:
            errors.append(RowError(number, f"chỉ tiêu lũy kế {target} lớn hơn số kết quả giấy còn hiệu lực {inventory}"))
        if len(errors) > bad:
            continue
        assert year is not None and inventory is not None and target is not None
        key = (year, agency, doc_type)
        if key in seen:
            errors.append(RowError(number, f"trùng năm, cơ quan và loại kết quả với dòng {seen[key]}"))
            continue
        seen[key] = number
        parsed.append((number, {"year": year, "agency_code": agency, "document_type": doc_type,
                                "inventory": inventory, "cumulative_target": target}))
    if not rows:
        errors.append(RowError(0, "tệp không có dòng kế hoạch nào"))
    errors.extend(_check_series(parsed))
    if errors:
        raise PlanRejected(source, sorted(errors, key=lambda e: e.row))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with session_scope() as s:
        version = (s.scalar(select(func.max(Plan.version)).where(Plan.province == new_province)) or 0) + 1
        s.execute(update(Plan).where(Plan.province == new_province).values(active=False))
        plan = Plan(province=new_province, version=version, source_name=path.name, source_sha256=digest, active=True)
        plan.rows = [PlanRow(**r) for _, r in parsed]
        s.add(plan)
        s.flush()
        plan_id = plan.id
    return ImportOutcome(new_province, source, len(parsed), plan_id=plan_id, version=version)


def _check_series(parsed: list[tuple[int, dict[str, Any]]]) -> list[RowError]:
    """Per agency and document type: one inventory, targets never decreasing, 100% by 2025."""
    errors: list[RowError] = []
    series: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
    for number, r in parsed:
        series.setdefault((r["agency_code"], r["document_type"]), []).append((number, r))
    for (agency, doc_type), items in series.items():
        items.sort(key=lambda item: item[1]["year"])
        first_number, first = items[0]
        for number, r in items[1:]:
            if r["inventory"] != first["inventory"]:
                errors.append(RowError(number, f"số kết quả giấy còn hiệu lực {r['inventory']} khác dòng {first_number} "
                                               f"({first['inventory']}) của cùng cơ quan {agency}, loại {doc_type}"))
        for (prev_number, prev), (number, r) in zip(items, items[1:], strict=False):
            if r["cumulative_target"] < prev["cumulative_target"]:
                errors.append(RowError(number, f"chỉ tiêu lũy kế năm {r['year']} ({r['cumulative_target']}) giảm so với "
                                               f"năm {prev['year']} ({prev['cumulative_target']}, dòng {prev_number})"))
        last_number, last = items[-1]
        if last["year"] != DEADLINE.year:
            errors.append(RowError(last_number, f"cơ quan {agency}, loại {doc_type}: thiếu dòng năm {DEADLINE.year} — "
                                                "kế hoạch phải đạt 100% trước 31/12/2025"))
        elif last["cumulative_target"] != last["inventory"]:
            errors.append(RowError(last_number, f"chỉ tiêu lũy kế năm {DEADLINE.year} là {last['cumulative_target']}, "
                                                f"chưa đạt 100% số kết quả giấy còn hiệu lực ({last['inventory']})"))
    return errors


def active_plan_rows(provinces: Iterable[str] | None = None, url: str | None = None) -> list[tuple[str, PlanRow]]:
    """(2025 province, row) of every active plan, or of the given provinces only."""
    with session_scope(url) as s:
        q = select(Plan.province, PlanRow).join(PlanRow, PlanRow.plan_id == Plan.id).where(Plan.active.is_(True))
        if provinces is not None:
            q = q.where(Plan.province.in_([units.province_2025(p).name for p in provinces]))
        return [(p, r) for p, r in s.execute(q).all()]


def agency_template(province: str) -> list[dict[str, str]]:
    """Rows for a province's agency file, pre-filled from the unit lists: every district People's
    Committee (abolished 1 July 2025, with the 2025 communes that inherited its communes as successor
    candidates) and every 2025 commune People's Committee. The province fills in the identifier codes
    (and its departments, which no unit list holds)."""
    new = units.province_2025(province).name
    communes = units.communes_2025()
    rows = []
    for d in units.districts_of(new):
        successors = units.district_successors().get(d.code, ())
        rows.append({"code": "", "name": f"UBND {d.name[0].lower()}{d.name[1:]}", "level": "huyen",
                     "unit_code": d.code, "successor_code": "",
                     "goi_y_ke_thua": "; ".join(f"{communes[c].name} ({c})" for c in successors)})
    for c in units.communes_of_2025(new):
        rows.append({"code": "", "name": f"UBND {c.name[0].lower()}{c.name[1:]}", "level": "xa",
                     "unit_code": c.code, "successor_code": "", "goi_y_ke_thua": ""})
    return rows
