"""One sign-in for Airflow and the desk: a real `airflow api-server` (Simple auth manager, its own JWT)
with the sohoa plugin mounted at /sohoa. A user signed in to Airflow who has a sohoa account of the
same name opens the desk without a second login; one without an account is told why the desk asks
again; a forged token is "not signed in" (no 500)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from sohoa import services
from storage._exec.weed import free_port, port_open

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SOHOA_PASSWORD = "mat-khau-rat-dai-1"


def test_a_user_signed_in_to_airflow_opens_the_desk_without_a_second_login(airflow_db: str, tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "passwords.json").write_text(json.dumps({"lan": "airflow-pw-lan", "ghost": "airflow-pw-ghost"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")} | {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_db,
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "lan:admin,ghost:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(tmp_path / "passwords.json"),
        "AIRFLOW__API_AUTH__JWT_SECRET": "a-test-secret-of-this-test-only-0123456789",
        "SOHOA_HOME": str(tmp_path / "var"),
        "SOHOA_USER_PASSWORD": SOHOA_PASSWORD,
    }
    sohoa = str(Path(services.airflow_bin()).parent / "sohoa")
    subprocess.run([sohoa, "users", "add", "lan", "--role", "steward", "--province", "Khánh Hòa"],
                   env=env, check=True, capture_output=True, timeout=120)
    log = (tmp_path / "api-server.log").open("w")
    server = subprocess.Popen([services.airflow_bin(), "api-server", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", "1"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # slow under load on the 2-core CI machine
        while not port_open("127.0.0.1", port):
            assert server.poll() is None, (tmp_path / "api-server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "airflow api-server did not open its port"
            time.sleep(1)

        def airflow_token(user: str) -> str:
            r = httpx.post(f"{base}/auth/token", json={"username": user, "password": f"airflow-pw-{user}"},
                           timeout=60)
            assert r.status_code in (200, 201), r.text
            return str(r.json()["access_token"])

        with httpx.Client(base_url=base, timeout=60, cookies={"_token": airflow_token("lan")}) as lan:
            page = lan.get("/sohoa/review")
            assert page.status_code == 200, page.text[:500]
            assert "Hàng đợi rà soát" in page.text and "Đăng nhập</h1>" not in page.text
            assert lan.cookies.get("sohoa_session")  # a desk session of its own, with its CSRF token
            assert lan.get("/sohoa/review").status_code == 200  # the session goes on; no second audit entry

        with httpx.Client(base_url=base, timeout=60, cookies={"_token": airflow_token("ghost")}) as ghost:
            page = ghost.get("/sohoa/review", follow_redirects=True)
            assert page.status_code == 200 and "Đăng nhập</h1>" in page.text
            assert "tài khoản «ghost»" in page.text and "chưa được cấp quyền" in page.text
            assert not ghost.cookies.get("sohoa_session")

        with httpx.Client(base_url=base, timeout=60, cookies={"_token": "forged.token.value"}) as forged:
            page = forged.get("/sohoa/review", follow_redirects=True)
            assert page.status_code == 200 and "Đăng nhập</h1>" in page.text
            assert "chưa được cấp quyền" not in page.text

        with httpx.Client(base_url=base, timeout=60) as nobody:
            r = nobody.get("/sohoa/review")
            assert r.status_code == 303 and r.headers["location"].endswith("/login?next=/review")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    assert "Traceback" not in (tmp_path / "api-server.log").read_text()
    with sqlite3.connect(tmp_path / "var" / "sohoa.db") as db:
        entries = db.execute("SELECT actor, detail FROM audit_log WHERE action = 'login_via_host'").fetchall()
    assert [(actor, json.loads(detail)) for actor, detail in entries] == [("lan", {"host": "Airflow"})]
