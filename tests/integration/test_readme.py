"""The README's steps run as written: every shell block, on a fresh SOHOA home, with no traceback.

`make demo` and `make test` are the exceptions, for a reason each: `make test` would run this suite
inside itself, and `make demo` is `sohoa demo` after the install steps, which test_demo.py runs on
a small batch. Both are checked to be targets of the Makefile that expand to what the README says.
The commands of the README's command table are each asked for `--help`, which parses every
sub-command the table names.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from storage._exec.weed import free_port, port_open

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"


def shell_blocks(markdown: str) -> list[list[str]]:
    """The command lines of each ```sh block, comments stripped, in order."""
    blocks = re.findall(r"^```sh\n(.*?)^```", markdown, re.S | re.M)
    return [[line.split("  #")[0].strip() for line in block.splitlines()
             if line.strip() and not line.strip().startswith("#")] for block in blocks]


def table_commands(markdown: str) -> list[list[str]]:
    """`sohoa X Y …` from the first column of the command table, as argvs; `a\\|b` gives both."""
    section = markdown.split("## The `sohoa` command", 1)[1].split("\n## ", 1)[0]
    argvs: list[list[str]] = []
    first_cells = re.findall(r"^\| (`sohoa .*?) \| ", section, re.M)
    for cell in (c for first in first_cells for c in re.findall(r"`sohoa ([^`]+)`", first)):
        stems: list[list[str]] = [[]]
        for word in cell.split():
            if word.startswith(("-", "[", "…")) or word.isupper() or "." in word:
                break
            stems = [stem + [alt] for stem in stems for alt in word.split("\\|")]
        argvs += stems
    return argvs


def test_the_readme_has_the_blocks_this_test_knows() -> None:
    # If the README gains a block, this test must learn to run it (not skip it silently).
    blocks = shell_blocks(README.read_text(encoding="utf-8"))
    assert [len(b) for b in blocks] == [2, 3], blocks
    assert blocks[0] == ["make demo", "make test"]


@pytest.mark.parametrize("target", ["demo", "test"])
def test_make_targets_of_the_readme_exist(target: str) -> None:
    out = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    expected = {"demo": "sohoa demo", "test": "pytest"}[target]
    assert expected in out.stdout


def test_every_command_of_the_table_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    # In-process: the same parser the `sohoa` script builds, without 25 interpreter start-ups.
    from sohoa.cli import main

    argvs = table_commands(README.read_text(encoding="utf-8"))
    assert len(argvs) >= 20, argvs
    for argv in argvs:
        with pytest.raises(SystemExit) as stop:
            main([*argv, "--help"])
        out = capsys.readouterr()
        assert stop.value.code == 0, (argv, out.err)
        assert "usage:" in out.out, argv
        # The sub-command's own help (or its parent's, when the action is a positional choice).
        assert f"sohoa {argv[0]}" in out.out and argv[-1] in out.out, (argv, out.out[:200])


def test_the_review_block_runs_as_written(tmp_path: Path) -> None:
    """`services start`, `users add … --province "Khánh Hòa"`, `serve`: then /review answers."""
    block = shell_blocks(README.read_text(encoding="utf-8"))[1]
    web_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")} | {
        "SOHOA_HOME": str(tmp_path / "var"),
        "SOHOA_S3_ENDPOINT": f"127.0.0.1:{free_port()}",
        "SOHOA_CITIZEN_WAREHOUSE_URL": "",
        "SOHOA_USER_PASSWORD": "một mật khẩu đủ dài 2026",  # `users add` asks for it otherwise
    }
    serve = None
    try:
        for line in block:
            # The README's port 8080 may be taken on a test machine; the command is otherwise as written.
            argv = [a.replace("8080", str(web_port)) for a in shlex.split(line)]
            assert argv[0] == ".venv/bin/sohoa", line
            argv[0] = str(Path(sys.executable).parent / "sohoa")
            if argv[1] == "serve":
                serve = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True)
                deadline = time.monotonic() + 180  # a loaded 2-core CI machine starts it in seconds to a minute
                while not port_open("127.0.0.1", web_port):
                    assert serve.poll() is None, serve.stdout.read() if serve.stdout else ""
                    assert time.monotonic() < deadline, "sohoa serve did not open its port in 180 s"
                    time.sleep(0.3)
                r = httpx.get(f"http://127.0.0.1:{web_port}/review", follow_redirects=True, timeout=30)
                assert r.status_code == 200
                assert "Đăng nhập" in r.text  # the login page of the Vietnamese desk
                continue
            out = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
            assert out.returncode == 0, (line, out.stdout, out.stderr)
            assert "Traceback" not in out.stdout + out.stderr, line
    finally:
        if serve is not None:
            serve.terminate()
            serve_out, _ = serve.communicate(timeout=30)
            assert "Traceback" not in serve_out
        subprocess.run([str(Path(sys.executable).parent / "sohoa"), "services", "stop"], cwd=tmp_path,
                       env=env, capture_output=True, timeout=60)
