"""Paper print of an electronic result (Decree 45 Art. 18.2; the form annexed in seeds/001)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from core.exitcodes import ExitCode
from signing.pki import TestPki

from .conftest import CONVERTER, make_scan

pytestmark = pytest.mark.integration
SOHOA = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "sohoa")
CODE = "000.00.15.H34-200512-0003-KQ1"
FIELDS = {"result_code": CODE, "document_type": "quyet_dinh",
          "fields": {"document_number": "1234/QĐ-UBND", "issuing_authority": "Ủy ban nhân dân huyện Vạn Ninh",
                     "signer_name": "Nguyễn Thị Hồng Nhung", "issue_date": "2020-05-12"}}


def _run(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SOHOA, *map(str, args)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def _text(path: Path, *pages: int) -> str:
    extra = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *extra, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def signed_two_pages(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("print")
    scan = d / "scan.tiff"
    make_scan().save(scan, save_all=True, append_images=[make_scan(seed=4)], dpi=(100, 100))
    fields = d / "fields.json"
    fields.write_text(json.dumps(FIELDS, ensure_ascii=False), encoding="utf-8")
    out = d / "signed.pdf"
    r = _run("sign", scan, "--out", out, "--pkcs12", pki.agency_p12, "--password-env", "PW", "--converter",
             CONVERTER, "--result-code", CODE, "--fields-json", fields, env={"PW": pki.password.decode()})
    assert r.returncode == ExitCode.OK, r.stderr
    return out


def test_print_copy_has_the_form_then_every_page(signed_two_pages: Path, pki: TestPki, tmp_path: Path) -> None:
    out = tmp_path / "print.pdf"
    r = _run("print-copy", signed_two_pages, "-o", out, "--trust", pki.root_cert_pem,
             "--system-name", "Hệ thống thông tin một cửa điện tử tỉnh Khánh Hòa",
             "--address", "01 Trần Phú, Nha Trang", "--lookup-url", "https://dichvucong.khanhhoa.gov.vn/tra-cuu")
    assert r.returncode == ExitCode.OK, r.stderr
    cover = " ".join(_text(out, 1).split())
    for expected in (
        "KẾT QUẢ",
        "Giải quyết hồ sơ thủ tục hành chính được chuyển đổi từ văn bản điện tử",
        "I. THÔNG TIN VĂN BẢN ĐIỆN TỬ ĐƯỢC CHUYỂN ĐỔI",
        "1. Ký hiệu văn bản: 1234/QĐ-UBND",
        "2. Cơ quan thẩm quyền ký văn bản: Ủy ban nhân dân huyện Vạn Ninh",
        "3. Họ và tên người ký ban hành: Nguyễn Thị Hồng Nhung",
        "4. Ngày ký văn bản: ngày 12 tháng 05 năm 2020",
        f"5. Mã số hồ sơ thủ tục hành chính: {CODE}",
        "II. NỘI DUNG VĂN BẢN ĐIỆN TỬ ĐƯỢC CHUYỂN ĐỔI",
        "2 trang kèm theo",
        f"Mã tra cứu: {CODE}",
        f"Văn bản điện tử đã được ký số bởi: {CONVERTER}",
        "Được cung cấp bởi Hệ thống thông tin một cửa điện tử tỉnh Khánh Hòa./.",
        "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
        "Địa chỉ: 01 Trần Phú, Nha Trang",
    ):
        assert expected in cover, (expected, cover)
    pages = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           3" in pages
    # Art. 18.2.a: the content follows in full, marker included.
    assert "Bản điện tử được chuyển đổi từ văn bản giấy" in _text(out, 2)
    assert "Bản điện tử được chuyển đổi từ văn bản giấy" in _text(out, 3)


def test_print_copy_qr_holds_code_and_lookup_url(signed_two_pages: Path, pki: TestPki, tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2")
    import numpy as np

    out = tmp_path / "print.pdf"
    assert _run("print-copy", signed_two_pages, "-o", out, "--lookup-url", "https://tra.cuu/kq").returncode == 0
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-f", "1", "-l", "1", "-singlefile", str(out),
                    str(tmp_path / "c")], check=True)
    text, *_ = cv2.QRCodeDetector().detectAndDecode(np.array(Image.open(tmp_path / "c.pgm")))
    assert json.loads(text) == {"result_code": CODE, "lookup_url": f"https://tra.cuu/kq/{CODE}"}


def test_print_copy_refuses_a_tampered_result(signed_two_pages: Path, tmp_path: Path) -> None:
    data = bytearray(signed_two_pages.read_bytes())
    data[data.index(b"\xff\xd8\xff") + 1200] ^= 0x01
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(data))
    r = _run("print-copy", bad, "-o", tmp_path / "p.pdf")
    assert r.returncode == ExitCode.INVALID_SIGNATURE and "bad.pdf" in r.stderr
    assert not (tmp_path / "p.pdf").exists()
