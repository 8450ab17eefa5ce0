"""The one way the project runs an external program (tesseract, poppler, pdfsig, certutil, initdb, …).

Each tool keeps ONE seam module that knows its arguments and what its output means
(`ocr/_exec/tesseract.py`, `ocr/_exec/poppler.py`, `signing/_exec/pdfsig.py`, `signing/_exec/softhsm.py`,
`storage/_exec/postgres.py`, `storage/_exec/weed.py`); tests fault-inject there. This module knows how to
run a program: a time limit (the program's whole process group is killed when it passes, so a shell
wrapper's children go too), optional standard input, a cap on what it may print, a `which` check
with an install hint, a version check. Every failure is a `ToolError` naming the tool, the reason
and the exit code the CLI ends with.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.exitcodes import ExitCode

#: What a tool may print on stdout before it is stopped (a page's TSV is ~100 KB, a pdftotext of a
#: long result a few MB): a runaway tool must not fill the memory of a worker.
MAX_OUTPUT = 256 * 1024 * 1024
#: Only the end of stderr is kept: it is where a tool says why it failed.
_STDERR_KEPT = 64 * 1024
_CHUNK = 64 * 1024


class ToolError(Exception):
    """An external program could not be found or started, timed out, printed too much, or failed.

    `tool` is the program's name, `reason` a short sentence, `returncode` the program's own exit
    status when it ran to the end (None: missing, timeout, too much output), `exit_code` what the
    CLI ends with (external tool failed by default; a seam may say otherwise, e.g. the S3 server)."""

    exit_code: ExitCode = ExitCode.EXTERNAL_TOOL_FAILED

    def __init__(self, tool: str, reason: str, returncode: int | None = None,
                 exit_code: ExitCode = ExitCode.EXTERNAL_TOOL_FAILED) -> None:
        self.tool = tool
        self.reason = reason
        self.returncode = returncode
        self.exit_code = ExitCode(exit_code)
        super().__init__(f"{tool}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses process boundaries intact (a ProcessPoolExecutor worker re-raises it in the parent).
        return (type(self), (self.tool, self.reason, self.returncode, self.exit_code))


@dataclass(frozen=True)
class ToolRun:
    """A finished run: the program's exit status and what it printed (stderr: its last 64 KiB)."""

    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    def stderr_tail(self, limit: int = 600) -> str:
        return tail(self.stderr, limit)


def tail(data: bytes, limit: int = 600) -> str:
    """The end of a tool's stderr, for a one-line reason."""
    text = data.decode("utf-8", "replace").strip()
    return text[-limit:] if text else "(no stderr)"


def tool_name(command: str) -> str:
    return Path(command).name


def find(command: str, *, hint: str = "", tool: str | None = None,
         exit_code: ExitCode = ExitCode.EXTERNAL_TOOL_FAILED) -> str:
    """The program's path (a bare name is looked up on PATH). Raises ToolError when there is none."""
    found = shutil.which(command)
    if found is None:
        raise ToolError(tool or tool_name(command), _not_found(command, hint), exit_code=exit_code)
    return found


def _not_found(command: str, hint: str) -> str:
    return f"not found ({command!r})" + (f"; {hint}" if hint else "")


def run(argv: Sequence[str], *, timeout_s: float, tool: str | None = None, stdin: bytes | None = None,
        env: Mapping[str, str] | None = None, cwd: Path | None = None, check: bool = True,
        max_output: int = MAX_OUTPUT, hint: str = "",
        exit_code: ExitCode = ExitCode.EXTERNAL_TOOL_FAILED) -> ToolRun:
    """Run `argv` to its end and return what it printed.

    `env` is added to this process's environment. With `check`, a non-zero exit status is a
    ToolError too (with its `returncode`); without, the caller reads `returncode` itself (a tool
    whose status is not a verdict, like pdfsig). `hint` says how to install a missing tool."""
    argv = [str(a) for a in argv]
    name = tool or tool_name(argv[0])
    started = time.monotonic()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                                env={**os.environ, **env} if env else None, start_new_session=True)
    except FileNotFoundError:
        raise ToolError(name, _not_found(argv[0], hint), exit_code=exit_code) from None
    except OSError as exc:  # not executable, a directory, exec format error
        raise ToolError(name, f"cannot be started ({argv[0]!r}): {exc.strerror or exc}", exit_code=exit_code) from None
    try:
        stdout, stderr, stopped = _communicate(proc, stdin, started + timeout_s, max_output)
    except BaseException:  # KeyboardInterrupt while waiting: the tool does not outlive us
        _kill(proc)
        raise
    finally:
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()
    seconds = time.monotonic() - started
    if stopped == "timeout":
        raise ToolError(name, f"timed out after {timeout_s:g} s; stderr: {tail(stderr)}", exit_code=exit_code)
    if stopped == "output":
        raise ToolError(name, f"printed more than {max_output} bytes; stopped", exit_code=exit_code)
    done = ToolRun(tuple(argv), proc.returncode, stdout, stderr, seconds)
    if check and done.returncode != 0:
        raise ToolError(name, f"exited with code {done.returncode}; stderr: {tail(stderr)}", done.returncode,
                        exit_code=exit_code)
    return done


