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
    first = re.search(r'<tr data-status="(\w+)">\s*<td[^>]*>(\d+)</td>', page)
    assert first.groups() == ("overdue", "56")  # sorted by gap, worst first: Khánh Hòa missed its 2024 target
    only = client.get("/roadmap?as_of=2025-06-30&status=overdue").text
    assert only.count('<tr data-status=') == 1
    by_name = client.get("/roadmap?as_of=2025-06-30&sort=name&order=asc").text
    assert re.search(r'<tr data-status="\w+">\s*<td[^>]*>(\d+)</td>', by_name).group(1) == "91"  # An Giang
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
    assert values["Đã số hóa (đã ký số và lưu trữ)"] == 49


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


def test_manager_lands_on_the_roadmap_with_national_figures(client: TestClient) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    r = client.post("/login", data={"username": "lanh.dao", "password": "mat-khau-du-dai", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/roadmap"
    assert client.get("/", follow_redirects=False).headers["location"] == "/roadmap"
    page = client.get("/roadmap?as_of=2025-06-30").text
    headline = page.split('id="headline"', 1)[1].split("</div>\n</div>", 1)[0]
    # Khánh Hòa's plan: 17.800 paper results; 49 digitised (40 + 9 from Ninh Thuận, now Khánh Hòa)
    assert "17.800" in headline and "17.751" in headline and "0,3\u00a0%" in headline
    counts = page.split('id="status-counts"', 1)[1].split("</p>", 1)[0]
    assert "Chưa có kế hoạch (33)" in counts and "Quá hạn (1)" in counts
    chart = page.split('id="province-chart"', 1)[1].split("</svg>", 1)[0]
    assert chart.count("<g data-province=") == 34 and "chưa có kế hoạch" in chart
    row = re.search(r'<tr data-status="overdue">.*?</tr>', page, re.S).group(0)
    remaining = re.search(r'<td class="num remaining"[^>]*>([^<]+)</td>', row).group(1)
    assert remaining == "17.751"  # what is left, not the 17.800 inventory


def test_report_links_include_the_deadline_period(client: TestClient) -> None:
    login(client)
    page = client.get("/roadmap/tinh/56?as_of=2026-03-01").text
    assert "bao-cao.xlsx?period=2025-H2" in page and "bao-cao.pdf?period=2025-H2" in page
    options = re.findall(r'<option value="(\d{4}-H[12])"', page.split('id="report-form"', 1)[1])
    assert options[:3] == ["2026-H1", "2025-H2", "2025-H1"] and options[-1] == "2021-H1"
    assert client.get("/roadmap/tinh/56/bao-cao.pdf?period=2025-H2").status_code == 200


def test_plan_import_from_the_browser(client: TestClient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    login(client)
    page = client.get("/roadmap/tinh/56").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    bad = (EXAMPLES / "plan_khanh_hoa.csv").read_text(encoding="utf-8").splitlines()
    bad[2] = bad[2].replace("000.00.15.H34", "KHONG.CO")  # row 3: an agency the province never registered
    r = client.post("/roadmap/tinh/56/ke-hoach", data={"csrf_token": token},
                    files={"file": ("ke-hoach.csv", "\n".join(bad).encode(), "text/csv")})
    assert r.status_code == 422
    errors = r.text.split('id="plan-errors"', 1)[1].split("</ul>", 1)[0]
    assert "dòng 3: cơ quan «KHONG.CO» không có trong danh mục cơ quan của Khánh Hòa" in errors
    good = (EXAMPLES / "plan_khanh_hoa.csv").read_bytes()
    r = client.post("/roadmap/tinh/56/ke-hoach", data={"csrf_token": token},
                    files={"file": ("ke-hoach.csv", good, "text/csv")})
    assert r.status_code == 200 and "Đã nhập kế hoạch của Khánh Hòa" in r.text and "phiên bản 2" in r.text
    # without the CSRF token: refused
    r = client.post("/roadmap/tinh/56/ke-hoach", files={"file": ("ke-hoach.csv", good, "text/csv")})
    assert r.status_code == 403


def test_only_managers_import_plans(client: TestClient) -> None:
    auth.create_user("op", "mat-khau-du-dai", "operator", db_url=client.app.state.settings.db_url)
    login(client, "op")
    page = client.get("/roadmap/tinh/56").text
    assert 'action="/roadmap/tinh/56/ke-hoach"' not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/roadmap/tinh/56/ke-hoach", data={"csrf_token": token},
                    files={"file": ("k.csv", (EXAMPLES / "plan_khanh_hoa.csv").read_bytes(), "text/csv")})
    assert r.status_code == 403
