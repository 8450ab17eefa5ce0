"""The `sohoa` command. Each sub-command lives in sohoa/commands/<name>.py with a
``register(subparsers)`` function; exit codes are documented in core/exitcodes.py."""

from __future__ import annotations

import argparse
import importlib
import sys

from core.exitcodes import ExitCode
from sohoa import __version__

# Order is the order of `sohoa --help`.
_COMMAND_MODULES = (
    "sohoa.commands.samples",
    "sohoa.commands.ocr_cmds",
    "sohoa.commands.signing_cmds",
    "sohoa.commands.pipeline_cmds",
    "sohoa.commands.services",
    "sohoa.commands.roadmap_cmds",
    "sohoa.commands.agency_cmds",
    "sohoa.commands.storage_cmds",
    "sohoa.commands.lifecycle_cmds",
    "sohoa.commands.web_cmds",
    "sohoa.commands.review_cmds",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sohoa", description="Số hóa kết quả giải quyết TTHC — sohoa")
    parser.add_argument("--version", action="version", version=f"sohoa {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return ExitCode.USAGE
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except Exception as exc:  # the one handler: no command maps errors to exit codes by hand
        return _fault(exc)


def _fault(exc: Exception) -> int:
    """One line on stderr and the error's exit code (core/errors.py); a defect's traceback goes to a file."""
    from core import errors

    code = errors.exit_code_of(exc)
    if code is ExitCode.UNEXPECTED:
        where = _save_traceback(exc)
        first = str(exc).splitlines()[0][:300] if str(exc) else ""
        print(f"Lỗi không mong đợi: {type(exc).__name__}: {first} (chi tiết: {where})", file=sys.stderr)
    else:
        print(errors.one_line(exc), file=sys.stderr)
    return code


def _save_traceback(exc: Exception) -> str:
    import traceback
    from datetime import UTC, datetime

    try:
        from core.settings import get_settings

        folder = get_settings().home / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"error-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.txt"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        return str(path)
    except Exception:  # even the log folder is unusable (disk full): the one line must still be printed
        return "không ghi được tệp nhật ký"


if __name__ == "__main__":
    sys.exit(main())
