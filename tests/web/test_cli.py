"""`sohoa users add` and `sohoa serve` (a real uvicorn process on 127.0.0.1)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
from sqlalchemy import select

from sohoa.cli import main
from storage.db import session_scope
from storage.review_models import User
from web.auth import authenticate


def test_users_add_creates_a_steward_with_a_province(sohoa_env, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SOHOA_USER_PASSWORD", "mat-khau-tu-bien-moi-truong")
    assert main(["users", "add", "lan", "--role", "steward", "--province", "Khánh Hòa"]) == 0
    with session_scope(sohoa_env.db_url) as s:
        user = s.scalar(select(User).where(User.username == "lan"))
        assert user.role == "steward" and user.province_names == ["Khánh Hòa"]
        assert user.password_hash.startswith("$argon2id$")
    assert authenticate("lan", "mat-khau-tu-bien-moi-truong", sohoa_env.db_url) is not None
    assert authenticate("lan", "sai", sohoa_env.db_url) is None
    assert main(["users", "add", "x", "--role", "steward", "--province", "Gotham"]) == 2
    assert "Gotham" in capsys.readouterr().err  # errors go to stderr, through the one handler
    assert main(["users", "add", "y", "--role", "steward"]) == 2  # a steward needs a province


def test_users_add_takes_any_spelling_of_a_province(sohoa_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SOHOA_USER_PASSWORD", "mat-khau-tu-bien-moi-truong")
    assert main(["users", "add", "lan", "--role", "steward", "--province", "Khánh Hoà"]) == 0
    assert main(["users", "add", "an", "--role", "steward", "--province", "hoà bình"]) == 0
    with session_scope(sohoa_env.db_url) as s:
        names = {u.username: u.province_names for u in s.scalars(select(User))}
    assert names == {"lan": ["Khánh Hòa"], "an": ["Hòa Bình"]}


def test_serve_runs_the_review_desk(sohoa_env) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sohoa.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60  # a cold start on a loaded machine took 25-30 s
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/review", follow_redirects=False, timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() >= deadline:
                    # Stopped first: reading the output of a server still running waits for ever.
                    proc.terminate()
                    out, _ = proc.communicate(timeout=10)
                    raise AssertionError(f"`sohoa serve` did not answer: {out.decode()[-3000:]}") from None
                time.sleep(0.2)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/review"
        login = httpx.get(f"http://127.0.0.1:{port}/login")
        assert login.status_code == 200 and "Đăng nhập" in login.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
