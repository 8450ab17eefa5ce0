"""Browser test: a manager logs in through the form and reads both roadmap pages in Chromium."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from roadmap.plans import import_agencies, import_plan
from testing.browser import ARTIFACTS, launch_chromium, serve_app
from web import auth

from .conftest import EXAMPLES, add_results


@pytest.fixture
def server(roadmap_db):  # type: ignore[no-untyped-def]
    auth.create_user("lanh.dao", "mat-khau-du-dai", "manager", full_name="Nguyễn Thị Lãnh Đạo",
                     db_url=roadmap_db.db_url)
    import_agencies(EXAMPLES / "agencies_khanh_hoa.csv", "Khánh Hòa")
    import_plan(EXAMPLES / "plan_khanh_hoa.csv", "Khánh Hòa")
    # 14,200 done by the end of 2024 (the year-end target is 14,100), 15,600 by 30/06/2025: behind the
    # straight line to 17,800 (≈15,935 by then) without having missed a year-end target: "lagging".
    for year, n in ((2022, 3000), (2023, 3500), (2024, 3200), (2025, 1400)):
        add_results("Khánh Hòa", "000.00.15.H34", "quyet_dinh", n, converted_at=datetime(year, 5, 2, tzinfo=UTC),
                    delivered=year < 2025)
    add_results("Khánh Hòa", "VD.H34.HUYEN.VANNINH", "giay_chung_nhan_ho_kinh_doanh", 2400,
                converted_at=datetime(2024, 3, 2, tzinfo=UTC))
    add_results("Khánh Hòa", "VD.H34.XA.VANTHANG", "xac_nhan_tinh_trang_hon_nhan", 500,
                converted_at=datetime(2024, 4, 2, tzinfo=UTC))
    add_results("Ninh Thuận", "VD.H34.HUYEN.NINHHAI", "giay_chung_nhan_ho_kinh_doanh", 1600,
                converted_at=datetime(2024, 9, 2, tzinfo=UTC))
    with serve_app(roadmap_db) as base:
        yield base


def test_manager_reads_overview_and_province_page(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/roadmap?as_of=2025-06-30")
        assert "/login" in page.url
        page.fill("input[name=username]", "lanh.dao")
        page.fill("input[name=password]", "mat-khau-du-dai")
        page.click("button[type=submit]")
        page.wait_for_url("**/roadmap?as_of=2025-06-30")
        assert page.locator("table#provinces tbody tr").count() == 34
        page.screenshot(path=str(ARTIFACTS / "roadmap_overview.png"), full_page=False)
        page.select_option("select[name=status]", "lagging")
        page.click("form.filters button[type=submit]")
        rows = page.locator("table#provinces tbody tr")
        assert rows.count() == 1 and "Khánh Hòa" in rows.first.inner_text()
        page.click("text=Khánh Hòa")
        page.wait_for_url("**/roadmap/tinh/56**")
        assert page.locator("h1").inner_text().startswith("Khánh Hòa")
        chart = page.locator("svg.chart")
        assert chart.is_visible() and chart.bounding_box()["width"] > 400
        assert "Dự kiến hoàn thành" in page.inner_text(".facts")
        page.screenshot(path=str(ARTIFACTS / "roadmap_province.png"), full_page=True)
        page.click("text=bộ máy trước 01/07/2025")
        assert "UBND huyện Ninh Hải" in page.inner_text("main")
        assert errors == []  # no console error of any kind (a blocked script or style is one)
        browser.close()
