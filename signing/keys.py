"""The converter's signing key (Decree 45 Art. 25.3.b: whoever converted signs the electronic version).

Two sources: a PKCS#12 file, or a PKCS#11 token (an HSM, a USB token, SoftHSM2 in tests) where the
private key never leaves the device. Loaded once and reused for a whole batch: parsing the PKCS#12
or opening the token session is the slow part of signing a page.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509

from core.exitcodes import ExitCode
from core.text import nfc


class SigningKeyError(Exception):
    """The key cannot be used: missing, unreadable, wrong password or PIN, or unfit.

    ``path`` is the PKCS#12 file; ``where`` names the key for either source (a file path or a
    ``pkcs11:token=…;object=…`` URI) and starts the message."""

    exit_code: ExitCode = ExitCode.KEY_ERROR
    headline = "Lỗi / Error: khóa ký bị từ chối / signing key refused"

    def __init__(self, reason: str, path: Path | None = None, where: str | None = None) -> None:
        self.reason = reason
        self.path = path
        self.where = where or (str(path) if path else None)
        super().__init__(f"{self.where}: {reason}" if self.where else reason)

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses process boundaries intact (a ProcessPoolExecutor worker re-raises it in the parent).
        return (type(self), (self.reason, self.path, self.where))


class KeyUnfitError(SigningKeyError):
    """Readable, but not fit to sign for this converter at this time."""


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


def pkcs11_uri(token_label: str, key_label: str) -> str:
    """RFC 7512 style name of a key on a token, for messages (never holds the PIN)."""
    from urllib.parse import quote

    return f"pkcs11:token={quote(token_label)};object={quote(key_label)}"


class KeySource:
    """A signing identity (PKCS#12 file or PKCS#11 token) wrapping a pyHanko signer."""

    def __init__(self, signer: object, path: Path | None = None, where: str | None = None,
                 session: object | None = None) -> None:
        from pyhanko.sign.signers import Signer

        assert isinstance(signer, Signer)
        self._signer = signer
        self.path = path
        self.where = where or (str(path) if path else None)
        self._session = session  # PKCS#11 session, closed by close()

    @property
    def kind(self) -> str:
        return "pkcs11" if self._session is not None else "pkcs12"

    def close(self) -> None:
        if self._session is not None:
            with contextlib.suppress(Exception):
                self._session.close()  # type: ignore[attr-defined]
            self._session = None

    def __enter__(self) -> KeySource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def from_pkcs11(cls, module: Path | str, token_label: str, key_label: str, pin: str | None,
                    cert_label: str | None = None) -> KeySource:
        """Open a session on the token and find the key and its certificate by label.

        The PIN comes from the caller (the environment, e.g. SOHOA_PKCS11_PIN), never from code or logs."""
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

        where = pkcs11_uri(token_label, key_label)
        module = Path(module)
        if not module.is_file():
            raise SigningKeyError(f"không tìm thấy thư viện PKCS#11 / PKCS#11 module not found: {module}", where=where)
        try:
            session = open_pkcs11_session(str(module), token_criteria=TokenCriteria(label=token_label), user_pin=pin)
        except Exception as exc:  # pkcs11.PinIncorrect, PKCS11Error (no such token), library errors
            name = type(exc).__name__
            if "Pin" in name:
                reason = f"sai mã PIN của thiết bị ký / wrong token PIN ({name})"
            elif "token" in str(exc).lower():
                reason = f"không tìm thấy thiết bị ký '{token_label}' / token not found: {exc}"
            else:
                reason = f"không mở được thiết bị ký / cannot open token: {name}: {exc}"
            raise SigningKeyError(reason, where=where) from exc
        signer = PKCS11Signer(session, key_label=key_label, cert_label=cert_label or key_label,
                              other_certs_to_pull=None)
        try:
            signer.signing_cert  # noqa: B018 - loads key handle and certificate now, not mid-batch
        except Exception as exc:
            session.close()
            raise SigningKeyError(f"không tìm thấy khóa hoặc chứng thư '{key_label}' trên thiết bị / "
                                  f"key or certificate not found on token: {type(exc).__name__}: {exc}",
                                  where=where) from exc
        return cls(signer, where=where, session=session)

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

    @classmethod
    def from_settings(cls, settings) -> KeySource:  # type: ignore[no-untyped-def]
        """The configured key: the PKCS#11 token when SOHOA_PKCS11_MODULE is set, else the PKCS#12 file."""
        if getattr(settings, "pkcs11_module", ""):
            if not settings.pkcs11_token_label or not settings.pkcs11_key_label:
                raise SigningKeyError("cần SOHOA_PKCS11_TOKEN_LABEL và SOHOA_PKCS11_KEY_LABEL / "
                                      "SOHOA_PKCS11_TOKEN_LABEL and SOHOA_PKCS11_KEY_LABEL are required")
            pin = settings.pkcs11_pin.get_secret_value() or None
            return cls.from_pkcs11(settings.pkcs11_module, settings.pkcs11_token_label, settings.pkcs11_key_label,
                                   pin)
        if settings.signing_pkcs12 is None:
            raise SigningKeyError("chưa cấu hình khóa ký / no signing key configured: set SOHOA_SIGNING_PKCS12 "
                                  "(and SOHOA_SIGNING_PASSWORD) or SOHOA_PKCS11_MODULE")
        return cls.from_pkcs12(Path(settings.signing_pkcs12),
                               settings.signing_password.get_secret_value().encode() or None)

    @property
    def pyhanko_signer(self):  # type: ignore[no-untyped-def]
        return self._signer

    @property
    def certificate(self) -> asn1_x509.Certificate:
        cert = self._signer.signing_cert
        assert cert is not None
        return cert

    @property
    def chain(self) -> list[asn1_x509.Certificate]:
        """The other certificates the key came with (PKCS#12 bag, or the token's objects)."""
        return [c for c in self._signer.cert_registry if c.dump() != self.certificate.dump()]

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
        kw = {"where": self.where}
        if at < self.not_before:
            raise KeyUnfitError(f"chứng thư chưa có hiệu lực đến {self.not_before:%d/%m/%Y} / "
                                f"certificate not valid before {self.not_before.isoformat()}", where, **kw)
        if at > self.not_after:
            raise KeyUnfitError(f"chứng thư đã hết hạn ngày {self.not_after:%d/%m/%Y} / "
                                f"certificate expired on {self.not_after.isoformat()}", where, **kw)
        usage = self.certificate.key_usage_value
        usages = set(usage.native) if usage is not None else set()
        missing = {"digital_signature", "non_repudiation"} - usages
        if missing:
            raise KeyUnfitError(f"chứng thư thiếu mục đích sử dụng khóa / certificate lacks key usage: "
                                f"{', '.join(sorted(missing))}", where, **kw)
        # Decree 45 Art. 25.3.b: the signer is the converter named in the marker. The full name equals
        # the subject's O or CN (after NFC and spacing): "a", or "Khánh Hòa" for "… tỉnh Khánh Hòa",
        # would otherwise let any key sign as any body that shares a word with it.
        want = _same_name(converter)
        subj = _subject(self.certificate)
        names = [n for n in (subj.organization, subj.common_name) if n]
        if not want or not any(want == _same_name(n) for n in names):
            raise KeyUnfitError(f"tên đơn vị chuyển đổi '{converter}' không trùng khớp tên trong chứng thư "
                                f"({' / '.join(names) or '?'}) / converter name does not equal the certificate "
                                f"subject's organisation or common name", where, **kw)


def _same_name(text: str) -> str:
    """A name as compared with the certificate's: NFC, single spaces; case and letters kept."""
    return " ".join(nfc(text).split())


# ---------------------------------------------------------------- several converting bodies
@dataclass(frozen=True)
class AgencyKey:
    """Where one agency's key lives, and the full name it signs as (docs/signing.md, SOHOA_SIGNING_KEYS).

    Secrets are never in the file: a PKCS#12 password or a token PIN comes from the environment
    variable the entry names."""

    agency_code: str
    converter: str
    pkcs12: Path | None = None
    password_env: str = ""
    pkcs11_module: str = ""
    token_label: str = ""
    key_label: str = ""
    pin_env: str = ""

    def open(self) -> KeySource:
        import os

        if self.pkcs11_module:
            return KeySource.from_pkcs11(self.pkcs11_module, self.token_label, self.key_label,
                                         os.environ.get(self.pin_env) if self.pin_env else None)
        assert self.pkcs12 is not None
        password: bytes | None = None
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise SigningKeyError(f"biến môi trường {self.password_env} (mật khẩu khóa của {self.agency_code}) "
                                      f"chưa được đặt / environment variable {self.password_env} is not set",
                                      self.pkcs12)
            password = value.encode()
        return KeySource.from_pkcs12(self.pkcs12, password)


def load_agency_keys(path: Path) -> dict[str, AgencyKey]:
    """Read the agency key file (TOML): one ``[agency."<mã cơ quan>"]`` table per converting body.

    Each names ``converter`` (the full name, equal to its certificate's O or CN) and either
    ``pkcs12`` (+ ``password_env``) or ``pkcs11_module`` + ``token_label`` + ``key_label`` (+ ``pin_env``).
    Relative paths are relative to the file."""
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SigningKeyError(f"không đọc được tệp khóa theo cơ quan / cannot read agency key file: {exc}",
                              path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise SigningKeyError(f"tệp khóa theo cơ quan sai cú pháp TOML / agency key file is not TOML: {exc}",
                              path) from exc
    table = data.get("agency")
    if not isinstance(table, dict) or not table:
        raise SigningKeyError('thiếu bảng [agency."<mã cơ quan>"] / no [agency."<code>"] tables', path)
    known = {"converter", "pkcs12", "password_env", "pkcs11_module", "token_label", "key_label", "pin_env"}
    out: dict[str, AgencyKey] = {}
    for code, entry in table.items():
        where = f'[agency."{code}"]'
        if not isinstance(entry, dict):
            raise SigningKeyError(f"{where} phải là một bảng / must be a table", path)
        unknown = set(entry) - known
        if unknown:
            raise SigningKeyError(f"{where}: khóa không biết / unknown keys: {', '.join(sorted(unknown))}", path)
        converter = str(entry.get("converter") or "").strip()
        if not converter:
            raise SigningKeyError(f"{where}: thiếu converter (tên đầy đủ đơn vị chuyển đổi) / converter missing",
                                  path)
        p12 = entry.get("pkcs12")
        module = str(entry.get("pkcs11_module") or "")
        if bool(p12) == bool(module):
            raise SigningKeyError(f"{where}: cần đúng một trong pkcs12 hoặc pkcs11_module / "
                                  "exactly one of pkcs12 or pkcs11_module", path)
        if module and not (entry.get("token_label") and entry.get("key_label")):
            raise SigningKeyError(f"{where}: PKCS#11 cần token_label và key_label / "
                                  "token_label and key_label are required", path)
        p12_path = None
        if p12:
            p12_path = Path(str(p12))
            p12_path = p12_path if p12_path.is_absolute() else path.parent / p12_path
        out[code] = AgencyKey(code, nfc(converter), p12_path,
                              str(entry.get("password_env") or ""), module, str(entry.get("token_label") or ""),
                              str(entry.get("key_label") or ""), str(entry.get("pin_env") or ""))
    return out


class SigningIdentities:
    """The key and converter name each agency signs with, opened once per run and closed together.

    With SOHOA_SIGNING_KEYS set, an agency listed there signs with its own key and name; any other
    agency falls back to the deployment's key (SOHOA_SIGNING_PKCS12 / SOHOA_PKCS11_*) and
    SOHOA_CONVERTER_NAME, when one is configured."""

    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        self._settings = settings
        path = getattr(settings, "signing_keys", None)
        self._agencies = load_agency_keys(Path(path)) if path else {}
        self._open: dict[str, tuple[KeySource, str]] = {}

    def for_agency(self, agency_code: str) -> tuple[KeySource, str]:
        """(key, the converter's full name printed in the marker) for one agency."""
        entry = self._agencies.get(agency_code)
        slot = agency_code if entry else ""
        if slot not in self._open:
            if entry:
                self._open[slot] = (entry.open(), entry.converter)
            else:
                self._open[slot] = (KeySource.from_settings(self._settings), self._settings.converter_name)
        return self._open[slot]

    def close(self) -> None:
        for key, _ in self._open.values():
            key.close()
        self._open.clear()

    def __enter__(self) -> SigningIdentities:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
