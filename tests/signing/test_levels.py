"""PAdES levels against real HTTP services on 127.0.0.1 (TSA, OCSP, CRL served by the test PKI):
B-T with a time-stamp token, B-LT with embedded revocation data, revoked certificates refused at
signing and reported REVOKED at verification by both pyHanko and pdfsig (Art. 14.3.c)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pikepdf
import pytest

from core.exitcodes import ExitCode
from signing import (
    ConversionMarker,
    KeySource,
    KeyUnfitError,
    RevocationStatus,
    SignatureLevel,
    SignatureStatus,
    SigningOptions,
    sign_result,
    verify_pdf,
)
from signing.pki_server import TestPkiServer

from .conftest import CONVERTER, SCAN_DPI, OnlinePki, make_scan

pytestmark = pytest.mark.integration
SOHOA = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "sohoa")


def _by_checker(report) -> dict[str, SignatureStatus]:  # type: ignore[no-untyped-def]
    return {c.checker: c.status for c in report.checks}


@pytest.fixture(scope="module")
def agency_key(online_pki: OnlinePki) -> KeySource:
    return KeySource.from_pkcs12(online_pki.pki.agency_p12, online_pki.pki.password)


@pytest.fixture(scope="module")
def revoked_key(online_pki: OnlinePki) -> KeySource:
    assert online_pki.pki.revoked_p12 is not None
    return KeySource.from_pkcs12(online_pki.pki.revoked_p12, online_pki.pki.password)


def test_b_b_without_tsa_has_no_timestamp(online_pki: OnlinePki, services_up: TestPkiServer,
                                          agency_key: KeySource, marker: ConversionMarker, tmp_path: Path) -> None:
    result = sign_result([make_scan()], marker, agency_key, dpi=SCAN_DPI)
    assert result.level is SignatureLevel.B_B
    assert result.revocation is RevocationStatus.GOOD  # checked before signing, though not embedded
    path = tmp_path / "bb.pdf"
    path.write_bytes(result.pdf)
    report = verify_pdf(path, [online_pki.pki.root_cert_pem])
    assert report.status is SignatureStatus.VALID, report
    assert report.level == "PAdES-B-B" and report.timestamp_time is None


def test_b_t_uses_the_http_tsa(online_pki: OnlinePki, services_up: TestPkiServer, agency_key: KeySource,
                               marker: ConversionMarker, tmp_path: Path) -> None:
    before = services_up.hits["tsa"]
    result = sign_result([make_scan()], marker, agency_key, dpi=SCAN_DPI,
                         options=SigningOptions(tsa_url=online_pki.pki.tsa_url, revocation=False))
    assert services_up.hits["tsa"] == before + 1  # one real HTTP round trip to the TSA
    assert result.level is SignatureLevel.B_T
    path = tmp_path / "bt.pdf"
    path.write_bytes(result.pdf)
    report = verify_pdf(path, [online_pki.pki.root_cert_pem])
    assert report.status is SignatureStatus.VALID, report
    assert _by_checker(report) == {"pyhanko": SignatureStatus.VALID, "pdfsig": SignatureStatus.VALID}
    assert report.level == "PAdES-B-T" and report.timestamp_ok is True
    assert report.timestamp_authority == "sohoa test TSA"
    assert report.timestamp_time is not None
    assert abs((report.timestamp_time - result.signed_at).total_seconds()) < 60


def test_b_lt_embeds_revocation_and_verifies_offline(online_pki: OnlinePki, services_up: TestPkiServer,
                                                     agency_key: KeySource, marker: ConversionMarker,
                                                     tmp_path: Path) -> None:
    result = sign_result([make_scan()], marker, agency_key, dpi=SCAN_DPI,
                         options=SigningOptions(tsa_url=online_pki.pki.tsa_url))
    assert (result.level, result.revocation) == (SignatureLevel.B_LT, RevocationStatus.GOOD)
    path = tmp_path / "blt.pdf"
    path.write_bytes(result.pdf)
    with pikepdf.open(path) as pdf:
        dss = pdf.Root.DSS
        assert len(dss.OCSPs) >= 1 and len(dss.Certs) >= 2  # the agency's OCSP answer and the chain
    # The CA's services are gone: the embedded answers alone must satisfy a validator that *requires*
    # revocation data and may not fetch any (hard-fail, no fetching).
    services_up.set_down(True)
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    root = load_cert_from_pemder(str(online_pki.pki.root_cert_pem))
    with path.open("rb") as fh:
        reader = PdfFileReader(fh)
        strict = {"trust_roots": [root], "allow_fetching": False, "revocation_mode": "hard-fail"}
        status = validate_pdf_signature(reader.embedded_regular_signatures[0],
                                        DocumentSecurityStore.read_dss(reader).as_validation_context(strict))
        assert status.bottom_line and not status.revoked
        from pyhanko_certvalidator import ValidationContext
        without_dss = validate_pdf_signature(reader.embedded_regular_signatures[0],
                                             ValidationContext(**strict, ocsps=[], crls=[]))
        assert not without_dss.bottom_line  # so the DSS is what made the difference
    report = verify_pdf(path, [online_pki.pki.root_cert_pem], fetch_revocation=False)
    assert next(c for c in report.checks if c.checker == "pyhanko").status is SignatureStatus.VALID, report
    assert report.level == "PAdES-B-LT" and report.revocation_embedded
    services_up.set_down(False)
    report = verify_pdf(path, [online_pki.pki.root_cert_pem])
    assert report.status is SignatureStatus.VALID and report.notes == [], report


def test_revoked_certificate_refused_when_revocation_can_be_checked(
        services_up: TestPkiServer, revoked_key: KeySource, marker: ConversionMarker) -> None:
    with pytest.raises(KeyUnfitError, match="revoked") as err:
        sign_result([make_scan()], marker, revoked_key, dpi=SCAN_DPI)
    assert err.value.where is not None and err.value.where.endswith("agency-revoked.p12")


def test_revoked_signature_reported_revoked_by_both(online_pki: OnlinePki, services_up: TestPkiServer,
                                                   revoked_key: KeySource, marker: ConversionMarker,
                                                   tmp_path: Path) -> None:
    # Responder unreachable at signing time: revocation unknown, signed anyway (B-B), with a note.
    services_up.set_down(True)
    result = sign_result([make_scan()], marker, revoked_key, dpi=SCAN_DPI)
    assert result.revocation is RevocationStatus.UNKNOWN and result.level is SignatureLevel.B_B
    assert any("revocation status not checked" in n for n in result.notes)
    services_up.set_down(False)
    path = tmp_path / "revoked.pdf"
    path.write_bytes(result.pdf)
    report = verify_pdf(path, [online_pki.pki.root_cert_pem])
    assert report.status is SignatureStatus.REVOKED
    assert _by_checker(report) == {"pyhanko": SignatureStatus.REVOKED, "pdfsig": SignatureStatus.REVOKED}
    r = subprocess.run([SOHOA, "verify", str(path), "--trust", str(online_pki.pki.root_cert_pem)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == ExitCode.INVALID_SIGNATURE and "REVOKED" in r.stdout


def test_cli_sign_b_t_and_unreachable_tsa(online_pki: OnlinePki, services_up: TestPkiServer,
                                          tmp_path: Path) -> None:
    scan = tmp_path / "scan.png"
    make_scan((400, 560)).save(scan, dpi=(100, 100))
    env = {**os.environ, "PW": online_pki.pki.password.decode(), "SOHOA_TSA_URL": online_pki.pki.tsa_url or ""}
    base = [SOHOA, "sign", str(scan), "--pkcs12", str(online_pki.pki.agency_p12), "--password-env", "PW",
            "--converter", CONVERTER, "--result-code", "H56-200512-0007-KQ1"]
    r = subprocess.run([*base, "--out", str(tmp_path / "t.pdf")], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == ExitCode.OK, r.stderr
    assert "PAdES-B-LT" in r.stdout  # SOHOA_TSA_URL from the environment; revocation fetched
    r = subprocess.run([SOHOA, "verify", str(tmp_path / "t.pdf"), "--trust", str(online_pki.pki.root_cert_pem)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == ExitCode.OK, r.stdout
    assert "Dấu thời gian / timestamp:" in r.stdout and "sohoa test TSA" in r.stdout
    assert "Mã kết quả: H56-200512-0007-KQ1" in r.stdout
    # A TSA that does not answer: no half-made signature, a service error naming the URL.
    env["SOHOA_TSA_URL"] = "http://127.0.0.1:9/tsa"
    r = subprocess.run([*base, "--out", str(tmp_path / "u.pdf")], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == ExitCode.SERVICE_UNAVAILABLE, r.stderr
    assert "127.0.0.1:9/tsa" in r.stderr and not (tmp_path / "u.pdf").exists()


def test_crl_served_lists_the_revoked_certificate_and_suffices_alone(online_pki: OnlinePki,
                                                                    services_up: TestPkiServer,
                                                                    revoked_key: KeySource,
                                                                    marker: ConversionMarker,
                                                                    tmp_path: Path) -> None:
    """The CRL path on its own (no OCSP): fetched over HTTP from the URL in the certificate."""
    import urllib.request

    from cryptography import x509
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    (url,) = [p["distribution_point"].native[0] for p in revoked_key.certificate.crl_distribution_points]
    der = urllib.request.urlopen(url, timeout=10).read()
    crl = x509.load_der_x509_crl(der)
    root = x509.load_pem_x509_certificate(online_pki.pki.root_cert_pem.read_bytes())
    assert crl.is_signature_valid(root.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(revoked_key.certificate.serial_number) is not None
    services_up.set_down(True)  # no OCSP either: only the CRL we hold
    result = sign_result([make_scan()], marker, revoked_key, dpi=SCAN_DPI)
    path = tmp_path / "r.pdf"
    path.write_bytes(result.pdf)
    with path.open("rb") as fh:
        sig = PdfFileReader(fh).embedded_regular_signatures[0]
        vc = ValidationContext(trust_roots=[load_cert_from_pemder(str(online_pki.pki.root_cert_pem))], crls=[der],
                               ocsps=[], allow_fetching=False, revocation_mode="hard-fail")
        status = validate_pdf_signature(sig, vc)
    assert status.revoked and not status.bottom_line
