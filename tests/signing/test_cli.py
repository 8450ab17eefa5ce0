from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from core.exitcodes import ExitCode
from signing.pki import TestPki

from .conftest import CONVERTER, make_scan

pytestmark = pytest.mark.integration
SOHOA = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "sohoa")


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SOHOA, *map(str, args)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def cli_signed(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("cli")
    scan = d / "scan.tiff"
    frames = [make_scan(), make_scan(seed=2)]
    frames[0].save(scan, save_all=True, append_images=frames[1:], dpi=(100, 100))
    out = d / "out" / "signed.pdf"
    r = _run("sign", scan, "--out", out, "--pkcs12", pki.agency_p12, "--password-env", "SOHOA_TEST_PW",
             "--converter", CONVERTER, "--result-code", "H56-200512-0001-KQ1", "--lookup-url", "https://x/KQ1",
             env={"SOHOA_TEST_PW": pki.password.decode()})
    assert r.returncode == ExitCode.OK, r.stderr
    assert "Số trang / pages: 2" in r.stdout
    return out


def test_sign_then_verify_valid(cli_signed: Path, pki: TestPki) -> None:
    r = _run("verify", cli_signed, "--trust", pki.root_cert_pem)
    assert r.returncode == ExitCode.OK, r.stdout + r.stderr
    assert "VALID" in r.stdout and CONVERTER in r.stdout and "Bản điện tử được chuyển đổi từ văn bản giấy" in r.stdout
    r = _run("verify", cli_signed, "--trust", pki.root_cert_pem, "--format", "json")
    data = json.loads(r.stdout)
    assert data["status"] == "valid" and {c["checker"] for c in data["checks"]} == {"pyhanko", "pdfsig"}
    assert "Mã kết quả: H56-200512-0001-KQ1" in data["marker_lines"]


def test_verify_tampered_and_untrusted(cli_signed: Path, other_pki: TestPki, tmp_path: Path) -> None:
    data = bytearray(cli_signed.read_bytes())
    data[data.index(b"\xff\xd8\xff") + 1500] ^= 0xFF
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(data))
    r = _run("verify", bad)
    assert r.returncode == ExitCode.INVALID_SIGNATURE and "INVALID" in r.stdout
    r = _run("verify", cli_signed, "--trust", other_pki.root_cert_pem)
    assert r.returncode == ExitCode.INVALID_SIGNATURE and "UNTRUSTED" in r.stdout
    assert _run("verify", tmp_path / "missing.pdf").returncode == ExitCode.BAD_INPUT


def test_sign_pdf_input_is_rasterised(cli_signed: Path, pki: TestPki, tmp_path: Path) -> None:
    out = tmp_path / "again.pdf"
    r = _run("sign", cli_signed, "--out", out, "--pkcs12", pki.agency_p12, "--password-env", "PW",
             "--converter", CONVERTER, env={"PW": pki.password.decode()})
    assert r.returncode == ExitCode.OK, r.stderr
    assert _run("verify", out, "--trust", pki.root_cert_pem).returncode == ExitCode.OK


def test_sign_refusals(pki: TestPki, tmp_path: Path) -> None:
    scan = tmp_path / "scan.png"
    make_scan((300, 400)).save(scan)
    base = ["sign", scan, "--out", tmp_path / "o.pdf", "--password-env", "PW"]
    env = {"PW": pki.password.decode()}
    assert pki.expired_p12 is not None
    r = _run(*base, "--pkcs12", pki.expired_p12, "--converter", CONVERTER, env=env)
    assert r.returncode == ExitCode.KEY_ERROR and "expired" in r.stderr and "agency-expired.p12" in r.stderr
    r = _run(*base, "--pkcs12", pki.agency_p12, "--converter", "Ủy ban nhân dân xã Vạn Thắng", env=env)
    assert r.returncode == ExitCode.KEY_ERROR and "converter" in r.stderr
    r = _run("sign", scan, "--out", tmp_path / "o.pdf", "--password-env", "SOHOA_UNSET_VAR_X",
             "--pkcs12", pki.agency_p12, "--converter", CONVERTER)
    assert r.returncode == ExitCode.KEY_ERROR and "SOHOA_UNSET_VAR_X" in r.stderr
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    r = _run("sign", junk, *base[2:], "--pkcs12", pki.agency_p12, "--converter", CONVERTER, env=env)
    assert r.returncode == ExitCode.BAD_INPUT and "junk.jpg" in r.stderr
    assert not (tmp_path / "o.pdf").exists()


