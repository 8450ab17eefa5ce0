"""A logged-in TestClient over web.create_app, and the seeding helper of tests/review."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.settings import Settings
from web import create_app
from web.auth import create_user

PASSWORD = "mat-khau-rat-dai-1"


def _load_review_conftest() -> Any:
    name = "sohoa_tests_review_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / "review" / "conftest.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


seeding = _load_review_conftest()
GOOD_HKD = seeding.GOOD_HKD


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": "/review"}, follow_redirects=False)


@pytest.fixture
def app_client(sohoa_env: Settings) -> Callable[..., TestClient]:
    """A fresh client (own cookie jar); with a username, already logged in."""

    def make(username: str | None = None) -> TestClient:
        client = TestClient(create_app(sohoa_env))
        if username:
            assert login(client, username).status_code == 303
        return client

    return make


@pytest.fixture
def users(sohoa_env: Settings) -> None:
    create_user("lan", PASSWORD, "steward", provinces=["Khánh Hòa"], full_name="Nguyễn Thị Lan", db_url=sohoa_env.db_url)
    create_user("hung", PASSWORD, "steward", provinces=["Hà Nội"], db_url=sohoa_env.db_url)
    create_user("op", PASSWORD, "operator", db_url=sohoa_env.db_url)
    create_user("boss", PASSWORD, "manager", db_url=sohoa_env.db_url)


@pytest.fixture
def seed(sohoa_env: Settings) -> Callable[..., tuple[int, list[int]]]:
    def make(records: list[dict[str, Any]], **kw: Any) -> tuple[int, list[int]]:
        return seeding.seed_batch(sohoa_env, records, **kw)

    return make