def _communicate(proc: subprocess.Popen[bytes], stdin: bytes | None, deadline: float,
                 max_output: int) -> tuple[bytes, bytes, str | None]:
    """Feed stdin, read stdout and stderr until the program closes them and exits, the deadline
    passes or stdout grows past `max_output` (then the program is killed). Returns the outputs and
    why it stopped early (None, "timeout", "output")."""
    out = bytearray()
    err = bytearray()
    to_send = memoryview(stdin or b"")
    with selectors.DefaultSelector() as sel:
        assert proc.stdout is not None and proc.stderr is not None
        sel.register(proc.stdout, selectors.EVENT_READ, out)
        sel.register(proc.stderr, selectors.EVENT_READ, err)
        if proc.stdin is not None:
            if to_send:
                os.set_blocking(proc.stdin.fileno(), False)
                sel.register(proc.stdin, selectors.EVENT_WRITE, None)
            else:
                proc.stdin.close()
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                _kill(proc)
                return bytes(out), bytes(err), "timeout"
            for key, _ in sel.select(left):
                if key.data is None:  # stdin
                    try:
                        sent = os.write(key.fd, to_send[:_CHUNK])
                    except BrokenPipeError:  # the tool stopped reading: its exit status says why
                        sent = len(to_send)
                    to_send = to_send[sent:]
                    if not to_send:
                        sel.unregister(key.fileobj)
                        key.fileobj.close()  # type: ignore[union-attr]
                    continue
                data = os.read(key.fd, _CHUNK)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                key.data.extend(data)
                if key.data is err and len(err) > 2 * _STDERR_KEPT:
                    del err[:-_STDERR_KEPT]
                if len(out) > max_output:
                    _kill(proc)
                    return bytes(out[:max_output]), bytes(err), "output"
    try:
        proc.wait(timeout=max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        _kill(proc)
        return bytes(out), bytes(err), "timeout"
    return bytes(out), bytes(err), None


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the tool's process group (it was started in a session of its own) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def version(command: str, *, args: Sequence[str] = ("--version",), timeout_s: float = 30,
            tool: str | None = None, hint: str = "") -> tuple[int, ...]:
    """The tool's version, from the first dotted number it prints (stdout or stderr: poppler's
    tools print it on stderr). Raises ToolError when it cannot be run or prints no version."""
    name = tool or tool_name(command)
    done = run([command, *args], timeout_s=timeout_s, tool=name, hint=hint, check=False)
    found = _VERSION.search(done.stdout.decode("utf-8", "replace") + "\n" + done.stderr.decode("utf-8", "replace"))
    if found is None:
        raise ToolError(name, f"no version in the output of {' '.join([command, *args])!r}")
    return tuple(int(part) for part in found.groups() if part is not None)


def require_version(command: str, minimum: tuple[int, ...], *, args: Sequence[str] = ("--version",),
                    tool: str | None = None, hint: str = "") -> tuple[int, ...]:
    """The tool's version; a ToolError when it is older than `minimum`."""
    name = tool or tool_name(command)
    found = version(command, args=args, tool=name, hint=hint)
    if found < minimum:
        raise ToolError(name, f"version {'.'.join(map(str, found))} is older than the "
                              f"{'.'.join(map(str, minimum))} sohoa needs" + (f"; {hint}" if hint else ""))
    return found
