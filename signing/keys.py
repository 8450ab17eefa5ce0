"""The converter's signing key (Decree 45 Art. 25.3.b: whoever converted signs the electronic version).

Loaded once and reused for a whole batch: parsing the PKCS#12 and building the pyHanko signer is
the slow part of signing a page.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import x509 as asn1_x509


class SigningKeyError(Exception):
    """The key cannot be used: missing, unreadable, wrong password, or unfit."""

    def __init__(self, reason: str, path: Path | None = None) -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)


class KeyUnfitError(SigningKeyError):
    """Readable, but not fit to sign for this converter at this time."""


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().strip()


@dataclass(frozen=True)
class _Subject:
    common_name: str | None
    organization: str | None


def _subject(cert: asn1_x509.Certificate) -> _Subject:
    native = cert.subject.native
    return _Subject(native.get("common_name"), native.get("organization_name"))


def _cached_key_signer(loaded):  # type: ignore[no-untyped-def]
    """A SimpleSigner that parses its private key once: pyHanko's re-parses the DER key on every
    signature, which for RSA (key validation) costs ~30 ms, most of the signing time."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign.general import get_pyca_cryptography_hash
    from pyhanko.sign.signers import SimpleSigner

    class _Signer(SimpleSigner):
        _pyca_key = serialization.load_der_private_key(loaded.signing_key.dump(), password=None)

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                mech = mechanism.signature_algo
            except ValueError:
                mech = mechanism["algorithm"].native
            key = self._pyca_key
            if mech == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
                return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            if mech == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
                return key.sign(data, ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
            return super().sign_raw(data, digest_algorithm)

    return _Signer(signing_cert=loaded.signing_cert, signing_key=loaded.signing_key,
                   cert_registry=loaded.cert_registry)


class KeySource:
    """A PKCS#12 signing identity; holds a cached pyHanko SimpleSigner."""

    def __init__(self, signer: object, path: Path | None = None) -> None:
        from pyhanko.sign.signers import SimpleSigner

        assert isinstance(signer, SimpleSigner)
        self._signer = signer
        self.path = path

    @classmethod
    def from_pkcs12(cls, path: Path, password: bytes | None) -> KeySource:
        from pyhanko.sign.signers import SimpleSigner

        path = Path(path)
        if not path.is_file():
            raise SigningKeyError("không tìm thấy tệp khóa / key file not found", path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SigningKeyError(f"không đọc được tệp khóa / cannot read key file: {exc}", path) from exc
        try:
            signer = SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=password)
        except ValueError as exc:
            raise SigningKeyError("không đọc được PKCS#12 (sai mật khẩu hoặc tệp hỏng) / "
                                  "cannot read PKCS#12 (wrong password or corrupt file)", path) from exc
        if signer.signing_cert is None or signer.signing_key is None:
            raise SigningKeyError("PKCS#12 không có khóa và chứng thư / PKCS#12 holds no key and certificate", path)
        return cls(_cached_key_signer(signer), path)

    @property
    def pyhanko_signer(self):  # type: ignore[no-untyped-def]
        return self._signer

    @property
    def certificate(self) -> asn1_x509.Certificate:
        cert = self._signer.signing_cert
        assert cert is not None
        return cert

    @property
    def signer_name(self) -> str:
        subj = _subject(self.certificate)
        return subj.common_name or subj.organization or self.certificate.subject.human_friendly

    @property
    def not_before(self) -> datetime:
        return self.certificate["tbs_certificate"]["validity"]["not_before"].native

    @property
    def not_after(self) -> datetime:
        return self.certificate["tbs_certificate"]["validity"]["not_after"].native

    def check_fit_for(self, converter: str, at: datetime | None = None) -> None:
        """Refuse a key that would produce a signature nobody should accept (Art. 14.3.c)."""
        at = at or datetime.now(UTC)
        where = self.path
        if at < self.not_before:
            raise KeyUnfitError(f"chứng thư chưa có hiệu lực đến {self.not_before:%d/%m/%Y} / "
                                f"certificate not valid before {self.not_before.isoformat()}", where)
        if at > self.not_after:
            raise KeyUnfitError(f"chứng thư đã hết hạn ngày {self.not_after:%d/%m/%Y} / "
                                f"certificate expired on {self.not_after.isoformat()}", where)
        usage = self.certificate.key_usage_value
        usages = set(usage.native) if usage is not None else set()
        missing = {"digital_signature", "non_repudiation"} - usages
        if missing:
            raise KeyUnfitError(f"chứng thư thiếu mục đích sử dụng khóa / certificate lacks key usage: "
                                f"{', '.join(sorted(missing))}", where)
        # Decree 45 Art. 25.3.b: the signer is the converter named in the marker.
        want = _fold(converter)
        subj = _subject(self.certificate)
        names = [n for n in (subj.organization, subj.common_name) if n]
        if not want or not any(want in _fold(n) for n in names):
            raise KeyUnfitError(f"chủ thể chứng thư ({' / '.join(names) or '?'}) không phải đơn vị chuyển đổi "
                                f"'{converter}' / certificate subject does not name the converter", where)
