"""System-of-record sub-commands: revoke (Art. 15), backup / restore (Decree 137 Art. 13), fixity."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from core.actors import actor_name
from core.exitcodes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("revoke", help="thu hồi một kết quả (Điều 15): giữ bản ghi, ghi thời điểm và lý do")
    p.add_argument("result_code", help="mã kết quả <mã hồ sơ>-KQ<n>")
    p.add_argument("--reason", required=True, help="lý do thu hồi")
    p.add_argument("--actor", default=None, help="người thực hiện (mặc định: người dùng hệ thống)")
    p.set_defaults(func=_revoke)

    p = sub.add_parser("requeue", help="đưa các sự kiện đồng bộ đã hỏng (dead letters) trở lại hàng đợi")
    p.add_argument("outbox_ids", nargs="*", type=int, help="mã sự kiện outbox (bỏ trống cùng --all: tất cả)")
    p.add_argument("--all", action="store_true", help="mọi sự kiện đã hỏng")
    p.add_argument("--actor", default=None)
    p.set_defaults(func=_requeue)

    p = sub.add_parser("backup", help="sao lưu CSDL kết quả và kho đối tượng vào một thư mục")
    p.add_argument("directory", type=Path)
    p.set_defaults(func=_backup)

    p = sub.add_parser("restore", help="khôi phục từ thư mục sao lưu vào CSDL và kho đối tượng trống")
    p.add_argument("directory", type=Path)
    p.set_defaults(func=_restore)

    p = sub.add_parser("storage-setup", help="tạo các bucket và khóa đối tượng (chạy một lần, bằng khóa quản trị "
                                             "SOHOA_S3_ADMIN_ACCESS_KEY/SECRET_KEY)")
    p.set_defaults(func=_storage_setup)

    p = sub.add_parser("fixity", help="kiểm tra toàn vẹn: đọc lại mọi đối tượng, so SHA-256 với CSDL")
    p.add_argument("--format", choices=("json", "text"), default="text")
    p.add_argument("--actor", default=None, help="người thực hiện (mặc định: người dùng hệ điều hành)")
    p.set_defaults(func=_fixity)


def _storage_setup(args: argparse.Namespace) -> int:
    from storage.objects import ObjectStore, StoreSetupRequired

    store = ObjectStore()
    if store.admin_client() is None:
        print("Cần khóa quản trị kho đối tượng: đặt SOHOA_S3_ADMIN_ACCESS_KEY và SOHOA_S3_ADMIN_SECRET_KEY "
              "(chỉ cho lần cài đặt này, không đặt cho pipeline)")
        return ExitCode.USAGE
    try:
        created = store.ensure_buckets()
    except StoreSetupRequired as exc:
        print(f"Không thể cài đặt kho đối tượng: {exc}")
        return ExitCode.USAGE
    mode, days = store.settings.results_retention_mode.upper(), store.settings.results_retention_days
    print(f"Đã tạo {len(created)} bucket; bucket kết quả khóa {mode} {days} ngày")
    return ExitCode.OK


def _revoke(args: argparse.Namespace) -> int:
    from sync.revocation import revoke_result

    outcome = revoke_result(args.result_code, args.reason, actor=actor_name(args.actor))
    when = outcome.revoked_at.isoformat()
    if outcome.already_revoked:
        print(f"{outcome.result_code} đã bị thu hồi từ trước lúc {when} (lý do: {outcome.reason}); không thay đổi gì")
    else:
        print(f"Đã thu hồi {outcome.result_code} lúc {when}; lý do: {outcome.reason}. "
              "Sự kiện thu hồi đã vào hàng đợi đồng bộ kho dữ liệu công dân.")
    return ExitCode.OK


def _requeue(args: argparse.Namespace) -> int:
    from core.errors import InvalidValue
    from core.settings import get_settings
    from sync.outbox import requeue_dead

    if not args.outbox_ids and not args.all:
        raise InvalidValue("chỉ rõ mã sự kiện outbox, hoặc dùng --all")
    keys = requeue_dead(get_settings(), args.outbox_ids or None, actor=actor_name(args.actor))
    print(f"Đã đưa {len(keys)} sự kiện trở lại hàng đợi" + "".join(f"\n  {k}" for k in keys))
    return ExitCode.OK


def _progress_line(what: str) -> Callable[[str], None]:
    """Progress on stderr (stdout keeps the summary), with the seconds since the start."""
    import time

    started = time.monotonic()

    def say(line: str) -> None:
        print(f"{what} [{time.monotonic() - started:5.0f} giây] {line}", file=sys.stderr, flush=True)

    return say


def _backup(args: argparse.Namespace) -> int:
    from storage.backup import backup

    summary = backup(args.directory, progress=_progress_line("Sao lưu"))
    print(f"Đã sao lưu {sum(summary.rows.values())} dòng ({len(summary.rows)} bảng) và {summary.objects} đối tượng "
          f"({summary.object_bytes} byte) vào {summary.directory}")
    return ExitCode.OK


def _restore(args: argparse.Namespace) -> int:
    from storage.backup import restore

    summary = restore(args.directory, progress=_progress_line("Khôi phục"))
    print(f"Đã khôi phục {sum(summary.rows.values())} dòng ({len(summary.rows)} bảng) và {summary.objects} đối tượng "
          f"từ {summary.directory}")
    return ExitCode.OK


def _fixity(args: argparse.Namespace) -> int:
    from storage.fixity import audit_results

    report = audit_results(actor=args.actor)
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"Đã kiểm tra {report['checked']} đối tượng; sai lệch: {len(report['problems'])}; "
              f"báo cáo: {report['report']}")
        for p in report["problems"]:
            print(f"  {p['problem']}: {p['entity']} {p['entity_id']} s3://{p['bucket']}/{p['key']}")
    return ExitCode.OK if not report["problems"] else ExitCode.BAD_INPUT
