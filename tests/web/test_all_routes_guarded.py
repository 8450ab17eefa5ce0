"""Issue 4, "done when": /login answers in Vietnamese; every other page redirects anonymous users to it.
The pages are enumerated from the app itself (app.routes), so a page added later is covered too."""

from __future__ import annotations

import re
from urllib.parse import unquote

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from web import create_app
from web.lookup_pages import PUBLIC_PATHS

from .conftest import GOOD_HKD

# A value for each path parameter the app's pages take (the ids exist: seeded below).
SAMPLE_PARAMS = {"number": "1", "path": "index.html", "code": "56", "fmt": "csv"}


def test_login_answers_in_vietnamese(app_client) -> None:  # type: ignore[no-untyped-def]
    r = app_client().get("/login")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="vi"' in r.text
    for text in ("Đăng nhập", "Tên đăng nhập", "Mật khẩu"):
        assert text in r.text


def test_every_get_route_redirects_anonymous_users_to_login(sohoa_env, app_client, seed) -> None:  # type: ignore[no-untyped-def]
    batch_id, (doc_id,) = seed([{"fields": GOOD_HKD}])
    params = SAMPLE_PARAMS | {"document_id": str(doc_id), "batch_id": str(batch_id)}
    app = create_app(sohoa_env)
    client = app_client()
    checked: list[str] = []
    public: list[str] = []
    for route in app.routes:
        if isinstance(route, Mount):
            assert route.path == "/static", f"unexpected mount {route.path}: is it guarded?"
            continue  # style sheets and scripts of the login page itself
        assert isinstance(route, APIRoute), route
        if "GET" not in route.methods or route.path == "/login":
            continue
        if route.path.startswith(PUBLIC_PATHS):
            public.append(route.path)
            continue  # the look-up page: public by design (tested below)
        names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
        missing = [n for n in names if n not in params]
        assert not missing, f"no sample value for {missing} in {route.path}: add one to SAMPLE_PARAMS"
        path = re.sub(r"{(\w+)(?::\w+)?}", lambda m: params[m.group(1)], route.path)
        r = client.get(path, follow_redirects=False)
        location = r.headers.get("location", "")
        if route.path == "/":  # the root sends an anonymous user to the login page (a user to their home page)
            assert r.status_code in (302, 303, 307) and location == "/login", (path, r.status_code, location)
            checked.append(route.path)
            continue
        assert r.status_code == 303, (path, r.status_code)
        assert location.startswith("/login?next="), (path, location)
        assert unquote(location.split("next=", 1)[1]) == path  # back to the page after logging in
        checked.append(route.path)
    # the review desk and the roadmap pages are among them (the enumeration did not come up empty)
    assert {"/", "/review", "/review/documents/{document_id}", "/review/batches/{batch_id}", "/roadmap"} <= set(checked)
    print(f"\n{len(checked)} GET routes checked: {sorted(checked)}")


def test_every_post_route_refuses_anonymous_users(sohoa_env, app_client, seed) -> None:  # type: ignore[no-untyped-def]
    _, (doc_id,) = seed([{"fields": GOOD_HKD}])
    app = create_app(sohoa_env)
    client = app_client()
    checked = 0
    for route in app.routes:
        if not isinstance(route, APIRoute) or "POST" not in route.methods or route.path in ("/login", "/logout"):
            continue
        if route.path.startswith(PUBLIC_PATHS):
            continue  # the look-up page's file check changes nothing (tested below)
        checked += 1
        path = route.path.replace("{document_id}", str(doc_id))
        r = client.post(path, data={"action": "approve"}, follow_redirects=False)
        # no session: sent to /login (or refused by CSRF first); never a 2xx
        assert r.status_code in (303, 403), (path, r.status_code)
        if r.status_code == 303:
            assert r.headers["location"].startswith("/login"), path
    assert checked, "no POST route besides /login and /logout: the enumeration found nothing"


def test_only_the_lookup_page_is_public_and_it_shows_nothing_without_a_code(sohoa_env, app_client) -> None:  # type: ignore[no-untyped-def]
    app = create_app(sohoa_env)
    public = sorted(r.path for r in app.routes if isinstance(r, APIRoute) and r.path.startswith(PUBLIC_PATHS))
    assert public == ["/tra-cuu", "/tra-cuu/{code}", "/tra-cuu/{code}/kiem-tra", "/tra-cuu/{code}/tai-ve"]
    client = app_client()
    assert client.get("/tra-cuu", follow_redirects=False).status_code == 200
    r = client.get("/tra-cuu/000.00.15.H34-200512-0001-KQ1", follow_redirects=False)
    assert r.status_code == 404 and "Không tìm thấy" in r.text
    assert client.get("/tra-cuu/000.00.15.H34-200512-0001-KQ1/tai-ve", follow_redirects=False).status_code == 404
    r = client.post("/tra-cuu/000.00.15.H34-200512-0001-KQ1/kiem-tra", files={"file": ("a.pdf", b"%PDF")})
    assert r.status_code == 404  # nothing to compare with; nothing written either


def test_the_lookup_page_is_rate_limited(sohoa_env, app_client) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(sohoa_env.model_copy(update={"lookup_rate_per_minute": 3})))
    codes = [client.get(f"/tra-cuu/000.00.15.H34-200512-000{i}-KQ1").status_code for i in range(5)]
    assert codes == [404, 404, 404, 429, 429]
