"""Progress against the plans, from the results database (Art. 26.2, 26.9, 27.3, 27.8).

Counting happens in SQL (two GROUP BYs, see progress_rows, served by the ix_roadmap_* indexes of
migration m0001); Python only folds the grouped rows — a few per province × agency × type × year —
onto the old (63) or new (34) map and compares them with the plan.

- digitised: signed and stored (status stored or synced), result still valid;
- synced: its result's push to the citizen data warehouse was delivered (outbox);
- in review / rejected: document status needs_review (or rescan: waiting for a new scan) / rejected
  (current state, no year, also when looking at a past day).
A digitised result counts in the year of its conversion (Result.converted_at, UTC).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
)

from core import units
from core.errors import InvalidValue
from roadmap.plans import DEADLINE, active_plan_rows
from storage.db import session_scope
from storage.models import Document, DocumentStatus, OutboxEvent, OutboxStatus, Result
from storage.roadmap_models import Agency, ProgressSnapshot

DIGITISED = (DocumentStatus.STORED, DocumentStatus.SYNCED)
TRAILING_DAYS = 90
UNKNOWN_OLD = "(chưa rõ tỉnh cũ)"


class MapKind(StrEnum):
    OLD = "old"  # the 63 provinces before 1 July 2025
    NEW = "new"  # the 34 provinces from 1 July 2025


class Status(StrEnum):
    """See docs/roadmap.md, "Status rules"."""

    ON_TRACK = "on_track"
    LAGGING = "lagging"
    OVERDUE = "overdue"
    NO_PLAN = "no_plan"

    @property
    def label_vi(self) -> str:
        return {"on_track": "Đúng tiến độ", "lagging": "Chậm tiến độ", "overdue": "Quá hạn",
                "no_plan": "Chưa có kế hoạch"}[self.value]


@dataclass(frozen=True)
class ProgressRow:
    """One GROUP BY row, as recorded (province as written in the batch, agency code as issued).

    Two kinds come back: digitised/synced counts per conversion `year`, and current-status counts
    (`year` None) — documents in review or rejected have no year of their own that matters.
    """

    province: str
    agency_code: str
    document_type: str
    year: int | None
    digitised: int = 0
    synced: int = 0
    rejected: int = 0
    in_review: int = 0
    total: int = 0  # documents of the group (status rows only)


def report_period(at: datetime) -> str:
    """Reports are due before 15 June (H1) and before 15 December (H2)."""
    return f"{at.year}-H1" if at.month <= 6 else f"{at.year}-H2"


def report_periods(today: date, first_year: int = 2021) -> list[str]:
    """Every half-year a report can be asked for, newest first, from `first_year` to today's half
    (2025-H2, the deadline's half, is always among them once it has begun)."""
    current = report_period(datetime.combine(today, time.min))
    out = [f"{y}-{h}" for y in range(first_year, today.year + 1) for h in ("H1", "H2")]
    return list(reversed(out[: out.index(current) + 1]))


def period_end(period: str) -> date:
    """'2025-H2' → 31/12/2025; 'H1' ends 30 June (the report is filed before 15 June / 15 December
    with figures to date; the period's end is where the plan is read)."""
    try:
        year_text, half = period.split("-")
        year = int(year_text)
    except ValueError:
        raise InvalidValue(f"kỳ báo cáo «{period}» không đúng dạng NĂM-H1 hoặc NĂM-H2") from None
    if half.upper() == "H1":
        return date(year, 6, 30)
    if half.upper() == "H2":
        return date(year, 12, 31)
    raise InvalidValue(f"kỳ báo cáo «{period}» không đúng dạng NĂM-H1 hoặc NĂM-H2")


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def _recorded_names(provinces_2025: Iterable[str]) -> list[str]:
    """Every name a batch may carry for these 2025 provinces (old names, short and full new names)."""
    names: set[str] = set()
    for p in provinces_2025:
        new = units.province_2025(p)
        names |= {new.name, new.full_name} | {o.name for o in units.old_provinces_of(new.name)}
    return sorted(names)


def _progress_selects(names: list[str] | None, until: date | None) -> tuple[Any, Any]:
    """The two aggregate SELECTs behind progress_rows (and the snapshot), columns in ProgressRow order:
    province, agency_code, document_type, year, digitised, synced, rejected, in_review."""
    year_col = cast(func.extract("year", Result.converted_at), Integer)
    delivered = exists().where(and_(OutboxEvent.result_id == Result.id, OutboxEvent.kind == "push",
                                    OutboxEvent.status == OutboxStatus.DELIVERED))
    # A past day counts only results converted by then. The condition sits in the sums, not in WHERE:
    # as a WHERE range it makes SQLite walk ix_roadmap_results_converted_at and fetch every row at
    # random (measured 2× slower at 1M rows) although nearly all rows match.
    in_time = (Result.converted_at <= _end_of(until)) if until is not None and until < datetime.now(UTC).date() \
        else None
    count_digitised = func.count() if in_time is None else func.sum(case((in_time, 1), else_=0))
    count_synced = func.sum(case((delivered if in_time is None else and_(in_time, delivered), 1), else_=0))
    zero = literal(0, Integer)
    digitised = (select(Document.province, Document.agency_code, Document.document_type, year_col,
                        count_digitised, count_synced, zero, zero)
                 .select_from(Result).join(Document, Document.id == Result.document_id)
                 .where(Result.still_valid.is_(True), Result.revoked_at.is_(None), Result.superseded_by_id.is_(None),
                        Document.status.in_([s.value for s in DIGITISED]))
                 .group_by(Document.province, Document.agency_code, Document.document_type, year_col))
    # Review and rejection counts are the current ones, also for a past day (no history of statuses
    # is kept); this query reads the covering index ix_roadmap_documents_progress alone.
    rejected = Document.status == DocumentStatus.REJECTED.value
    statuses = (select(Document.province, Document.agency_code, Document.document_type, literal(None, Integer),
                       zero, zero, func.sum(case((rejected, 1), else_=0)), func.sum(case((rejected, 0), else_=1)))
                # a paper waiting for its re-scan is still work in review
                .where(Document.status.in_([DocumentStatus.REJECTED.value, DocumentStatus.NEEDS_REVIEW.value,
                                            DocumentStatus.RESCAN.value]))
                .group_by(Document.province, Document.agency_code, Document.document_type))
    if names is not None:
        digitised = digitised.where(Document.province.in_(names))
        statuses = statuses.where(Document.province.in_(names))
    return digitised, statuses


def progress_rows(provinces_2025: Iterable[str] | None = None, until: date | None = None,
                  url: str | None = None) -> list[ProgressRow]:
    """Counts per recorded province, agency and document type, in two aggregate queries.

    Measured on 1M documents (roadmap/bench.py): one query over documents ⟕ results grouped by year
    took 8.3 s, because walking documents in index order fetches each row's result at random; driving
    the year counts from `results` (one row per digitised document) and the status counts from the
    covering index ix_roadmap_documents_progress alone takes 3.1 s + 0.2 s.
    """
    names = _recorded_names(provinces_2025) if provinces_2025 is not None else None
    out: list[ProgressRow] = []
    with session_scope(url) as s:
        for stmt in _progress_selects(names, until):
            for p, a, t, y, d, sy, rj, rv in s.execute(stmt).all():
                if d or rj or rv:
                    out.append(ProgressRow(p, a, t, None if y is None else int(y), int(d or 0), int(sy or 0),
                                           int(rj or 0), int(rv or 0), int(rj or 0) + int(rv or 0)))
    return out


def refresh_snapshot(url: str | None = None) -> dict[str, Any]:
    """Recompute the stored progress counts in one transaction, inside the database (INSERT … SELECT)."""
    started = datetime.now(UTC)
    cols = ["province", "agency_code", "document_type", "year", "digitised", "synced", "rejected", "in_review",
            "refreshed_at"]
    with session_scope(url) as s:
        s.execute(delete(ProgressSnapshot))
        for stmt in _progress_selects(None, None):
            s.execute(insert(ProgressSnapshot).from_select(cols, stmt.add_columns(literal(started, DateTime(True)))))
        n = s.scalar(select(func.count()).select_from(ProgressSnapshot)) or 0
    return {"rows": int(n), "refreshed_at": started.isoformat(),
            "seconds": round((datetime.now(UTC) - started).total_seconds(), 2)}


def snapshot_rows(url: str | None = None) -> tuple[list[ProgressRow], datetime] | None:
    """The stored counts and when they were computed, or None before the first refresh."""
    t = ProgressSnapshot
    with session_scope(url) as s:  # plain tuples, not ORM objects: tens of thousands of rows
        at = s.scalar(select(t.refreshed_at).limit(1))
        if at is None:
            return None
        stored = s.execute(select(t.province, t.agency_code, t.document_type, t.year, t.digitised, t.synced,
                                  t.rejected, t.in_review)).all()
    rows = [ProgressRow(p, a, d, y, dg, sy, rj, rv, rj + rv) for p, a, d, y, dg, sy, rj, rv in stored]
    return rows, at if at.tzinfo else at.replace(tzinfo=UTC)


def trailing_throughput(provinces_2025: Iterable[str] | None, as_of: date, days: int = TRAILING_DAYS,
                        url: str | None = None) -> dict[str, int]:
    """Results digitised in the `days` before `as_of` (inclusive), per 2025 province."""
    start, end = _end_of(as_of - timedelta(days=days)), _end_of(as_of)
    q = (select(Document.province, func.count()).select_from(Result)
         .join(Document, Document.id == Result.document_id)
         .where(Result.converted_at > start, Result.converted_at <= end, Result.still_valid.is_(True),
                Result.revoked_at.is_(None), Result.superseded_by_id.is_(None),
                Document.status.in_([s.value for s in DIGITISED]))
         .group_by(Document.province))
    if provinces_2025 is not None:
        q = q.where(Document.province.in_(_recorded_names(provinces_2025)))
    out: dict[str, int] = defaultdict(int)
    with session_scope(url) as s:
        for province, n in s.execute(q).all():
            out[_safe_2025(province)] += int(n)
    return dict(out)


def _safe_2025(province: str) -> str:
    try:
        return units.province_2025(province).name
    except units.UnknownProvince:
        return province


def _seat_old_province(province_2025: str) -> str:
    """The old province that gave a 2025 province its name (Huế ← Thừa Thiên Huế)."""
    olds = units.old_provinces_of(province_2025)
    key = units.name_key(province_2025)
    return next((o.name for o in olds if units.name_key(o.name).endswith(key)), olds[0].name)


def _agency_index(url: str | None = None) -> dict[str, Agency]:
    with session_scope(url) as s:
        return {a.code: a for a in s.scalars(select(Agency))}


def _rollup_agency(code: str, index: dict[str, Agency]) -> str:
    """Under the new map an abolished agency's work counts for its successor (followed to the end)."""
    seen = set()
    while code in index and index[code].successor_code and code not in seen:
        seen.add(code)
        code = index[code].successor_code  # type: ignore[assignment]
    return code


def _unit_of(recorded_province: str, agency_code: str, kind: MapKind, agencies: dict[str, Agency]) -> str:
    try:
        new = units.province_2025(recorded_province).name
    except units.UnknownProvince:
        return recorded_province
    if kind is MapKind.NEW:
        return new
    agency = agencies.get(agency_code)
    if agency is not None and agency.old_province:
        return agency.old_province
    return units.old_name(recorded_province) or _seat_old_province(new)


# ---------------------------------------------------------------- plan arithmetic
@dataclass
class Series:
    """One plan series (agency × document type, or any sum of them): year-end cumulative targets."""

    inventory: int = 0
    targets: dict[int, int] = field(default_factory=dict)

    def add(self, other: Series) -> None:
        years = set(self.targets) | set(other.targets)
        mine, theirs = dict(self.targets), dict(other.targets)
        self.targets = {y: _target_at_year_end(mine, self.inventory, y) + _target_at_year_end(theirs, other.inventory, y)
                        for y in years}
        self.inventory += other.inventory

    def year_end(self, year: int) -> int:
        return _target_at_year_end(self.targets, self.inventory, year)

    def expected(self, day: date) -> float:
        """Cumulative target at `day`: straight line from last year's end target to this year's."""
        prev, cur = self.year_end(day.year - 1), self.year_end(day.year)
        start = date(day.year, 1, 1)
        fraction = ((day - start).days + 1) / ((date(day.year + 1, 1, 1) - start).days)
        return prev + (cur - prev) * fraction


def _target_at_year_end(targets: dict[int, int], inventory: int, year: int) -> int:
    if not targets:
        return 0
    if year >= max(targets):
        return targets[max(targets)] if year == max(targets) else max(targets[max(targets)], inventory)
    earlier = [y for y in targets if y <= year]
    return targets[max(earlier)] if earlier else 0


def status_of(done: int, plan: Series | None, as_of: date) -> Status:
    if plan is None or plan.inventory == 0:
        return Status.NO_PLAN
    if done >= plan.inventory:
        return Status.ON_TRACK
    if done < plan.year_end(as_of.year - 1) or as_of > DEADLINE:
        return Status.OVERDUE
    return Status.ON_TRACK if done >= math.floor(plan.expected(as_of)) else Status.LAGGING


# ---------------------------------------------------------------- views
@dataclass
class UnitProgress:
    """A province (old or new map) or an agency: plan, counts, status."""

    name: str
    code: str | None
    plan: Series | None
    digitised: int = 0
    synced: int = 0
    rejected: int = 0
    in_review: int = 0
    by_year: dict[int, int] = field(default_factory=dict)  # digitised per conversion year
    status: Status = Status.NO_PLAN
    target_this_year: int = 0
    expected_to_date: float = 0.0

    @property
    def inventory(self) -> int:
        return self.plan.inventory if self.plan else 0

    @property
    def remaining(self) -> int:
        """Paper results still to digitise (what a manager means by "tồn"): inventory − digitised."""
        return max(0, self.inventory - self.digitised)

    @property
    def done_pct(self) -> float | None:
        return 100.0 * self.digitised / self.inventory if self.inventory else None

    @property
    def target_pct(self) -> float | None:
        return 100.0 * self.target_this_year / self.inventory if self.inventory else None

    @property
    def expected_pct(self) -> float | None:
        return 100.0 * self.expected_to_date / self.inventory if self.inventory else None

    @property
    def gap(self) -> float:
        """How far behind the straight-line target it is, in results (negative: ahead)."""
        return self.expected_to_date - self.digitised

    def cumulative(self, year: int) -> int:
        return sum(n for y, n in self.by_year.items() if y <= year)

    def finish(self, as_of: date) -> None:
        self.status = status_of(self.digitised, self.plan, as_of)
        if self.plan:
            self.target_this_year = self.plan.year_end(as_of.year)
            self.expected_to_date = self.plan.expected(as_of)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "code": self.code, "inventory": self.inventory, "digitised": self.digitised,
                "synced": self.synced, "in_review": self.in_review, "rejected": self.rejected,
                "done_pct": _round(self.done_pct), "target_this_year": self.target_this_year,
                "target_pct": _round(self.target_pct), "expected_pct": _round(self.expected_pct),
                "status": self.status.value, "status_vi": self.status.label_vi}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _add_counts(unit: UnitProgress, row: ProgressRow) -> None:
    unit.digitised += row.digitised
    unit.synced += row.synced
    unit.rejected += row.rejected
    unit.in_review += row.in_review
    if row.digitised and row.year is not None:
        unit.by_year[row.year] = unit.by_year.get(row.year, 0) + row.digitised


