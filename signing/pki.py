"""A test / demo PKI: a self-signed root and the converting agency's certificate (PKCS#12).

With ``services_url`` it also makes what a real CA runs beside it, for B-T and B-LT signing:
a time-stamping authority certificate, an OCSP responder certificate, a *revoked* agency
certificate, and agency certificates that point to the OCSP responder (AIA) and to the CRL
(CRL distribution point) under that URL. ``signing.pki_server`` serves them over HTTP.

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

from core.files import private_dir, write_private

ROOT_NAME = "Test Root CA sohoa"


@dataclass(frozen=True)
class TestPki:
    __test__ = False  # not a pytest class

    root_cert_pem: Path
    agency_p12: Path
    password: bytes
    agency_cert_pem: Path
    expired_p12: Path | None = None
    services_url: str | None = None  # TSA at /tsa, OCSP at /ocsp, CRL at /crl/root.crl
    revoked_p12: Path | None = None
    tsa_cert_pem: Path | None = None
    ocsp_cert_pem: Path | None = None

    @property
    def dir(self) -> Path:
        return self.root_cert_pem.parent

    @property
    def tsa_url(self) -> str | None:
        return f"{self.services_url}/tsa" if self.services_url else None


def _key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write_private(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
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


def _revocation_pointers(builder: x509.CertificateBuilder, services_url: str | None) -> x509.CertificateBuilder:
    if not services_url:
        return builder
    return (
        builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(f"{services_url}/ocsp"))]),
            critical=False)
        .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(f"{services_url}/crl/root.crl")], relative_name=None,
            reasons=None, crl_issuer=None)]), critical=False)
    )


def _leaf(converter: str, root_key: rsa.RSAPrivateKey, root: x509.Certificate, key: rsa.RSAPrivateKey,
          not_before: dt.datetime, not_after: dt.datetime, services_url: str | None = None) -> x509.Certificate:
    builder = _revocation_pointers(x509.CertificateBuilder(), services_url)
    return (
        builder.subject_name(_name(converter, converter)).issuer_name(root.subject)
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
    write_private(path, pkcs12.serialize_key_and_certificates(converter.encode(), key, cert, [root], enc))


def _service_cert(path: Path, cn: str, eku: x509.ObjectIdentifier, root_key: rsa.RSAPrivateKey,
                  root: x509.Certificate, key: rsa.RSAPrivateKey, now: dt.datetime) -> None:
    if path.exists():
        return
    builder = (
        x509.CertificateBuilder().subject_name(_name(cn, "sohoa test PKI")).issuer_name(root.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        # RFC 3161 2.3: a TSA certificate has exactly one, critical, EKU: timeStamping.
        .add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
    )
    if eku == x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING:
        # RFC 6960 4.2.2.2.1: no revocation check of the responder's own certificate.
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    path.write_bytes(builder.sign(root_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


REVOKED_LIST = "revoked.txt"  # "<serial hex> <revocation time ISO>" per line, read by pki_server


def make_test_pki(out_dir: Path, *, converter: str, expired: bool = False,
                  services_url: str | None = None) -> TestPki:
    out = private_dir(Path(out_dir))  # keys and their password: nobody else on the machine reads them
    services_file = out / "services_url.txt"
    if services_url is not None:
        services_url = services_url.rstrip("/")
        if services_file.exists() and services_file.read_text().strip() != services_url:
            # The URL is inside the leaf certificates: new URL, new leaves (same root).
            for name in ("agency.p12", "agency.pem", "agency-revoked.p12", REVOKED_LIST):
                (out / name).unlink(missing_ok=True)
        services_file.write_text(services_url + "\n")
    pw_file = out / "password.txt"
    if not pw_file.exists():
        # Derived, not secret: this PKI is for tests and the demo only.
        write_private(pw_file, hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:20] + "\n")
    pw_file.chmod(0o600)  # one made by an older version was world-readable
    password = pw_file.read_text().strip().encode()
    root_key, root = _root(out)
    now = dt.datetime.now(dt.UTC)

    agency_p12, agency_pem = out / "agency.p12", out / "agency.pem"
    if not (agency_p12.exists() and agency_pem.exists()):
        key = _key(out / "agency.key.pem")
        cert = _leaf(converter, root_key, root, key, now - dt.timedelta(days=1), now + dt.timedelta(days=730),
                     services_url)
        agency_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _p12(agency_p12, converter, key, cert, root, password)

    expired_p12: Path | None = None
    if expired:
        expired_p12 = out / "agency-expired.p12"
        if not expired_p12.exists():
            key = _key(out / "agency-expired.key.pem")
            cert = _leaf(converter, root_key, root, key, now - dt.timedelta(days=800), now - dt.timedelta(days=70))
            _p12(expired_p12, converter, key, cert, root, password)
    if services_url is None:
        return TestPki(root_cert_pem=out / "root.pem", agency_p12=agency_p12, password=password,
                       agency_cert_pem=agency_pem, expired_p12=expired_p12)

    revoked_p12 = out / "agency-revoked.p12"
    if not revoked_p12.exists():
        key = _key(out / "agency-revoked.key.pem")
        cert = _leaf(converter, root_key, root, key, now - dt.timedelta(days=2), now + dt.timedelta(days=730),
                     services_url)
        _p12(revoked_p12, converter, key, cert, root, password)
        revoked_at = (now - dt.timedelta(days=1)).replace(microsecond=0)
        (out / REVOKED_LIST).write_text(f"{cert.serial_number:x} {revoked_at.isoformat()}\n")
    _service_cert(out / "tsa.pem", "sohoa test TSA", x509.oid.ExtendedKeyUsageOID.TIME_STAMPING, root_key, root,
                  _key(out / "tsa.key.pem"), now)
    _service_cert(out / "ocsp.pem", "sohoa test OCSP responder", x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING,
                  root_key, root, _key(out / "ocsp.key.pem"), now)
    return TestPki(root_cert_pem=out / "root.pem", agency_p12=agency_p12, password=password,
                   agency_cert_pem=agency_pem, expired_p12=expired_p12, services_url=services_url,
                   revoked_p12=revoked_p12, tsa_cert_pem=out / "tsa.pem", ocsp_cert_pem=out / "ocsp.pem")


SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")


def softhsm_config(token_dir: Path) -> Path:
    """A SoftHSM2 configuration keeping its tokens in token_dir; point SOFTHSM2_CONF at the result
    before the module is first loaded in a process."""
    private_dir(token_dir)  # the token's key objects
    conf = token_dir.parent / f"{token_dir.name}.conf"
    conf.write_text(f"directories.tokendir = {token_dir}\nobjectstore.backend = file\nlog.level = ERROR\n"
                    "slots.removable = false\n")
    return conf


def import_into_softhsm(pki: TestPki, *, token_label: str, key_label: str, pin: str, so_pin: str,
                        p12: Path | None = None, module: Path = SOFTHSM_MODULE) -> None:
    """Create a SoftHSM2 token and put the agency's key (via `softhsm2-util --import`, PKCS#8 PEM)
    and its certificate chain (via python-pkcs11: softhsm2-util cannot import certificates) on it.

    SOFTHSM2_CONF must already point to the configuration (see softhsm_config)."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    from signing._exec import softhsm

    p12 = p12 or pki.agency_p12
    key, cert, extra = pkcs12.load_key_and_certificates(p12.read_bytes(), pki.password)
    assert key is not None and cert is not None
    pem = p12.with_suffix(".token-import.pem")
    write_private(pem, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    try:
        softhsm.init_token(token_label, pin=pin, so_pin=so_pin)
        softhsm.import_key(pem, token=token_label, label=key_label, key_id="01", pin=pin)
    finally:
        pem.unlink(missing_ok=True)
    token = pkcs11.lib(str(module)).get_token(token_label=token_label)
    with token.open(rw=True, user_pin=pin) as session:
        for label, c, cid in [(key_label, cert, b"\x01")] + [(f"ca{i}", c, bytes([0x10 + i]))
                                                             for i, c in enumerate(extra)]:
            der = c.public_bytes(serialization.Encoding.DER)
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: cid, Attribute.VALUE: der,
                Attribute.SUBJECT: c.subject.public_bytes(), Attribute.ISSUER: c.issuer.public_bytes(),
                Attribute.SERIAL_NUMBER: c.serial_number.to_bytes((c.serial_number.bit_length() + 8) // 8, "big"),
            })


def issue_agency_key(pki: TestPki, name: str, *, converter: str) -> Path:
    """Another converting body's PKCS#12 under the same test root and password: ``<dir>/<name>.p12``,
    subject O = CN = ``converter``. Several agencies of one province, one trusted root."""
    out = pki.dir
    p12 = out / f"{name}.p12"
    if not p12.exists():
        root_key, root = _root(out)
        key = _key(out / f"{name}.key.pem")
        now = dt.datetime.now(dt.UTC)
        cert = _leaf(converter, root_key, root, key, now - dt.timedelta(days=1), now + dt.timedelta(days=730),
                     pki.services_url)
        (out / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _p12(p12, converter, key, cert, root, pki.password)
    return p12
