"""Roadmap pages (Vietnamese), mounted by web.create_app behind its login: /roadmap, /roadmap/tinh/{code}.

Everything is rendered on the server: tables sort and filter through query parameters, the chart is
an SVG drawn by matplotlib, so the pages need no JavaScript and print as they show.
"""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from core import units
from core.text import vn_number, vn_percent
from review.service import can_see
from roadmap.plans import DEADLINE
from roadmap.progress import (
    MapKind,
    Status,
    UnitProgress,
    forecast_completion,
    national_overview,
    province_report,
    report_periods,
    snapshot_rows,
    trailing_throughput,
)
from schemas import DOCUMENT_TYPES
from web.auth import Forbidden, UserDep, require_user
from web.csrf import csrf_protect

HERE = Path(__file__).parent
VN = ZoneInfo("Asia/Ho_Chi_Minh")
router = APIRouter(prefix="/roadmap", dependencies=[Depends(require_user)])

PLAN_IMPORTERS = ("manager",)  # the roles that may replace a province's plan from the browser
MAX_PLAN_BYTES = 5_000_000

SORT_KEYS = {
    "name": lambda u: units.name_key(u.name),
    "code": lambda u: u.code or "",
    "done": lambda u: -1.0 if u.done_pct is None else u.done_pct,
    "target": lambda u: -1.0 if u.target_pct is None else u.target_pct,
    "gap": lambda u: -1e18 if u.done_pct is None else (u.expected_pct or 0) - u.done_pct,
    "status": lambda u: list(Status).index(u.status),
    "remaining": lambda u: u.remaining,
}
SORT_VI = {"name": "Tỉnh/thành phố", "code": "Mã", "remaining": "Còn phải số hóa", "done": "Đã số hóa",
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


def _to_2025(name: str) -> str | None:
    """The 2025 province of a unit name; None for a name outside the catalogue (a batch stored before
    intake checked it): that row is shown, unlinked, instead of failing the page for everybody."""
    try:
        return units.province_2025(name).name
    except units.UnknownProvince:
        return None


def _visible_province(user: Any, code: str) -> units.Province2025:
    """The 2025 province of a page's code, if this user may see it; else 404, the same answer as for
    a code that does not exist (a steward learns nothing of other provinces, not even that they are
    there)."""
    try:
        p = units.province_2025(code)
    except units.UnknownProvince:
        p = None
    if p is None or user is None or not can_see(user, p.name):
        raise LookupError(f"không tìm thấy tỉnh/thành phố «{code[:40]}» trong phạm vi được giao")
    return p


def _headline(units_: list[UnitProgress], forecasts: dict[str, date | None]) -> dict[str, Any]:
    """The national figures a manager reads first."""
    inventory = sum(u.inventory for u in units_)
    digitised = sum(u.digitised for u in units_)
    planned = [u for u in units_ if u.inventory]
    in_time = [u for u in planned if (f := forecasts.get(u.name)) is not None and f <= DEADLINE]
    return {"inventory": inventory, "digitised": digitised, "remaining": sum(u.remaining for u in units_),
            "done_pct": 100.0 * digitised / inventory if inventory else None,
            "synced": sum(u.synced for u in units_), "in_review": sum(u.in_review for u in units_),
            "rejected": sum(u.rejected for u in units_), "planned": len(planned), "provinces": len(units_),
            "in_time": len(in_time), "forecast_known": any(f is not None for f in forecasts.values())}


@router.get("", response_class=HTMLResponse)
def overview(request: Request, user: UserDep, map: MapKind = MapKind.NEW, sort: str = "gap",  # noqa: A002
             order: str = "desc", status: str = "", q: str = "", as_of: str | None = Query(None)) -> Response:
    day = _as_of(as_of)
    url = request.app.state.settings.db_url
    # Today's page reads the stored snapshot when there is one (`sohoa roadmap refresh`, hourly DAG);
    # a past day (?as_of=) or no snapshot yet: counted live.
    snapshot = None if as_of else snapshot_rows(url)
    everything = national_overview(day, map, url=url, counts=snapshot[0] if snapshot else None)
    # Scoped like records (review.service.can_see): a steward sees the provinces assigned to them,
    # under either map; managers and operators see them all. The headline sums what is shown.
    everything = [u for u in everything if can_see(user, u.name)]
    counts = {s: 0 for s in Status}
    for u in everything:
        counts[u.status] += 1
    # Forecasts per 2025 province at the trailing-90-day rate (one grouped query); the old map's
    # provinces no longer report on their own, so they get none.
    trailing = trailing_throughput(None, day, url=url) if map is MapKind.NEW else {}
    forecasts = {u.name: forecast_completion(u.remaining, u.inventory, trailing.get(u.name, 0), day)
                 for u in everything} if map is MapKind.NEW else {}
    rows = [u for u in everything if (not status or u.status.value == status)
            and (not q or units.name_matches(q, u.name))]
    key = SORT_KEYS.get(sort, SORT_KEYS["gap"])
    rows.sort(key=key, reverse=(order == "desc"))
    return _render(request, "roadmap/overview.html", {
        "rows": rows, "map": map.value, "sort": sort, "order": order, "status": status, "q": q,
        "as_of": day, "as_of_param": as_of or "", "statuses": list(Status), "counts": counts,
        "sort_vi": SORT_VI, "n": vn_number, "pct": vn_percent, "forecasts": forecasts, "deadline": DEADLINE,
        "headline": _headline(everything, forecasts),
        "chart": sorted(everything, key=lambda u: (u.done_pct is None, -(u.done_pct or 0), units.name_key(u.name))),
        "new_codes": {p.name: p.code for p in units.new_provinces()},
        "to_2025": _to_2025, "refreshed_at": snapshot[1].astimezone(VN) if snapshot else None})


def _province_page(request: Request, code: str, map: MapKind, as_of: str | None,  # noqa: A002
                   extra: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    day = _as_of(as_of)
    user = getattr(request.state, "sohoa_user", None)
    p = _visible_province(user, code)
    report = province_report(p.code, day, map, url=request.app.state.settings.db_url)
    from roadmap.charts import cumulative_chart_svg

    return _render(request, "roadmap/province.html", {
        "r": report, "map": map.value, "as_of": day, "as_of_param": as_of or "", "n": vn_number, "pct": vn_percent,
        "periods": report_periods(day), "deadline": DEADLINE,
        "can_import": user is not None and user.role in PLAN_IMPORTERS,
        "chart_svg": cumulative_chart_svg(report), "behind": [a for a in report.agencies if a.gap > 0][:10],
        "years_table": list(zip(report.years, report.planned_cumulative, report.actual_cumulative, strict=True)),
        "old_names": [o.name for o in units.old_provinces_of(p.name)],
        "type_vi": {code: t.name_vi for code, t in DOCUMENT_TYPES.items()}} | (extra or {}), status_code=status_code)


@router.get("/tinh/{code}", response_class=HTMLResponse)
def province(request: Request, code: str, map: MapKind = MapKind.NEW,  # noqa: A002
             as_of: str | None = Query(None)) -> Response:
    return _province_page(request, code, map, as_of)


@router.post("/tinh/{code}/ke-hoach", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
async def plan_upload(request: Request, code: str) -> Response:
    """The plan import of `sohoa roadmap import-plan`, from the browser: same checks, same row-numbered
    errors; a file with any error stores nothing."""
    from roadmap.plans import PlanRejected, import_plan

    user = getattr(request.state, "sohoa_user", None)
    if user is None or user.role not in PLAN_IMPORTERS:
        raise Forbidden("Chỉ lãnh đạo, quản lý được nhập kế hoạch số hóa.")
    try:
        p = units.province_2025(code)
    except units.UnknownProvince as exc:
        raise LookupError(str(exc)) from None
    form = await request.form()
    upload = form.get("file")
    name = Path(getattr(upload, "filename", "") or "").name
    suffix = Path(name).suffix.lower()
    extra: dict[str, Any] = {"plan_file": name or "(không có tệp)"}
    if upload is None or not hasattr(upload, "read") or suffix not in (".csv", ".xlsx"):
        extra["plan_errors"] = ["Hãy chọn một tệp .csv (UTF-8) hoặc .xlsx."]
        return _province_page(request, p.code, MapKind.NEW, None, extra, status_code=422)
    data = await upload.read()
    if len(data) > MAX_PLAN_BYTES:
        extra["plan_errors"] = [f"Tệp lớn hơn {MAX_PLAN_BYTES // 1_000_000} MB."]
        return _province_page(request, p.code, MapKind.NEW, None, extra, status_code=422)
    with tempfile.TemporaryDirectory(prefix="sohoa-plan-") as tmp:
        path = Path(tmp) / (re.sub(r"[^\w.\-]", "_", Path(name).stem)[:80] + suffix)
        path.write_bytes(data)
        try:
            outcome = import_plan(path, p.name)
        except PlanRejected as exc:
            extra["plan_errors"] = [str(e) for e in exc.errors]
            return _province_page(request, p.code, MapKind.NEW, None, extra, status_code=422)
    extra["plan_result"] = (f"Đã nhập kế hoạch của {outcome.province} từ tệp «{name}»: {vn_number(outcome.rows)} dòng, "
                            f"phiên bản {outcome.version} (phiên bản trước không còn được tính).")
    return _province_page(request, p.code, MapKind.NEW, None, extra)


@router.get("/tinh/{code}/bao-cao.{fmt}")
def report_file(request: Request, user: UserDep, code: str, fmt: str, period: str = Query(...)) -> Response:
    from roadmap.report import ReportFormat, build_report

    p = _visible_province(user, code)
    try:
        kind = ReportFormat(fmt)
        data = build_report(p.code, period, kind, url=request.app.state.settings.db_url)
    except (ValueError, units.UnknownProvince) as exc:
        raise LookupError(str(exc)) from None
    name = f"bao-cao-so-hoa-{p.code}-{period}.{kind.value}"
    return Response(data, media_type=kind.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/static/roadmap.css", include_in_schema=False)
def stylesheet() -> Response:
    return FileResponse(HERE / "static" / "roadmap.css", media_type="text/css")
