"""`sohoa agencies import <csv|xlsx>`: the national catalogue of agency codes (mã định danh), so issuing
agencies travel to the warehouse by code and an unknown one sends its record to a steward."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.actors import actor_name
from core.errors import BadInput
from core.exitcodes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    agencies = sub.add_parser("agencies", help="danh mục mã định danh cơ quan (Quyết định 20/2020/QĐ-TTg)")
    asub = agencies.add_subparsers(dest="agencies_command", metavar="AGENCIES_COMMAND")
    p = asub.add_parser("import", help="nhập danh mục mã định danh cơ quan (CSV hoặc Excel): mã định danh, "
                                       "tên cơ quan, tỉnh, mã cơ quan cấp trên, tên in trên giấy tờ")
    p.add_argument("file", type=Path)
    p.add_argument("--actor", default=None, help="người thực hiện (mặc định: người dùng hệ điều hành)")
    p.set_defaults(func=_import)


def _import(args: argparse.Namespace) -> int:
    from roadmap.agency_catalogue import import_catalogue
    from storage.db import upgrade

    if not args.file.is_file():
        raise BadInput(str(args.file), "không tìm thấy tệp")
    upgrade()
    # A bad file (PlanRejected, exit 3) is printed with every bad row by the CLI's one handler.
    outcome = import_catalogue(args.file, actor_name(args.actor))
    print(f"Đã nhập danh mục mã định danh cơ quan từ {args.file}: {outcome.added} cơ quan mới, "
          f"{outcome.updated} cơ quan cập nhật")
    return ExitCode.OK