def test_pki_init(tmp_path: Path) -> None:
    r = _run("pki", "init", tmp_path / "demo-pki", "--converter", CONVERTER)
    assert r.returncode == ExitCode.OK, r.stderr
    assert (tmp_path / "demo-pki" / "agency.p12").exists() and "root.pem" in r.stdout


def test_verify_reports_level_pdfa_marker_fields_and_modification(cli_signed: Path, pki: TestPki) -> None:
    r = _run("verify", cli_signed, "--trust", pki.root_cert_pem)
    assert r.returncode == ExitCode.OK
    out = r.stdout
    assert "Mức chữ ký / level: PAdES-B-B" in out and "timestamp: - (không có / none)" in out
    assert "PDF/A-3b (kiểm tra cấu trúc / structural checks): đạt / ok" in out
    assert "Mức sửa đổi sau ký / modification level: NONE" in out
    data = json.loads(_run("verify", cli_signed, "--trust", pki.root_cert_pem, "--format", "json").stdout)
    assert data["marker_fields"]["converter"] == CONVERTER
    assert data["marker_fields"]["result_code"] == "H56-200512-0001-KQ1"
    assert data["level"] == "PAdES-B-B" and data["pdfa_problems"] == []


def test_sign_rejects_unreadable_fields_json(pki: TestPki, tmp_path: Path) -> None:
    scan = tmp_path / "scan.png"
    make_scan((300, 400)).save(scan)
    bad = tmp_path / "fields.json"
    bad.write_text("{not json")
    r = _run("sign", scan, "--out", tmp_path / "o.pdf", "--pkcs12", pki.agency_p12, "--password-env", "PW",
             "--converter", CONVERTER, "--fields-json", bad, env={"PW": pki.password.decode()})
    assert r.returncode == ExitCode.BAD_INPUT and "fields.json" in r.stderr
    assert not (tmp_path / "o.pdf").exists()


def test_sign_of_a_pdf_whose_rasteriser_hangs_or_is_missing(cli_signed: Path, pki: TestPki, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`sohoa sign` rasterises a PDF through the poppler seam OCR uses: its failures end the same way."""
    from ocr._exec import poppler
    from sohoa.cli import main

    hanging = tmp_path / "pdftoppm"
    hanging.write_text("#!/bin/sh\nsleep 30\n")
    hanging.chmod(0o755)
    monkeypatch.setenv("PW", pki.password.decode())
    args = ["sign", str(cli_signed), "--out", str(tmp_path / "o.pdf"), "--pkcs12", str(pki.agency_p12),
            "--password-env", "PW", "--converter", CONVERTER]
    monkeypatch.setattr(poppler, "PDFTOPPM_CMD", str(hanging))
    monkeypatch.setattr(poppler, "RENDER_TIMEOUT_S", 0.5)
    assert main(args) == ExitCode.EXTERNAL_TOOL_FAILED
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "signed.pdf" in err[0] and "pdftoppm: timed out after 0.5 s" in err[0], err
    monkeypatch.setattr(poppler, "PDFTOPPM_CMD", "/nonexistent/pdftoppm")
    assert main(args) == ExitCode.EXTERNAL_TOOL_FAILED
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not found ('/nonexistent/pdftoppm'); install poppler-utils" in err[0], err
    assert not (tmp_path / "o.pdf").exists()
