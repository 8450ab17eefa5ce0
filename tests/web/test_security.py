"""Attacks through the web app (issue 17): a hostile province in the DB, login guessing, a steward
reaching for other provinces' roadmap pages and reports. Real app, real DB, real login."""

from __future__ import annotations

from .conftest import GOOD_HKD

HOSTILE = 'Gotham<script>alert("x")</script>'


# ---------------------------------------------------------------- finding 3
def test_issue17_3_a_province_outside_the_catalogue_does_not_break_the_roadmap(
        sohoa_env, app_client, users, seed) -> None:  # type: ignore[no-untyped-def]
    # a batch stored before intake checked the catalogue (or written into the DB by hand)
    seed([{"fields": GOOD_HKD}], province=HOSTILE, key="hostile")
    seed([{"fields": GOOD_HKD}], key="good")
    boss = app_client("boss")
    for url in ("/roadmap?map=old", "/roadmap?map=new", "/roadmap"):
        page = boss.get(url)
        assert page.status_code == 200, url
        assert "<script>alert" not in page.text, url


# ---------------------------------------------------------------- finding 5
def _client(app, address: str):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    return TestClient(app, client=(address, 50000))


def _try(client, username: str, password: str):  # type: ignore[no-untyped-def]
    from .conftest import login

    return login(client, username, password)


def test_issue17_5_guessing_one_account_locks_it_with_growing_delays(sohoa_env, users) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from storage.db import session_scope
    from storage.models import AuditEntry
    from web import create_app

    from .conftest import PASSWORD

    app = create_app(sohoa_env)
    now = [1000.0]
    throttle = app.state.login_throttle
    throttle.clock = lambda: now[0]
    guesser = _client(app, "10.0.0.66")
    for _ in range(throttle.account_free):
        assert _try(guesser, "lan", "doan-sai-mat-khau").status_code == 401
    # locked: even the right password is refused, from any address, without a password check
    for client in (guesser, _client(app, "10.0.0.7")):
        refused = _try(client, "lan", PASSWORD)
        assert refused.status_code == 429 and "thử lại sau 30 giây" in refused.text
        assert refused.headers["Retry-After"] == "30"
    assert _try(_client(app, "10.0.0.7"), "hung", PASSWORD).status_code == 303  # other accounts are not locked
    # each failure after the lock doubles it: 30 s, 60 s, 120 s …
    locks = []
    for _ in range(3):
        now[0] += (locks[-1] if locks else 30) + 1  # wait the lock out, then guess again
        assert _try(guesser, "lan", "doan-sai-mat-khau").status_code == 401
        locks.append(int(_try(guesser, "lan", PASSWORD).headers["Retry-After"]))
    assert locks == [60, 120, 240]
    now[0] += locks[-1] + 1
    assert _try(guesser, "lan", PASSWORD).status_code == 303  # the lock ended; success clears the count
    assert throttle.failures("lan") == 0
    with session_scope(sohoa_env.db_url) as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "login_locked")))
    assert len(entries) == 4 and entries[0].entity_id == "lan" and entries[0].detail["client"] == "10.0.0.66"
    assert [e.detail["seconds"] for e in entries] == [30, 60, 120, 240]


def test_issue17_5_one_address_guessing_many_accounts_is_locked(sohoa_env, users) -> None:  # type: ignore[no-untyped-def]
    from web import create_app

    from .conftest import PASSWORD

    app = create_app(sohoa_env)
    throttle = app.state.login_throttle
    sprayer = _client(app, "10.0.0.99")
    for i in range(throttle.address_free):
        assert _try(sprayer, f"user{i}", "doan-sai-mat-khau").status_code == 401
    refused = _try(sprayer, "boss", PASSWORD)  # a real account and its password: still refused from there
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert _try(_client(app, "10.0.0.100"), "boss", PASSWORD).status_code == 303


