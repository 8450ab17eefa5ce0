"""The one run helper (core/tools.py) with real programs: /bin/sh scripts that hang, crash, print."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import pytest

from core import tools
from core.exitcodes import ExitCode


def _script(tmp_path: Path, name: str, body: str) -> Path:
    exe = tmp_path / name
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(0o755)
    return exe


def test_output_stdin_and_environment(tmp_path: Path) -> None:
    exe = _script(tmp_path, "echoer", 'cat\necho "limit=$OMP_THREAD_LIMIT" >&2\necho done')
    done = tools.run([exe], timeout_s=10, stdin="chữ Việt\n".encode(), env={"OMP_THREAD_LIMIT": "1"})
    assert done.returncode == 0 and done.text == "chữ Việt\ndone\n"
    assert done.stderr_tail() == "limit=1"
    assert done.argv == (str(exe),)


def test_a_large_stdin_is_fed_while_stdout_is_read(tmp_path: Path) -> None:
    # 4 MB each way: more than a pipe holds, so writing all before reading would deadlock.
    data = os.urandom(4 * 1024 * 1024)
    done = tools.run(["cat"], timeout_s=30, stdin=data)
    assert done.stdout == data


def test_a_failing_tool_names_itself_its_status_and_stderr(tmp_path: Path) -> None:
    exe = _script(tmp_path, "crasher", 'echo "Segmentation fault" >&2\nexit 139')
    with pytest.raises(tools.ToolError) as err:
        tools.run([exe], timeout_s=10)
    assert err.value.tool == "crasher" and err.value.returncode == 139
    assert "exited with code 139" in err.value.reason and "Segmentation fault" in err.value.reason
    assert err.value.exit_code is ExitCode.EXTERNAL_TOOL_FAILED
    # Without check the status is the caller's to read (pdfsig's is no verdict).
    assert tools.run([exe], timeout_s=10, check=False).returncode == 139


def test_a_missing_tool_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(tools.ToolError, match=r"not found \('/nonexistent/thing'\); install thing-utils") as err:
        tools.run(["/nonexistent/thing"], timeout_s=5, hint="install thing-utils")
    assert err.value.tool == "thing" and err.value.returncode is None
    with pytest.raises(tools.ToolError, match="not found"):
        tools.find("sohoa-no-such-program-on-path")
    assert tools.find("sh").endswith("/sh")
    not_executable = tmp_path / "plain.txt"
    not_executable.write_text("x")
    with pytest.raises(tools.ToolError, match="cannot be started"):
        tools.run([not_executable], timeout_s=5)


def test_a_hanging_tool_and_its_children_are_killed_at_the_time_limit(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    # The shell starts a child that holds stdout open: killing the shell alone would leave the
    # child running and the pipe open.
    exe = _script(tmp_path, "hanger", f"echo working >&2\nsleep 30 &\necho $! > {pid_file}\nwait")
    started = time.monotonic()
    with pytest.raises(tools.ToolError, match=r"timed out after 0.5 s; stderr: working") as err:
        tools.run([exe], timeout_s=0.5)
    assert time.monotonic() - started < 5
    assert err.value.returncode is None
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def test_a_tool_printing_too_much_is_stopped(tmp_path: Path) -> None:
    with pytest.raises(tools.ToolError, match="printed more than 100000 bytes"):
        tools.run(["yes"], timeout_s=10, max_output=100_000)


def test_version_checks(tmp_path: Path) -> None:
    old = _script(tmp_path, "oldtool", 'echo "oldtool version 3.05.01" >&2')  # poppler prints it on stderr
    assert tools.version(str(old), args=("-v",)) == (3, 5, 1)
    assert tools.require_version(str(old), (3, 5)) == (3, 5, 1)
    with pytest.raises(tools.ToolError, match=r"version 3.5.1 is older than the 4.0 sohoa needs"):
        tools.require_version(str(old), (4, 0))
    silent = _script(tmp_path, "silent", "exit 0")
    with pytest.raises(tools.ToolError, match="no version"):
        tools.version(str(silent))
    assert tools.version("tesseract") >= (4, 0)  # the real one: LSTM models need 4 or newer


def test_tool_error_pickles_with_its_exit_code() -> None:
    error = tools.ToolError("weed", "did not start", 2, exit_code=ExitCode.SERVICE_UNAVAILABLE)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.tool, copy.reason, copy.returncode, copy.exit_code) == ("weed", "did not start", 2,
                                                                        ExitCode.SERVICE_UNAVAILABLE)
    assert str(copy) == "weed: did not start"
