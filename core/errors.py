"""What an error means to the person at the command line: its exit code and its one line.

Every error class of ours carries `exit_code: ExitCode` (core/exitcodes.py), as a class attribute,
or per instance where one class covers two outcomes (`ToolError`, `PrintCopyError`). An error that
only a defect can raise says so: `exit_code = ExitCode.UNEXPECTED`. The CLI has one handler
(`sohoa/cli.py`): it asks `exit_code_of` and `one_line` here, so no command maps errors by hand.

Errors of other libraries that mean a service is down (the results database, a full disk) are
known to core/faults.py; anything else without an exit code is a defect (exit 1, the traceback in
the log).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.exitcodes import ExitCode

#: The start of the line for an error whose class names none (`headline`).
HEADLINES: dict[ExitCode, str] = {
    ExitCode.USAGE: "Tham số không hợp lệ",
    ExitCode.BAD_INPUT: "Dữ liệu vào không dùng được",
    ExitCode.INVALID_SIGNATURE: "Chữ ký không hợp lệ",
    ExitCode.KEY_ERROR: "Khóa ký bị từ chối",
    ExitCode.SERVICE_UNAVAILABLE: "Dịch vụ không sẵn sàng",
    ExitCode.EXTERNAL_TOOL_FAILED: "Lỗi công cụ ngoài",
    ExitCode.UNEXPECTED: "Lỗi không mong đợi",
}
_LONGEST = 2000  # characters of one line


class BadInput(Exception):
    """A file, folder or record the person named cannot be used: missing, unreadable, unwritable.
    `what` names it, `reason` says why (in Vietnamese)."""

    exit_code: ExitCode = ExitCode.BAD_INPUT
    headline = "Lỗi"

    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        self.reason = reason
        super().__init__(f"{what}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.what, self.reason))


class InvalidValue(ValueError):
    """A value the person gave (an argument, a form field) is not acceptable: a reporting period
    that is not YEAR-H1/H2, an empty revocation reason, a steward without a province."""

    exit_code: ExitCode = ExitCode.USAGE


@contextmanager
def fault_of(path: Path | str, *errors: type[BaseException], doing: str = "") -> Iterator[None]:
    """Any of `errors` raised inside is the named file's fault: it becomes a BadInput naming it,
    its reason led by `doing` ("không đọc được ảnh").

    An error that already knows its exit code goes through as it is (a timed-out poppler stays an
    external tool's failure, not the file's), and so does a service fault (a full disk)."""
    from core import faults  # here: it imports SQLAlchemy, and the errors above are for everyone

    try:
        yield
    except errors as exc:
        if has_exit_code(exc) or faults.is_service_fault(exc):
            raise
        reason = _reason(exc)
        raise BadInput(str(path), f"{doing}: {reason}" if doing else reason) from exc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def has_exit_code(exc: BaseException) -> bool:
    return isinstance(getattr(exc, "exit_code", None), ExitCode)


def exit_code_of(exc: BaseException) -> ExitCode:
    """The exit code the CLI ends with for `exc`: its own, a service fault's, or UNEXPECTED (a defect)."""
    from core import faults

    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if has_exit_code(exc):
        return exc.exit_code  # type: ignore[attr-defined,no-any-return]
    if faults.is_service_fault(exc):
        return ExitCode.SERVICE_UNAVAILABLE
    return ExitCode.UNEXPECTED


def one_line(exc: BaseException) -> str:
    """One line for the person: what went wrong, naming the file or service and the reason."""
    from core import faults

    if faults.is_service_fault(exc):
        return _flat(faults.describe(exc))
    headline = getattr(type(exc), "headline", None) or HEADLINES.get(exit_code_of(exc), HEADLINES[ExitCode.UNEXPECTED])
    detail = _flat(str(exc)) or type(exc).__name__
    return f"{headline}: {detail}"


def _flat(text: str) -> str:
    """Several lines (a plan's rejected rows) joined into one."""
    line = "; ".join(part.strip() for part in text.splitlines() if part.strip())
    return line if len(line) <= _LONGEST else line[:_LONGEST - 1] + "…"
