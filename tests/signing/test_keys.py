from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from signing import KeySource, KeyUnfitError, SigningKeyError
from signing.pki import TestPki, make_test_pki

from .conftest import CONVERTER

NOW = dt.datetime.now(dt.UTC)  # at collection: the session PKI (valid from a day earlier) must not depend on test order


def test_fit_key_accepted_for_its_exact_name_in_any_unicode_form(key: KeySource) -> None:
    assert key.signer_name == CONVERTER
    key.check_fit_for(CONVERTER, NOW)
    key.check_fit_for(unicodedata.normalize("NFD", CONVERTER), NOW)
    key.check_fit_for(f"  {CONVERTER.replace(' ', '  ')} ", NOW)  # spacing is not a name


@pytest.mark.parametrize("name", ["a", "Khánh Hòa", "Trung tâm Phục vụ hành chính công", "TRUNG TÂM PHỤC VỤ "
                                  "HÀNH CHÍNH CÔNG TỈNH KHÁNH HÒA", "Trung tâm Phục vụ hành chính công tỉnh Khánh Hoà"])
def test_part_of_the_name_or_another_spelling_is_refused(key: KeySource, name: str) -> None:
    # Issue 14: any substring used to pass, even "a". The full name equals the subject's O or CN.
    with pytest.raises(KeyUnfitError, match="does not equal the certificate subject"):
        key.check_fit_for(name, NOW)


def test_expired_certificate_refused(pki: TestPki) -> None:
    assert pki.expired_p12 is not None
    expired = KeySource.from_pkcs12(pki.expired_p12, pki.password)
    with pytest.raises(KeyUnfitError, match="expired"):
        expired.check_fit_for(CONVERTER, NOW)


def test_not_yet_valid_refused(key: KeySource) -> None:
    with pytest.raises(KeyUnfitError, match="not valid before"):
        key.check_fit_for(CONVERTER, NOW - dt.timedelta(days=30))


def test_converter_name_mismatch_refused(key: KeySource) -> None:
    with pytest.raises(KeyUnfitError, match="does not equal the certificate subject") as err:
        key.check_fit_for("Ủy ban nhân dân xã Vạn Thắng", NOW)
    assert err.value.path is not None and err.value.path.name == "agency.p12"


def test_missing_non_repudiation_refused(tmp_path: Path) -> None:
    k = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CONVERTER)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
            .serial_number(1).not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=1))
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .sign(k, hashes.SHA256()))
    p12 = tmp_path / "no-nr.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"x", k, cert, None, serialization.NoEncryption()))
    with pytest.raises(KeyUnfitError, match="non_repudiation"):
        KeySource.from_pkcs12(p12, None).check_fit_for(CONVERTER, NOW)


def test_wrong_password_and_missing_file(pki: TestPki, tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError, match="wrong password"):
        KeySource.from_pkcs12(pki.agency_p12, b"not-the-password")
    with pytest.raises(SigningKeyError, match="not found"):
        KeySource.from_pkcs12(tmp_path / "nope.p12", None)


def test_make_test_pki_is_idempotent(pki: TestPki) -> None:
    before = {p: p.read_bytes() for p in (pki.root_cert_pem, pki.agency_p12, pki.agency_cert_pem)}
    again = make_test_pki(pki.root_cert_pem.parent, converter=CONVERTER, expired=True)
    assert again == pki
    assert {p: p.read_bytes() for p in before} == before


def _p12_with(tmp_path: Path, name: str, *, key_usage: x509.KeyUsage | None,
              not_before: dt.datetime, not_after: dt.datetime) -> Path:
    k = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, CONVERTER),
                         x509.NameAttribute(NameOID.COMMON_NAME, CONVERTER)])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(k.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after))
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    p12 = tmp_path / name
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"x", k, builder.sign(k, hashes.SHA256()), None,
                                                          serialization.NoEncryption()))
    return p12


_BOTH = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
_NR_ONLY = x509.KeyUsage(False, True, False, False, False, False, False, False, False)


def test_certificate_issued_for_the_future_refused(tmp_path: Path) -> None:
    p12 = _p12_with(tmp_path, "future.p12", key_usage=_BOTH, not_before=NOW + dt.timedelta(days=3),
                    not_after=NOW + dt.timedelta(days=400))
    with pytest.raises(KeyUnfitError, match="not valid before") as err:
        KeySource.from_pkcs12(p12, None).check_fit_for(CONVERTER, NOW)
    assert "future.p12" in str(err.value) and "chưa có hiệu lực" in str(err.value)


def test_missing_digital_signature_refused(tmp_path: Path) -> None:
    p12 = _p12_with(tmp_path, "nr-only.p12", key_usage=_NR_ONLY, not_before=NOW - dt.timedelta(days=1),
                    not_after=NOW + dt.timedelta(days=1))
    with pytest.raises(KeyUnfitError, match="digital_signature"):
        KeySource.from_pkcs12(p12, None).check_fit_for(CONVERTER, NOW)


def test_no_key_usage_extension_refused(tmp_path: Path) -> None:
    p12 = _p12_with(tmp_path, "no-ku.p12", key_usage=None, not_before=NOW - dt.timedelta(days=1),
                    not_after=NOW + dt.timedelta(days=1))
    with pytest.raises(KeyUnfitError, match="digital_signature, non_repudiation"):
        KeySource.from_pkcs12(p12, None).check_fit_for(CONVERTER, NOW)


def test_fit_self_made_certificate_accepted(tmp_path: Path) -> None:
    """The refusals above come from the property under test, not from the way the certificates are made."""
    p12 = _p12_with(tmp_path, "ok.p12", key_usage=_BOTH, not_before=NOW - dt.timedelta(days=1),
                    not_after=NOW + dt.timedelta(days=1))
    KeySource.from_pkcs12(p12, None).check_fit_for(CONVERTER, NOW)


def test_key_from_settings_reports_what_is_missing(tmp_path: Path) -> None:
    from core.settings import Settings

    with pytest.raises(SigningKeyError, match="SOHOA_SIGNING_PKCS12"):
        KeySource.from_settings(Settings(home=tmp_path))
    with pytest.raises(SigningKeyError, match="SOHOA_PKCS11_TOKEN_LABEL"):
        KeySource.from_settings(Settings(home=tmp_path, pkcs11_module="/usr/lib/softhsm/libsofthsm2.so"))
