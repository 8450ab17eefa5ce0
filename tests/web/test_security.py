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
