"""The Airflow 3 plugin exposes the review desk as a FastAPI app that Airflow's API server mounts
at /sohoa; the mounted app still demands its own login (Airflow does not guard plugin apps)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from .conftest import csrf_of

REPO = Path(__file__).resolve().parents[2]


def test_plugin_is_loaded_by_airflow_and_mounted_behind_its_own_login(sohoa_env, users, tmp_path,
                                                                      monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AIRFLOW_HOME", os.environ.get("AIRFLOW_HOME") or str(tmp_path / "airflow"))
    monkeypatch.setenv("AIRFLOW__CORE__PLUGINS_FOLDER", str(REPO / "plugins"))
    monkeypatch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow import plugins_manager, settings
    from airflow.api_fastapi.app import init_plugins

    # airflow.settings may have been imported by an earlier test with another plugins folder
    monkeypatch.setattr(settings, "PLUGINS_FOLDER", str(REPO / "plugins"))
    plugins_manager._get_plugins.cache_clear()
    plugins_manager.get_fastapi_plugins.cache_clear()
    apps, _ = plugins_manager.get_fastapi_plugins()
    (entry,) = [a for a in apps if a.get("name") == "sohoa"]
    assert entry["url_prefix"] == "/sohoa" and isinstance(entry["app"], FastAPI)

    airflow_like = FastAPI()
    init_plugins(airflow_like)  # what Airflow's API server does with every plugin app
    client = TestClient(airflow_like)
    r = client.get("/sohoa/review", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sohoa/login?next=/review"
    login_page = client.get("/sohoa/login")
    assert 'action="/sohoa/login"' in login_page.text and "/sohoa/static/sohoa.css" in login_page.text
    r = client.post("/sohoa/login", data={"username": "lan", "password": "mat-khau-rat-dai-1",
                                          "csrf_token": csrf_of(login_page.text), "next": "/review"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sohoa/review"
    page = client.get("/sohoa/review")
    assert page.status_code == 200 and 'href="/sohoa/review/next"' in page.text
    assert client.get("/sohoa/static/sohoa.js").status_code == 200
    plugins_manager._get_plugins.cache_clear()
    plugins_manager.get_fastapi_plugins.cache_clear()

