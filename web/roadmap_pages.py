"""Roadmap pages (Vietnamese), mounted by web.create_app behind its login: /roadmap, /roadmap/tinh/{code}.

Everything is rendered on the server: tables sort and filter through query parameters, the chart is
an SVG drawn by matplotlib, so the pages need no JavaScript and print as they show.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from core import units
from roadmap.progress import MapKind, Status, national_overview, province_report, snapshot_rows
from schemas import DOCUMENT_TYPES
from web.auth import require_user

HERE = Path(__file__).parent
VN = ZoneInfo("Asia/Ho_Chi_Minh")
router = APIRouter(prefix="/roadmap", dependencies=[Depends(require_user)])

SORT_KEYS = {
    "name": lambda u: units.name_key(u.name),
    "code": lambda u: u.code or "",
    "done": lambda u: -1.0 if u.done_pct is None else u.done_pct,
    "target": lambda u: -1.0 if u.target_pct is None else u.target_pct,
    "gap": lambda u: -1e18 if u.done_pct is None else (u.expected_pct or 0) - u.done_pct,
    "status": lambda u: list(Status).index(u.status),
    "inventory": lambda u: u.inventory,
}
SORT_VI = {"name": "Tỉnh/thành phố", "code": "Mã", "inventory": "Tồn giấy", "done": "Đã số hóa",
           "target": "Chỉ tiêu năm", "gap": "Chênh lệch", "status": "Trạng thái"}


def _as_of(value: str | None) -> date:
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise LookupError(f"ngày «{value}» không đúng dạng NĂM-THÁNG-NGÀY") from None
    return datetime.now(UTC).date()


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status_code)


def _number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u202f").replace(".", ",")  # Vietnamese: thin space thousands, decimal comma


@router.get("", response_class=HTMLResponse)
def overview(request: Request, map: MapKind = MapKind.NEW, sort: str = "gap", order: str = "desc",  # noqa: A002
             status: str = "", q: str = "", as_of: str | None = Query(None)) -> Response:
    day = _as_of(as_of)
    url = request.app.state.settings.db_url
    # Today's page reads the stored snapshot when there is one (`sohoa roadmap refresh`, hourly DAG);
    # a past day (?as_of=) or no snapshot yet: counted live.
    snapshot = None if as_of else snapshot_rows(url)
    everything = national_overview(day, map, url=url, counts=snapshot[0] if snapshot else None)
    counts = {s: 0 for s in Status}
    for u in everything:
        counts[u.status] += 1
    rows = [u for u in everything if (not status or u.status.value == status)
            and (not q or units.name_matches(q, u.name))]
    key = SORT_KEYS.get(sort, SORT_KEYS["gap"])
    rows.sort(key=key, reverse=(order == "desc"))
    return _render(request, "roadmap/overview.html", {
        "rows": rows, "map": map.value, "sort": sort, "order": order, "status": status, "q": q,
        "as_of": day, "as_of_param": as_of or "", "statuses": list(Status), "counts": counts,
        "sort_vi": SORT_VI, "n": _number, "new_codes": {p.name: p.code for p in units.new_provinces()},
        "to_2025": lambda name: units.province_2025(name).name, "refreshed_at": snapshot[1].astimezone(VN) if snapshot else None})


@router.get("/tinh/{code}", response_class=HTMLResponse)
def province(request: Request, code: str, map: MapKind = MapKind.NEW,  # noqa: A002
             as_of: str | None = Query(None)) -> Response:
    day = _as_of(as_of)
    try:
        p = units.province_2025(code)
    except units.UnknownProvince as exc:
        raise LookupError(str(exc)) from None
    report = province_report(p.code, day, map, url=request.app.state.settings.db_url)
    from roadmap.charts import cumulative_chart_svg

    return _render(request, "roadmap/province.html", {
        "r": report, "map": map.value, "as_of": day, "as_of_param": as_of or "", "n": _number,
        "chart_svg": cumulative_chart_svg(report), "behind": [a for a in report.agencies if a.gap > 0][:10],
        "years_table": list(zip(report.years, report.planned_cumulative, report.actual_cumulative, strict=True)),
        "old_names": [o.name for o in units.old_provinces_of(p.name)],
        "type_vi": {code: t.name_vi for code, t in DOCUMENT_TYPES.items()}})


@router.get("/tinh/{code}/bao-cao.{fmt}")
def report_file(request: Request, code: str, fmt: str, period: str = Query(...)) -> Response:
    from roadmap.report import ReportFormat, build_report

    try:
        kind = ReportFormat(fmt)
        p = units.province_2025(code)
        data = build_report(p.code, period, kind, url=request.app.state.settings.db_url)
    except (ValueError, units.UnknownProvince) as exc:
        raise LookupError(str(exc)) from None
    name = f"bao-cao-so-hoa-{p.code}-{period}.{kind.value}"
    return Response(data, media_type=kind.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/static/roadmap.css", include_in_schema=False)
def stylesheet() -> Response:
    return FileResponse(HERE / "static" / "roadmap.css", media_type="text/css")
