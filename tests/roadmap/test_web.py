"""Roadmap pages through web.create_app with a real login (argon2 user, session cookie, CSRF)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from roadmap.plans import import_agencies, import_plan
from web import auth
from web.app import create_app

from .conftest import EXAMPLES, add_results


def login(client: TestClient, username: str = "lanh.dao", password: str = "mat-khau-du-dai") -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                           "next": "/roadmap"}, follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.fixture
def client(roadmap_db):  # type: ignore[no-untyped-def]
    auth.create_user("lanh.dao", "mat-khau-du-dai", "manager", full_name="Lãnh đạo Sở", db_url=roadmap_db.db_url)
    import_agencies(EXAMPLES / "agencies_khanh_hoa.csv", "Khánh Hòa")
    import_plan(EXAMPLES / "plan_khanh_hoa.csv", "Khánh Hòa")
    add_results("Khánh Hòa", "000.00.15.H34", "quyet_dinh", 40, converted_at=datetime(2025, 5, 2, tzinfo=UTC),
                delivered=True)
    add_results("Ninh Thuận", "VD.H34.HUYEN.NINHHAI", "giay_chung_nhan_ho_kinh_doanh", 9,
                converted_at=datetime(2024, 9, 2, tzinfo=UTC))
    with TestClient(create_app(roadmap_db)) as c:
        yield c


def test_roadmap_pages_need_a_login(client: TestClient) -> None:
    for path in ("/roadmap", "/roadmap/tinh/56", "/roadmap/tinh/56/bao-cao.xlsx?period=2025-H1"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and "/login" in response.headers["location"]


def test_national_overview_sorts_filters_and_switches_map(client: TestClient) -> None:
    login(client)
    page = client.get("/roadmap?as_of=2025-06-30").text
    assert page.count('<tr data-status=') == 34
    assert "Khánh Hòa" in page and "Chưa có kế hoạch" in page
    first = re.search(r'<tr data-status="(\w+)">\s*<td>(\d+)</td>', page)
    assert first.groups() == ("overdue", "56")  # sorted by gap, worst first: Khánh Hòa missed its 2024 target
    only = client.get("/roadmap?as_of=2025-06-30&status=overdue").text
    assert only.count('<tr data-status=') == 1
    by_name = client.get("/roadmap?as_of=2025-06-30&sort=name&order=asc").text
    assert re.search(r'<tr data-status="\w+">\s*<td>(\d+)</td>', by_name).group(1) == "91"  # An Giang
    old = client.get("/roadmap?as_of=2025-06-30&map=old").text
    assert old.count('<tr data-status=') == 63
    assert re.search(r"Ninh Thuận</a> <span class=\"muted\">→ Khánh Hòa</span>", old)
    assert client.get("/roadmap?q=kh%C3%A1nh").text.count('<tr data-status=') == 1
    # accents off, case off, either tone placement: the same one province
    for q in ("khanh hoa", "KHANH", "Kh%C3%A1nh%20Ho%C3%A0"):
        page = client.get(f"/roadmap?q={q}").text
        assert page.count('<tr data-status=') == 1 and "Khánh Hòa" in page, q


def test_province_page_chart_agencies_forecast_and_report(client: TestClient) -> None:
    login(client)
    page = client.get("/roadmap/tinh/56?as_of=2025-06-30").text
    assert "<svg" in page and "Kế hoạch lũy kế" in page and 'style="' not in page.split("<svg", 1)[1]
    assert "UBND huyện Vạn Ninh" not in page.split('id="behind"', 1)[1].split("</table>")[0]  # rolled up
    assert "UBND xã Vạn Ninh" in page
    assert re.search(r'id="forecast">\d\d/\d\d/\d{4}<', page)
    old = client.get("/roadmap/tinh/56?as_of=2025-06-30&map=old").text
    assert "UBND huyện Vạn Ninh" in old and "Theo tỉnh trước 01/07/2025" in old
    assert client.get("/roadmap/tinh/99").status_code == 404
    xlsx = client.get("/roadmap/tinh/56/bao-cao.xlsx?period=2025-H1")
    assert xlsx.status_code == 200
    wb = load_workbook(BytesIO(xlsx.content))
    assert wb.sheetnames[0] == "Tổng hợp"
    values = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(values_only=True) if r and len(r) > 1}
    assert values["Đã số hóa (đã ký số và lưu trữ)"].startswith("49 ")


def test_overview_reads_the_refreshed_snapshot_until_the_next_refresh(client: TestClient) -> None:
    from roadmap.progress import refresh_snapshot

    login(client)
    live = client.get("/roadmap?q=kh%C3%A1nh").text
    assert "Số liệu tổng hợp lúc" not in live and "49 (" in live
    outcome = refresh_snapshot()
    assert outcome["rows"] >= 2
    add_results("Khánh Hòa", "000.00.15.H34", "quyet_dinh", 5, converted_at=datetime(2025, 6, 2, tzinfo=UTC))
    page = client.get("/roadmap?q=kh%C3%A1nh").text
    assert 'id="refreshed"' in page and "49 (" in page  # the snapshot does not see the 5 new ones yet
    refresh_snapshot()
    assert "54 (" in client.get("/roadmap?q=kh%C3%A1nh").text
    assert "54 (" in client.get("/roadmap?q=kh%C3%A1nh&as_of=2026-01-01").text  # a past day: counted live
