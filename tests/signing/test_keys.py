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

NOW = dt.datetime.now(dt.UTC)


def test_fit_key_accepted_case_and_normalisation_insensitive(key: KeySource) -> None:
    assert key.signer_name == CONVERTER
    key.check_fit_for(CONVERTER, NOW)
    key.check_fit_for(unicodedata.normalize("NFD", CONVERTER.upper()), NOW)


def test_expired_certificate_refused(pki: TestPki) -> None:
    assert pki.expired_p12 is not None
    expired = KeySource.from_pkcs12(pki.expired_p12, pki.password)
    with pytest.raises(KeyUnfitError, match="expired"):
        expired.check_fit_for(CONVERTER, NOW)


def test_not_yet_valid_refused(key: KeySource) -> None:
    with pytest.raises(KeyUnfitError, match="not valid before"):
        key.check_fit_for(CONVERTER, NOW - dt.timedelta(days=30))


def test_converter_name_mismatch_refused(key: KeySource) -> None:
    with pytest.raises(KeyUnfitError, match="does not name the converter") as err:
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
