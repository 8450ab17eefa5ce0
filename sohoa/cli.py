"""The `sohoa` command. Each sub-command lives in sohoa/commands/<name>.py with a
``register(subparsers)`` function; exit codes are documented in sohoa/exitcodes.py."""

from __future__ import annotations

import argparse
import importlib
import sys

from sohoa import __version__
from sohoa.exitcodes import ExitCode

# Order is the order of `sohoa --help`.
_COMMAND_MODULES = (
    "sohoa.commands.samples",
    "sohoa.commands.ocr_cmds",
    "sohoa.commands.signing_cmds",
    "sohoa.commands.pipeline_cmds",
    "sohoa.commands.services",
    "sohoa.commands.roadmap_cmds",
    "sohoa.commands.storage_cmds",
    "sohoa.commands.web_cmds",
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


if __name__ == "__main__":
    sys.exit(main())