def _plan_series(provinces_2025: Iterable[str] | None, kind: MapKind, agencies: dict[str, Agency],
                 by: str, url: str | None = None) -> dict[str, Series]:
    """Plan series summed per province (`by`="province") or per agency (`by`="agency")."""
    raw: dict[tuple[str, str, str], Series] = {}
    for province, row in active_plan_rows(provinces_2025, url):
        s = raw.setdefault((province, row.agency_code, row.document_type), Series())
        s.inventory = row.inventory
        s.targets[row.year] = row.cumulative_target
    out: dict[str, Series] = {}
    for (province, agency, _), series in raw.items():
        if by == "agency":
            key = agency if kind is MapKind.OLD else _rollup_agency(agency, agencies)
        else:
            a = agencies.get(agency)
            key = province if kind is MapKind.NEW else (a.old_province if a is not None and a.old_province
                                                         else _seat_old_province(province))
        out.setdefault(key, Series()).add(series)
    return out


def forecast_completion(remaining: int, inventory: int, trailing_digitised: int, as_of: date) -> date | None:
    """When the rest is done at the trailing-90-day rate: as_of if nothing remains, None without a
    plan or without a result in 90 days."""
    if not inventory:
        return None
    if remaining == 0:
        return as_of
    rate = trailing_digitised / TRAILING_DAYS
    return as_of + timedelta(days=math.ceil(remaining / rate)) if rate > 0 else None


