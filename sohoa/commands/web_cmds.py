"""Web sub-commands: `sohoa serve` (the review desk) and `sohoa users` (accounts)."""

from __future__ import annotations

import argparse
import getpass
import os

from core.errors import InvalidValue
from core.exitcodes import ExitCode

PASSWORD_ENV = "SOHOA_USER_PASSWORD"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="chạy trang rà soát dữ liệu (FastAPI) trên HOST:PORT")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--root-path", default="", help="prefix when served behind a proxy, e.g. /sohoa")
    p.set_defaults(func=_serve)

    p = sub.add_parser("users", help="tài khoản người dùng trang rà soát")
    users = p.add_subparsers(dest="users_command", metavar="ACTION")
    add = users.add_parser("add", help="tạo (hoặc cập nhật) một tài khoản")
    add.add_argument("name", help="tên đăng nhập")
    add.add_argument("--role", required=True, choices=("operator", "steward", "manager"))
    add.add_argument("--province", action="append", default=[],
                     help="tỉnh được giao (lặp lại cho nhiều tỉnh); bắt buộc với steward")
    add.add_argument("--full-name", default="")
    add.add_argument("--password-env", default=PASSWORD_ENV,
                     help=f"biến môi trường chứa mật khẩu (mặc định {PASSWORD_ENV}); không có thì hỏi")
    add.set_defaults(func=_users_add)
    ls = users.add_parser("list", help="liệt kê tài khoản")
    ls.set_defaults(func=_users_list)
    pw = users.add_parser("passwd", help="đặt mật khẩu mới; mọi phiên đăng nhập của tài khoản kết thúc")
    pw.add_argument("name", help="tên đăng nhập")
    pw.add_argument("--password-env", default=PASSWORD_ENV,
                    help=f"biến môi trường chứa mật khẩu (mặc định {PASSWORD_ENV}); không có thì hỏi")
    pw.set_defaults(func=_users_passwd)
    off = users.add_parser("disable", help="khóa tài khoản; mọi phiên đăng nhập kết thúc ngay")
    off.add_argument("name", help="tên đăng nhập")
    off.set_defaults(func=_users_disable)
    rm = users.add_parser("remove", help="xóa tài khoản (nhật ký kiểm tra vẫn giữ tên)")
    rm.add_argument("name", help="tên đăng nhập")
    rm.set_defaults(func=_users_remove)
    p.set_defaults(func=lambda a: (p.print_help(), ExitCode.USAGE)[1])


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from core.settings import get_settings
    from storage.db import upgrade
    from web import create_app

    settings = get_settings()
    upgrade(settings.db_url)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, root_path=args.root_path,
                proxy_headers=True, log_level="info")
    return ExitCode.OK


def _password(env: str) -> str:
    value = os.environ.get(env)
    if value:
        return value
    first = getpass.getpass("Mật khẩu: ")
    if first != getpass.getpass("Nhập lại mật khẩu: "):
        raise InvalidValue("hai lần nhập mật khẩu không khớp")
    return first


def _users_db() -> str:
    """The results database the accounts live in, brought to the current schema first."""
    from core.settings import get_settings
    from storage.db import upgrade

    db_url = get_settings().db_url
    upgrade(db_url)
    return db_url


def _users_add(args: argparse.Namespace) -> int:
    from web.auth import create_user

    create_user(args.name, _password(args.password_env), args.role, provinces=args.province,
                full_name=args.full_name, db_url=_users_db())
    scope = f" ({', '.join(args.province)})" if args.province else ""
    print(f"Đã tạo/cập nhật tài khoản {args.name}: {args.role}{scope}")
    return ExitCode.OK


def _users_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from storage.db import session_scope
    from storage.review_models import User

    with session_scope(_users_db()) as s:
        for u in s.scalars(select(User).order_by(User.username)):
            print(f"{u.username}\t{u.role}\t{', '.join(u.province_names)}\t{'hoạt động' if u.active else 'khóa'}")
    return ExitCode.OK


def _users_passwd(args: argparse.Namespace) -> int:
    from web.auth import set_password

    set_password(args.name, _password(args.password_env), db_url=_users_db())
    print(f"Đã đổi mật khẩu tài khoản {args.name}; các phiên đăng nhập cũ đã kết thúc")
    return ExitCode.OK


def _users_disable(args: argparse.Namespace) -> int:
    from web.auth import disable_user

    disable_user(args.name, db_url=_users_db())
    print(f"Đã khóa tài khoản {args.name}; các phiên đăng nhập đã kết thúc")
    return ExitCode.OK


def _users_remove(args: argparse.Namespace) -> int:
    from web.auth import remove_user

    remove_user(args.name, db_url=_users_db())
    print(f"Đã xóa tài khoản {args.name}")
    return ExitCode.OK
