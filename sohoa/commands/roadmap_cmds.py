"""`sohoa roadmap …`: administrative units, agencies and plans, progress, the semiannual report."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from pathlib import Path

from core.exitcodes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    roadmap = sub.add_parser("roadmap", help="lộ trình số hóa: đơn vị hành chính, kế hoạch, tiến độ, báo cáo 6 tháng")
    rsub = roadmap.add_subparsers(dest="roadmap_command", metavar="ROADMAP_COMMAND")

    p = rsub.add_parser("units", help="34 tỉnh từ 01/07/2025 và bảng chuyển 63 tỉnh cũ sang tỉnh mới")
    p.add_argument("--format", choices=("json", "text"), default="text")
    p.set_defaults(func=_units)

    p = rsub.add_parser("import-agencies", help="nhập danh mục cơ quan của một tỉnh (CSV hoặc Excel)")
    p.add_argument("file", type=Path)
    p.add_argument("--province", required=True, help="tên tỉnh (cũ hoặc mới)")
    p.set_defaults(func=_import_agencies)

    p = rsub.add_parser("agency-template", help="tệp CSV mẫu danh mục cơ quan cấp huyện, xã của một tỉnh")
    p.add_argument("--province", required=True, help="tên tỉnh (cũ hoặc mới)")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=_agency_template)

    p = rsub.add_parser("import-plan", help="nhập kế hoạch số hóa theo năm của một tỉnh (CSV hoặc Excel)")
    p.add_argument("file", type=Path)
    p.add_argument("--province", required=True, help="tên tỉnh (cũ hoặc mới)")
    p.set_defaults(func=_import_plan)

    p = rsub.add_parser("progress", help="tiến độ so với kế hoạch, toàn quốc hoặc một tỉnh")
    p.add_argument("--province", help="mã (QĐ 19/2025/QĐ-TTg) hoặc tên tỉnh; bỏ trống: toàn quốc")
    p.add_argument("--map", choices=("new", "old"), default="new", help="34 tỉnh mới hoặc 63 tỉnh cũ")
    p.add_argument("--as-of", type=date.fromisoformat, default=None, help="ngày tính (mặc định hôm nay)")
    p.add_argument("--format", choices=("json", "text"), default="text")
    p.set_defaults(func=_progress)

    p = rsub.add_parser("refresh", help="tính lại bảng tổng hợp tiến độ cho trang toàn quốc")
    p.set_defaults(func=_refresh)

    p = rsub.add_parser("report", help="báo cáo 6 tháng của một tỉnh (Điều 26.9, 27.8 NĐ 45/2020)")
    p.add_argument("--province", required=True, help="mã tỉnh theo QĐ 19/2025/QĐ-TTg (vd 56) hoặc tên")
    p.add_argument("--period", required=True, help="kỳ báo cáo: NĂM-H1 hoặc NĂM-H2, vd 2025-H2")
    p.add_argument("--format", choices=("xlsx", "pdf"), default="xlsx")
    p.add_argument("--out", type=Path, default=None, help="tệp ghi ra (mặc định: thư mục hiện tại)")
    p.set_defaults(func=_report)
    roadmap.set_defaults(func=lambda _args: (roadmap.print_help(), ExitCode.USAGE)[1])


def _units(args: argparse.Namespace) -> int:
    from core import units

    if args.format == "json":
        print(json.dumps({"provinces_2025": units.provinces_2025(), "mapping": units.mapping_to_2025()},
                         ensure_ascii=False, indent=2))
        return ExitCode.OK
    for p in units.new_provinces():
        olds = ", ".join(f"{o.name} ({o.code})" for o in units.old_provinces_of(p.name))
        print(f"{p.code}  {p.full_name:<24} ← {olds}")
    return ExitCode.OK


def _agency_template(args: argparse.Namespace) -> int:
    import csv

    from roadmap.plans import agency_template

    rows = agency_template(args.province)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"Đã ghi {len(rows)} dòng mẫu vào {args.out}: điền mã cơ quan, thêm các sở, rồi nhập bằng "
          "`sohoa roadmap import-agencies`")
    return ExitCode.OK


def _import(args: argparse.Namespace, what: str) -> int:
    from core.errors import BadInput
    from roadmap import plans
    from storage.db import upgrade

    if not args.file.is_file():
        raise BadInput(str(args.file), "không tìm thấy tệp")
    upgrade()
    if what == "plan":
        outcome = plans.import_plan(args.file, args.province)
    else:
        outcome = plans.import_agencies(args.file, args.province)
    if what == "plan":
        print(f"Đã nhập kế hoạch {outcome.province} phiên bản {outcome.version}: {outcome.rows} dòng từ {args.file}")
    else:
        print(f"Đã nhập {outcome.rows} cơ quan của {outcome.province} từ {args.file}")
    return ExitCode.OK


def _import_plan(args: argparse.Namespace) -> int:
    return _import(args, "plan")


def _import_agencies(args: argparse.Namespace) -> int:
    return _import(args, "agencies")


def _progress(args: argparse.Namespace) -> int:
    from roadmap.progress import MapKind, national_overview, province_report

    as_of = args.as_of or datetime.now(UTC).date()
    kind = MapKind(args.map)
    if args.province:
        report = province_report(args.province, as_of, kind)
        data = report.as_dict()
        if args.format == "json":
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            t = data["total"]
            print(f"{report.province.full_name}: {t['digitised']}/{t['inventory']} ({t['done_pct']}%) — {t['status_vi']}; "
                  f"dự kiến xong {data['forecast_completion'] or 'không dự báo được'}; "
                  f"tồn sau 31/12/2025: {data['backlog_after_2025']}")
        return ExitCode.OK
    rows = [u.as_dict() for u in national_overview(as_of, kind)]
    if args.format == "json":
        print(json.dumps({"as_of": as_of.isoformat(), "map": kind.value, "provinces": rows}, ensure_ascii=False,
                         indent=2))
    else:
        for r in rows:
            print(f"{r['code'] or '':>2} {r['name']:<20} {r['digitised']:>9}/{r['inventory']:<9} {r['status_vi']}")
    return ExitCode.OK


def _refresh(args: argparse.Namespace) -> int:
    from roadmap.progress import refresh_snapshot
    from storage.db import upgrade

    upgrade()
    outcome = refresh_snapshot()
    print(f"Đã tổng hợp {outcome['rows']} dòng tiến độ trong {outcome['seconds']} giây")
    return ExitCode.OK


def _report(args: argparse.Namespace) -> int:
    from core.units import province_2025
    from roadmap.progress import period_end
    from roadmap.report import build_report

    period_end(args.period)  # a period that is not YEAR-H1/H2 is refused before any work
    province = province_2025(args.province)
    data = build_report(province.code, args.period, args.format)
    out = args.out or Path(f"bao-cao-so-hoa-{province.code}-{args.period}.{args.format}")
    out.write_bytes(data)
    print(f"Đã ghi báo cáo {args.period} của {province.full_name}: {out}")
    return ExitCode.OK