def national_overview(as_of: date, kind: MapKind = MapKind.NEW, url: str | None = None,
                      counts: list[ProgressRow] | None = None) -> list[UnitProgress]:
    """Every province of the chosen map, with or without a plan (from `counts`, e.g. the snapshot, if given)."""
    agencies = _agency_index(url)
    plans = _plan_series(None, kind, agencies, by="province", url=url)
    if kind is MapKind.NEW:
        rows = {p.name: UnitProgress(p.name, p.code, plans.get(p.name)) for p in units.new_provinces()}
    else:
        rows = {p.name: UnitProgress(p.name, p.code, plans.get(p.name)) for p in units.old_provinces()}
    for r in progress_rows(None, until=as_of, url=url) if counts is None else counts:
        name = _unit_of(r.province, r.agency_code, kind, agencies)
        unit = rows.setdefault(name, UnitProgress(name, None, None))
        _add_counts(unit, r)
    for unit in rows.values():
        unit.finish(as_of)
    return list(rows.values())


@dataclass
class ProvinceReport:
    province: units.Province2025
    as_of: date
    kind: MapKind
    total: UnitProgress
    parts: list[UnitProgress]  # the old provinces merged into it (old map) — empty under the new map
    agencies: list[UnitProgress]  # furthest behind first
    document_types: list[UnitProgress]
    years: list[int]
    planned_cumulative: list[int]
    actual_cumulative: list[int]
    trailing_digitised: int
    forecast_completion: date | None
    backlog_after_deadline: int
    backlog_projected: bool  # True while 31/12/2025 is still ahead: the backlog is a projection

    @property
    def daily_rate(self) -> float:
        return self.trailing_digitised / TRAILING_DAYS

    def as_dict(self) -> dict[str, Any]:
        return {"province": self.province.name, "code": self.province.code, "as_of": self.as_of.isoformat(),
                "map": self.kind.value, "total": self.total.as_dict(),
                "old_provinces": [p.as_dict() for p in self.parts],
                "agencies": [a.as_dict() | {"gap": round(a.gap, 1)} for a in self.agencies],
                "document_types": [t.as_dict() for t in self.document_types],
                "years": self.years, "planned_cumulative": self.planned_cumulative,
                "actual_cumulative": self.actual_cumulative,
                "trailing_90_days": self.trailing_digitised, "daily_rate": round(self.daily_rate, 2),
                "forecast_completion": self.forecast_completion.isoformat() if self.forecast_completion else None,
                "backlog_after_2025": self.backlog_after_deadline, "backlog_projected": self.backlog_projected}


