"""Review sub-commands: `sohoa rescans` (the papers to scan again) and `sohoa backfill` (records made
before a rule existed, judged again by today's rules)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.exitcodes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rescans", help="danh sách hồ sơ chờ quét lại (theo lô, tỉnh); --csv để giao nhóm quét")
    p.add_argument("--batch", type=int, default=None, help="chỉ một lô")
    p.add_argument("--province", default="", help="chỉ một tỉnh (viết cách nào cũng khớp)")
    p.add_argument("--csv", type=Path, default=None, help="ghi danh sách ra tệp CSV (UTF-8, mở được bằng Excel)")
    p.set_defaults(func=_rescans)

    p = sub.add_parser("backfill", help="xét lại hồ sơ cũ theo quy tắc hiện hành (chất lượng trang, còn hiệu lực)")
    p.add_argument("--batch", type=int, default=None, help="chỉ một lô")
    p.add_argument("--measure-pages", action="store_true",
                   help="đo lại chất lượng các trang do phiên bản cũ đo (đọc lại bản quét gốc)")
    p.add_argument("--dry-run", action="store_true", help="chỉ báo cáo, không ghi gì")
    p.add_argument("--actor", default=None, help="người thực hiện (mặc định: người dùng hệ điều hành)")
    p.set_defaults(func=_backfill)


def _rescans(args: argparse.Namespace) -> int:
    from core.settings import get_settings
    from review.rescan import as_csv, awaiting
    from storage.db import upgrade

    settings = get_settings()
    upgrade(settings.db_url)
    rows = awaiting(batch_id=args.batch, province=args.province or None, db_url=settings.db_url)
    if args.csv:
        args.csv.write_text(as_csv(rows), encoding="utf-8")
        print(f"Đã ghi {len(rows)} hồ sơ chờ quét lại vào {args.csv}")
        return ExitCode.OK
    if not rows:
        print("Không có hồ sơ nào chờ quét lại.")
        return ExitCode.OK
    print("hồ sơ\tlô\ttỉnh\ttệp\tmã hồ sơ\ttrang\tlý do", file=sys.stdout)
    for r in rows:
        print(f"#{r.document_id}\t{r.batch_id}\t{r.province}\t{r.file_name}\t{r.dossier_code or '—'}\t"
              f"{' '.join(map(str, r.pages)) or 'tất cả'}\t{r.reason}")
    return ExitCode.OK


def _backfill(args: argparse.Namespace) -> int:
    from core.settings import get_settings
    from review.backfill import backfill
    from storage.db import upgrade
    from storage.objects import ObjectStore

    settings = get_settings()
    upgrade(settings.db_url)
    store = ObjectStore(settings) if args.measure_pages else None
    report = backfill(batch_id=args.batch, measure_pages=args.measure_pages, store=store, settings=settings,
                      dry_run=args.dry_run, actor=args.actor, db_url=settings.db_url)
    print(f"{'(chạy thử, không ghi) ' if args.dry_run else ''}Đã xét {report.documents} hồ sơ; đo lại "
          f"{report.pages_measured} trang; {len(report.back_to_review)} hồ sơ trở lại hàng đợi rà soát; "
          f"{report.reasons_refreshed} hồ sơ đang rà soát được cập nhật lý do.")
    for doc_id, why in report.back_to_review:
        print(f"  trở lại rà soát: hồ sơ #{doc_id}: {why}")
    if report.signed_expired or report.signed_page_problems:
        print("Kết quả đã ký cần người xem xét (thu hồi nếu cần: sohoa revoke):")
    for doc_id, code, why in report.signed_expired:
        print(f"  đã ký như còn hiệu lực nhưng đã hết hiệu lực khi chuyển đổi: hồ sơ #{doc_id} ({code}): {why}")
    for doc_id, code, why in report.signed_page_problems:
        print(f"  đã ký với trang cần quét lại: hồ sơ #{doc_id} ({code}): {why}")
    return ExitCode.OK
