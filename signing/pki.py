"""A test / demo PKI: a self-signed root and the converting agency's certificate (PKCS#12).

Not for production: a real converter signs with a certificate from a licensed Vietnamese CA.
Idempotent: existing files are reused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

ROOT_NAME = "Test Root CA sohoa"


@dataclass(frozen=True)
class TestPki:
    __test__ = False  # not a pytest class

    root_cert_pem: Path
    agency_p12: Path
    password: bytes
    agency_cert_pem: Path
    expired_p12: Path | None = None


def _key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    return key


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _root(out: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = _key(out / "root.key.pem")
    pem = out / "root.pem"
    if pem.exists():
        return key, x509.load_pem_x509_certificate(pem.read_bytes())
    now = dt.datetime.now(dt.UTC)
    name = _name(ROOT_NAME, "sohoa test PKI")
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=3650)).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def _leaf(converter: str, root_key: rsa.RSAPrivateKey, root: x509.Certificate, key: rsa.RSAPrivateKey,
          not_before: dt.datetime, not_after: dt.datetime) -> x509.Certificate:
    return (
        x509.CertificateBuilder().subject_name(_name(converter, converter)).issuer_name(root.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # Non-repudiation (content commitment) as Decree 45 Art. 14.3.c asks of a result.
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36"),  # documentSigning
                                              x509.oid.ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )


def _p12(path: Path, converter: str, key: rsa.RSAPrivateKey, cert: x509.Certificate, root: x509.Certificate,
         password: bytes) -> None:
    enc = serialization.BestAvailableEncryption(password)
    path.write_bytes(pkcs12.serialize_key_and_certificates(converter.encode(), key, cert, [root], enc))
    path.chmod(0o600)


def make_test_pki(out_dir: Path, *, converter: str, expired: bool = False) -> TestPki:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pw_file = out / "password.txt"
    if not pw_file.exists():
        # Derived, not secret: this PKI is for tests and the demo only.
        pw_file.write_text(hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:20] + "\n")
    password = pw_file.read_text().strip().encode()
    root_key, root = _root(out)
    now = dt.datetime.now(dt.UTC)

    agency_p12, agency_pem = out / "agency.p12", out / "agency.pem"
    if not (agency_p12.exists() and agency_pem.exists()):
        key = _key(out / "agency.key.pem")
        cert = _leaf(converter, root_key, root, key, now - dt.timedelta(minutes=5), now + dt.timedelta(days=730))
        agency_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _p12(agency_p12, converter, key, cert, root, password)

    expired_p12: Path | None = None
    if expired:
        expired_p12 = out / "agency-expired.p12"
        if not expired_p12.exists():
            key = _key(out / "agency-expired.key.pem")
            cert = _leaf(converter, root_key, root, key, now - dt.timedelta(days=800), now - dt.timedelta(days=70))
            _p12(expired_p12, converter, key, cert, root, password)
    return TestPki(root_cert_pem=out / "root.pem", agency_p12=agency_p12, password=password,
                   agency_cert_pem=agency_pem, expired_p12=expired_p12)