def province_report(province: str, as_of: date, kind: MapKind = MapKind.NEW,
                    url: str | None = None) -> ProvinceReport:
    new = units.province_2025(province)
    agencies_index = _agency_index(url)
    rows = progress_rows([new.name], until=as_of, url=url)
    plan_total = _plan_series([new.name], MapKind.NEW, agencies_index, by="province", url=url).get(new.name)
    total = UnitProgress(new.name, new.code, plan_total)
    agency_plans = _plan_series([new.name], kind, agencies_index, by="agency", url=url)
    by_agency: dict[str, UnitProgress] = {}
    # Per document type: one series per agency × type first, so an inventory is not counted once a year.
    raw: dict[tuple[str, str], Series] = {}
    for _, row in active_plan_rows([new.name], url):
        s = raw.setdefault((row.agency_code, row.document_type), Series())
        s.inventory = row.inventory
        s.targets[row.year] = row.cumulative_target
    type_plans: dict[str, Series] = {}
    for (_, doc_type), s in raw.items():
        type_plans.setdefault(doc_type, Series()).add(s)
    by_type: dict[str, UnitProgress] = {t: UnitProgress(t, None, s) for t, s in type_plans.items()}
    parts: dict[str, UnitProgress] = {}
    if kind is MapKind.OLD:
        old_plans = _plan_series([new.name], MapKind.OLD, agencies_index, by="province", url=url)
        parts = {o.name: UnitProgress(o.name, o.code, old_plans.get(o.name)) for o in units.old_provinces_of(new.name)}
    for name, series in agency_plans.items():
        a = agencies_index.get(name)
        by_agency[name] = UnitProgress(a.name if a else name, name, series)
    for r in rows:
        _add_counts(total, r)
        code = r.agency_code if kind is MapKind.OLD else _rollup_agency(r.agency_code, agencies_index)
        a = agencies_index.get(code)
        _add_counts(by_agency.setdefault(code, UnitProgress(a.name if a else code, code, None)), r)
        _add_counts(by_type.setdefault(r.document_type, UnitProgress(r.document_type, None, None)), r)
        if kind is MapKind.OLD:
            name = _unit_of(r.province, r.agency_code, kind, agencies_index)
            _add_counts(parts.setdefault(name, UnitProgress(name, None, None)), r)
    for unit in (total, *by_agency.values(), *by_type.values(), *parts.values()):
        unit.finish(as_of)
    plan_years = sorted(plan_total.targets) if plan_total else []
    first = min([*plan_years, *total.by_year, as_of.year])
    years = list(range(first, max(DEADLINE.year, as_of.year) + 1))
    trailing = trailing_throughput([new.name], as_of, url=url).get(new.name, 0)
    rate = trailing / TRAILING_DAYS
    forecast = forecast_completion(total.remaining, total.inventory, trailing, as_of)
    if as_of > DEADLINE:
        done_by_deadline = total.cumulative(DEADLINE.year)
        projected = False
    else:
        done_by_deadline = total.digitised + int(rate * (DEADLINE - as_of).days)
        projected = True
    return ProvinceReport(
        province=new, as_of=as_of, kind=kind, total=total, parts=sorted(parts.values(), key=lambda u: u.name),
        agencies=sorted(by_agency.values(), key=lambda u: (-u.gap, u.name)),
        document_types=sorted(by_type.values(), key=lambda u: u.name), years=years,
        planned_cumulative=[plan_total.year_end(y) if plan_total else 0 for y in years],
        actual_cumulative=[total.cumulative(y) for y in years], trailing_digitised=trailing,
        forecast_completion=forecast,
        backlog_after_deadline=max(0, total.inventory - done_by_deadline), backlog_projected=projected)


def semiannual_progress(at: datetime | None = None) -> dict[str, Any]:
    """Every 2025 province's figures for the report due before 15 June / 15 December (Art. 26.9, 27.8)."""
    at = at or datetime.now(UTC)
    overview = national_overview(at.date(), MapKind.NEW)
    return {"period": report_period(at), "generated_at": at.isoformat(),
            "provinces": {u.name: u.as_dict() for u in overview}}
