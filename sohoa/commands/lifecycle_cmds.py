"""After-signing sub-commands: correct a signed result by a new version (Decree 45 Art. 15,
Decree 137 Art. 4), re-key a provisional dossier code (DOMAIN rule 7)."""

from __future__ import annotations

import argparse

from core.actors import actor_name
from core.exitcodes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("reopen", help="đính chính kết quả đã ký: mở lại hồ sơ, ký bản mới thay thế bản cũ")
    p.add_argument("result_code", metavar="RESULT_CODE")
    p.add_argument("--reason", required=True, help="lý do đính chính")
    p.add_argument("--actor", default=None, help="người thực hiện (mặc định: người dùng hệ điều hành)")
    p.set_defaults(func=_reopen)

    p = sub.add_parser("rekey", help="gắn kết quả mang mã hồ sơ tạm (TAM.…) với mã hồ sơ thật")
    p.add_argument("provisional", metavar="TAM-CODE", help="mã hồ sơ tạm, ví dụ TAM.000.00.15.H34-250101-0007")
    p.add_argument("real", metavar="REAL-CODE", help="mã hồ sơ thật, ví dụ 000.00.15.H34-200512-0001")
    p.add_argument("--actor", default=None)
    p.add_argument("--no-release", action="store_true",
                   help="chỉ đổi mã; không ký lại, lưu và đồng bộ ngay (để lần chạy sau làm)")
    p.set_defaults(func=_rekey)


def _reopen(args: argparse.Namespace) -> int:
    from review.lifecycle import reopen_signed

    # A refusal (LifecycleError, exit 3) is printed by the CLI's one handler.
    doc_id = reopen_signed(args.result_code, actor_name(args.actor), args.reason)
    print(f"Hồ sơ #{doc_id} đã mở lại để đính chính {args.result_code}. Sau khi duyệt, bản mới được ký với mã "
          f"KQ kế tiếp và thay thế {args.result_code} (bản cũ được giữ, ghi «đã được thay thế»).")
    return ExitCode.OK


def _rekey(args: argparse.Namespace) -> int:
    from core.settings import get_settings
    from review.lifecycle import rekey_provisional
    from sohoa.pipeline import release_approved, sync_batch

    actor = actor_name(args.actor)
    moved = rekey_provisional(args.provisional, args.real, actor)
    for m in moved:
        what = f"kết quả {m.old_result} sẽ được thay thế" if m.old_result else "chưa ký: sẽ ký với mã thật"
        print(f"Hồ sơ #{m.document_id}: {args.provisional} → {args.real} ({what})")
    if args.no_release:
        return ExitCode.OK
    settings = get_settings()
    for batch_id in sorted({m.batch_id for m in moved if m.old_result}):
        released = release_approved(batch_id, settings)
        print(f"Lô {batch_id}: đã ký {released['signed']}, lưu {released['stored']}")
        sync_batch(batch_id, settings)
    return ExitCode.OK