def test_issue17_5_parallel_bad_logins_hash_one_at_a_time(sohoa_env, users, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading
    import time

    from web import auth, create_app

    from .conftest import PASSWORD

    running, peak, lock = [0], [0], threading.Lock()
    real = auth.verify_password

    def counted(password_hash: str, password: str) -> bool:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            return real(password_hash, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(auth, "verify_password", counted)
    app = create_app(sohoa_env)
    reader = _client(app, "10.0.1.1")
    assert _try(reader, "boss", PASSWORD).status_code == 303

    def review_seconds() -> float:
        started = time.perf_counter()
        assert reader.get("/review").status_code == 200
        return time.perf_counter() - started

    quiet = min(review_seconds() for _ in range(3))
    codes: list[int] = []
    timings: list[float] = []

    def attacker(i: int) -> None:
        client = _client(app, f"10.0.2.{i}")  # eight addresses, so no lockout gets in the way
        for _ in range(3):
            codes.append(_try(client, "lan", f"sai-{i}").status_code)

    threads = [threading.Thread(target=attacker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        timings.append(review_seconds())
    for t in threads:
        t.join()
    assert peak[0] == 1  # never two argon2 verifications at once, however many logins arrive
    assert codes and set(codes) <= {401, 429}
    print(f"\n/review: {quiet:.3f} s quiet, worst {max(timings or [0]):.3f} s during 8 parallel bad logins")


# ---------------------------------------------------------------- finding 6
def test_issue17_6_a_steward_sees_only_their_provinces_roadmap(sohoa_env, app_client, users) -> None:  # type: ignore[no-untyped-def]
    from core import units

    hanoi, khanh_hoa = units.province_2025("Hà Nội").code, units.province_2025("Khánh Hòa").code
    lan = app_client("lan")  # steward of Khánh Hòa
    overview = lan.get("/roadmap")
    assert overview.status_code == 200
    assert overview.text.count("<tr data-status=") == 1 and "Khánh Hòa" in overview.text
    assert "Hà Nội" not in overview.text
    old_map = lan.get("/roadmap?map=old")  # the old provinces merged into Khánh Hòa, and only those
    assert old_map.text.count("<tr data-status=") == 2 and "Ninh Thuận" in old_map.text
    assert "Hà Nội" not in old_map.text
    assert lan.get(f"/roadmap/tinh/{khanh_hoa}").status_code == 200
    assert lan.get(f"/roadmap/tinh/{khanh_hoa}/bao-cao.xlsx?period=2025-H1").status_code == 200
    for path in (f"/roadmap/tinh/{hanoi}", f"/roadmap/tinh/{hanoi}?map=old", f"/roadmap/tinh/{hanoi}/bao-cao.xlsx?period=2025-H1",
                 f"/roadmap/tinh/{hanoi}/bao-cao.pdf?period=2025-H1"):
        refused = lan.get(path)
        assert refused.status_code == 404, path  # as for a code that does not exist
        assert "Hà Nội" not in refused.text
    assert lan.get("/roadmap/tinh/Hà Nội").status_code == 404  # by name, too
    assert lan.get("/roadmap/tinh/99").status_code == 404
    # managers and operators see every province
    for who in ("boss", "op"):
        client = app_client(who)
        assert client.get("/roadmap").text.count("<tr data-status=") == len(units.new_provinces())
        assert client.get(f"/roadmap/tinh/{hanoi}").status_code == 200
        assert client.get(f"/roadmap/tinh/{hanoi}/bao-cao.xlsx?period=2025-H1").status_code == 200


def test_issue17_5_logins_beyond_the_queue_are_told_to_retry_at_once() -> None:
    import threading
    import time

    import pytest

    from web.throttle import LoginBusy, LoginThrottle

    throttle = LoginThrottle(hash_queue=1, hash_wait_s=3.0)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with throttle.hashing_slot():
            holding.set()
            release.wait(5)

    def wait_in_queue() -> None:
        with pytest.raises(LoginBusy), throttle.hashing_slot():
            pass

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5)
    queued = threading.Thread(target=wait_in_queue)  # waits its 3 s in the one queue place
    queued.start()
    time.sleep(0.1)
    started = time.perf_counter()
    with pytest.raises(LoginBusy), throttle.hashing_slot():  # the queue is full: refused without waiting
        pass
    assert time.perf_counter() - started < 1.5  # not the 3 s a queued login may wait
    queued.join()
    release.set()
    holder.join()
    with throttle.hashing_slot():  # free again
        pass


# ---------------------------------------------------------------- finding 9
def test_issue17_9_a_new_password_ends_the_users_sessions(sohoa_env, app_client, users, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sohoa.cli import main
    from web.auth import create_user

    from .conftest import PASSWORD, login

    lan, hung, boss = app_client("lan"), app_client("hung"), app_client("boss")
    assert lan.get("/review", follow_redirects=False).status_code == 200
    monkeypatch.setenv("SOHOA_USER_PASSWORD", "mat-khau-moi-2026")
    assert main(["users", "passwd", "lan"]) == 0
    r = lan.get("/review", follow_redirects=False)
    assert r.status_code == 303 and "/login" in r.headers["location"]  # the stolen cookie is worth nothing now
    assert login(app_client(), "lan", PASSWORD).status_code == 401
    assert login(app_client(), "lan", "mat-khau-moi-2026").status_code == 303
    # `users add` with a new password (the older way to change one) ends sessions too; the same password does not
    create_user("boss", PASSWORD, "manager", db_url=sohoa_env.db_url)
    assert boss.get("/review", follow_redirects=False).status_code == 200
    create_user("hung", "mat-khau-khac-2026", "steward", provinces=["Hà Nội"], db_url=sohoa_env.db_url)
    assert hung.get("/review", follow_redirects=False).status_code == 303


def test_issue17_9_disable_and_remove_a_user_from_the_command_line(sohoa_env, app_client, users, capsys) -> None:  # type: ignore[no-untyped-def]
    from sohoa.cli import main

    from .conftest import login

    boss, op = app_client("boss"), app_client("op")
    assert main(["users", "disable", "boss"]) == 0
    assert boss.get("/review", follow_redirects=False).status_code == 303
    assert login(app_client(), "boss").status_code == 401
    assert main(["users", "remove", "op"]) == 0
    assert op.get("/review", follow_redirects=False).status_code == 303
    assert login(app_client(), "op").status_code == 401
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    listed = capsys.readouterr().out
    assert "boss\tmanager\t\tkhóa" in listed and "op\t" not in listed
    assert main(["users", "remove", "khong-co-ai"]) == 2 and "khong-co-ai" in capsys.readouterr().err
    assert main(["users", "disable", "khong-co-ai"]) == 2


def test_issue17_9_another_provinces_record_answers_like_a_missing_one(sohoa_env, app_client, users, seed) -> None:  # type: ignore[no-untyped-def]
    from .conftest import csrf_of

    hn_batch, (hn,) = seed([{"fields": GOOD_HKD}], province="Hà Nội", key="hn")
    _, (kh,) = seed([{"fields": GOOD_HKD}], province="Khánh Hòa", key="kh")
    lan = app_client("lan")
    missing = 10_000_000 + hn
    for path, absent in ((f"/review/documents/{hn}", f"/review/documents/{missing}"),
                         (f"/review/documents/{hn}/pages/1.png", f"/review/documents/{missing}/pages/1.png"),
                         (f"/review/batches/{hn_batch}", f"/review/batches/{missing}")):
        theirs, nothing = lan.get(path), lan.get(absent)
        assert theirs.status_code == nothing.status_code == 404, path
        assert "Hà Nội" not in theirs.text and "tỉnh" not in theirs.text.split("<main", 1)[-1], path
        own = hn_batch if "batches" in path else hn
        assert theirs.text.replace(f"#{own}", "#N") == nothing.text.replace(f"#{missing}", "#N"), path
    token = csrf_of(lan.get(f"/review/documents/{kh}").text)
    r = lan.post(f"/review/documents/{hn}", data={"csrf_token": token, "action": "reject", "reason": "x"})
    assert r.status_code == 404 and "Hà Nội" not in r.text


def test_issue17_9_error_banners_show_only_known_codes(sohoa_env, app_client, users, seed) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import quote

    from .conftest import csrf_of

    _, (kh,) = seed([{"fields": GOOD_HKD | {"holder_name": ("Tr4n", 0.3)}}], province="Khánh Hòa", key="kh")
    lan = app_client("lan")
    bait = "Phiên đăng nhập hết hạn. Hãy gọi 0900 000 000 và đọc mật khẩu"
    for path in (f"/review/documents/{kh}?error={quote(bait)}", f"/login?error={quote(bait)}"):
        page = lan.get(path) if path.startswith("/review") else app_client().get(path)
        assert page.status_code == 200 and "0900" not in page.text and 'role="alert"' not in page.text, path
    # a refused action redirects with a code, and the page shows that code's own text
    page = lan.get(f"/review/documents/{kh}").text
    r = lan.post(f"/review/documents/{kh}", data={"action": "reject", "csrf_token": csrf_of(page)},
                 follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("error=reject_reason")
    assert "Phải ghi lý do từ chối." in lan.get(r.headers["location"]).text
