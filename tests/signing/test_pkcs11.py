"""Signing through a PKCS#11 token (SoftHSM2 in a temporary directory): the private key never
leaves the token; the PIN comes from the environment (SOHOA_PKCS11_PIN)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.exitcodes import ExitCode
from signing import ConversionMarker, KeySource, SignatureStatus, SigningKeyError, sign_result, verify_pdf
from signing.pki import SOFTHSM_MODULE, TestPki, import_into_softhsm, make_test_pki, softhsm_config

from .conftest import CONVERTER, SCAN_DPI, make_scan

# softhsm2 is installed by `make test` (scripts/install-system.sh): its absence is a failure, not a skip.
pytestmark = [pytest.mark.integration]
SOHOA = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "sohoa")
TOKEN, KEY_LABEL, PIN, SO_PIN = "sohoa-test-token", "agency", "246810", "13579"


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestPki, Path]]:
    base = tmp_path_factory.mktemp("softhsm")
    conf = softhsm_config(base / "tokens")
    old = os.environ.get("SOFTHSM2_CONF")
    # Before the module is first loaded in this process: SoftHSM reads it at C_Initialize.
    os.environ["SOFTHSM2_CONF"] = str(conf)
    pki = make_test_pki(base / "pki", converter=CONVERTER)
    import_into_softhsm(pki, token_label=TOKEN, key_label=KEY_LABEL, pin=PIN, so_pin=SO_PIN)
    yield pki, conf
    if old is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = old


@pytest.fixture(scope="module")
def token_key(token: tuple[TestPki, Path]) -> Iterator[KeySource]:
    with KeySource.from_pkcs11(SOFTHSM_MODULE, TOKEN, KEY_LABEL, PIN) as key:
        yield key


def test_sign_through_pkcs11_verifies_with_pyhanko_and_pdfsig(token: tuple[TestPki, Path], token_key: KeySource,
                                                              marker: ConversionMarker, tmp_path: Path) -> None:
    pki = token[0]
    assert token_key.kind == "pkcs11" and token_key.signer_name == CONVERTER
    assert token_key.where == f"pkcs11:token={TOKEN};object={KEY_LABEL}"
    token_key.check_fit_for(CONVERTER)
    assert any(c.self_signed for c in token_key.chain)  # the root was read back from the token
    result = sign_result([make_scan()], marker, token_key, dpi=SCAN_DPI, attachments={"fields.json": b"{}"})
    path = tmp_path / "token.pdf"
    path.write_bytes(result.pdf)
    report = verify_pdf(path, [pki.root_cert_pem])
    assert report.status is SignatureStatus.VALID, report
    assert {c.checker: c.status for c in report.checks} == {"pyhanko": SignatureStatus.VALID,
                                                           "pdfsig": SignatureStatus.VALID}
    assert report.signer == CONVERTER


def test_unknown_token_refused(token: tuple[TestPki, Path]) -> None:
    with pytest.raises(SigningKeyError, match="token not found"):
        KeySource.from_pkcs11(SOFTHSM_MODULE, "no-such-token", KEY_LABEL, PIN)
    with pytest.raises(SigningKeyError, match="module not found"):
        KeySource.from_pkcs11("/nonexistent/libpkcs11.so", TOKEN, KEY_LABEL, PIN)


def _cli(token: tuple[TestPki, Path], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    scan = tmp_path / "scan.png"
    make_scan((400, 560)).save(scan, dpi=(100, 100))
    full = {**os.environ, "SOFTHSM2_CONF": str(token[1]), "SOHOA_PKCS11_MODULE": str(SOFTHSM_MODULE),
            "SOHOA_PKCS11_TOKEN_LABEL": TOKEN, "SOHOA_PKCS11_KEY_LABEL": KEY_LABEL, "SOHOA_PKCS11_PIN": PIN,
            "SOHOA_CONVERTER_NAME": CONVERTER, **env}
    return subprocess.run([SOHOA, "sign", str(scan), "--out", str(tmp_path / "o.pdf")], capture_output=True,
                          text=True, env=full, timeout=60)


def test_cli_signs_with_token_from_settings(token: tuple[TestPki, Path], tmp_path: Path) -> None:
    r = _cli(token, tmp_path)
    assert r.returncode == ExitCode.OK, r.stderr
    assert PIN not in r.stdout + r.stderr  # the PIN is never printed
    r = subprocess.run([SOHOA, "verify", str(tmp_path / "o.pdf"), "--trust", str(token[0].root_cert_pem)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == ExitCode.OK, r.stdout


def test_cli_wrong_pin_and_missing_key(token: tuple[TestPki, Path], tmp_path: Path) -> None:
    r = _cli(token, tmp_path, SOHOA_PKCS11_PIN="000000")
    assert r.returncode == ExitCode.KEY_ERROR and "wrong token PIN" in r.stderr and "000000" not in r.stderr
    r = _cli(token, tmp_path, SOHOA_PKCS11_KEY_LABEL="someone-else")
    assert r.returncode == ExitCode.KEY_ERROR and "not found on token" in r.stderr
    assert "pkcs11:token=sohoa-test-token;object=someone-else" in r.stderr
    assert not (tmp_path / "o.pdf").exists()
