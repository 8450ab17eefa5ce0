"""Sign the assembled result: PAdES (ETSI.CAdES.detached) with the converter's key.

Decree 45 Art. 25.3.b (the converter signs) and Art. 14.3.c (integrity, authenticity,
non-repudiation under the Law on E-Transactions).

Levels: B-B by default; B-T when a time-stamping authority URL is configured (the signature
time then comes from a third party, not the signer's clock); B-LT when, in addition, the
revocation status of the signer's chain can be fetched (OCSP/CRL) and is embedded in the
document security store, so the signature can still be validated after the CA's services are
gone. A certificate found revoked is refused before anything is signed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from PIL import Image

from core.exitcodes import ExitCode
from signing._assemble import assemble_pdf
from signing._logs import quiet
from signing.keys import KeySource, KeyUnfitError
from signing.marker import ConversionMarker

DEFAULT_REASON = "Chuyển đổi từ văn bản giấy"
# Fixed room for the CMS blob (cert chain + RSA/ECDSA signature, ~3 KB here): one pass, no
# dry run to measure it. A timestamp token adds ~2-3 KB, embedded revocation info goes to the DSS.
BYTES_RESERVED = 12 * 1024
BYTES_RESERVED_TIMESTAMPED = 20 * 1024
NETWORK_TIMEOUT_S = 10.0

log = logging.getLogger(__name__)


class SigningServiceError(Exception):
    """A service the signature needs (the time-stamping authority) did not answer properly."""

    exit_code: ExitCode = ExitCode.SERVICE_UNAVAILABLE
    headline = "Không ký được"

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses process boundaries intact (a ProcessPoolExecutor worker re-raises it in the parent).
        return (type(self), (self.url, self.reason))


class SignatureLevel(StrEnum):
    B_B = "PAdES-B-B"
    B_T = "PAdES-B-T"
    B_LT = "PAdES-B-LT"


class RevocationStatus(StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"  # no revocation pointers, or the responder could not be reached
    NOT_APPLICABLE = "not_applicable"  # the chain names no OCSP responder or CRL


@dataclass(frozen=True)
class SigningOptions:
    """How to sign. ``tsa_url`` empty: B-B. ``revocation``: check (and with a TSA, embed) the
    revocation status of the signer's chain when its certificates point to OCSP/CRL services."""

    tsa_url: str | None = None
    revocation: bool = True
    trust_roots: tuple[Path, ...] = ()  # extra anchors for the revocation look-up; the key's own root is used too
    timeout_s: float = NETWORK_TIMEOUT_S


@dataclass(frozen=True)
class SignedPdf:
    pdf: bytes
    level: SignatureLevel
    revocation: RevocationStatus
    notes: tuple[str, ...] = ()


_SIG_TIME = re.compile(rb"/M \(D(?::|\\072)(\d{14})(Z|[+-]\d\d'?\d\d'?)?\)")


def _signing_time(appended: bytes) -> datetime | None:
    """The /M (signing time) pyHanko wrote into the signature dictionary of the appended revision."""
    m = _SIG_TIME.search(appended)
    if not m:
        return None
    t = datetime.strptime(m[1].decode(), "%Y%m%d%H%M%S")
    tz = (m[2] or b"Z").decode().replace("'", "")
    if tz == "Z":
        return t.replace(tzinfo=UTC)
    return datetime.strptime(t.strftime("%Y%m%d%H%M%S") + tz, "%Y%m%d%H%M%S%z")


@dataclass(frozen=True)
class SignedResult:
    pdf: bytes
    sha256: str
    signer: str
    signed_at: datetime
    level: SignatureLevel = SignatureLevel.B_B
    revocation: RevocationStatus = RevocationStatus.NOT_APPLICABLE
    notes: tuple[str, ...] = ()


def _has_revocation_pointers(cert) -> bool:  # type: ignore[no-untyped-def]
    return bool(cert.ocsp_urls or cert.crl_distribution_points)


def _validation_context(key: KeySource, options: SigningOptions):  # type: ignore[no-untyped-def]
    from pyhanko.keys import load_certs_from_pemder
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

    roots = [c for c in key.chain if c.self_signed]
    roots += list(load_certs_from_pemder([str(p) for p in options.trust_roots]))
    others = [c for c in key.chain if not c.self_signed]
    # hard-fail: a certificate that names a responder must get an answer from it.
    return ValidationContext(trust_roots=roots, other_certs=others, allow_fetching=True,
                             revocation_mode="hard-fail",
                             fetcher_backend=RequestsFetcherBackend(per_request_timeout=options.timeout_s))


def _quiet_certvalidator() -> contextlib.AbstractContextManager[None]:
    return quiet("pyhanko_certvalidator", "pyhanko.sign.signers.pdf_signer")


# A GOOD answer is reused for a few minutes across the documents of a batch: the validation context
# keeps the fetched OCSP/CRL data, so B-LT embedding does not fetch again for every document.
REVOCATION_REUSE_S = 300.0
_good: dict[tuple[bytes, SigningOptions], tuple[float, object]] = {}


def check_revocation(key: KeySource, options: SigningOptions = SigningOptions()):  # type: ignore[no-untyped-def]  # noqa: B008
    """Ask the chain's OCSP responder / CRL about the signer's certificate.

    Returns (status, validation context or None, note). Raises KeyUnfitError when revoked: a
    revoked key never signs a result (Art. 14.3.c)."""
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import RevokedError

    cert = key.certificate
    if not options.revocation or not any(_has_revocation_pointers(c) for c in [cert, *key.chain]):
        return RevocationStatus.NOT_APPLICABLE, None, None
    cache_key = (cert.sha256, options)
    cached = _good.get(cache_key)
    if cached is not None and time.monotonic() - cached[0] < REVOCATION_REUSE_S:
        return RevocationStatus.GOOD, cached[1], None
    vc = _validation_context(key, options)
    validator = CertificateValidator(cert, validation_context=vc)
    try:
        with _quiet_certvalidator():
            asyncio.run(validator.async_validate_usage({"non_repudiation"}))
    except RevokedError as exc:
        raise KeyUnfitError(f"chứng thư đã bị thu hồi / certificate has been revoked: {exc}", key.path,
                            where=key.where) from exc
    except Exception as exc:  # unreachable responder, stale data, path problems: unknown, not refused
        return RevocationStatus.UNKNOWN, None, (
            f"không kiểm tra được tình trạng thu hồi / revocation status not checked: {type(exc).__name__}: {exc}")
    _good[cache_key] = (time.monotonic(), vc)
    return RevocationStatus.GOOD, vc, None


def sign_pdf_detailed(
    pdf: bytes,
    key: KeySource,
    *,
    options: SigningOptions = SigningOptions(),  # noqa: B008 - frozen dataclass
    reason: str = DEFAULT_REASON,
    location: str | None = None,
    field_name: str = "SohoaConversion",
) -> SignedPdf:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
    from pyhanko.sign.timestamps import HTTPTimeStamper

    notes: list[str] = []
    revocation, vc, note = check_revocation(key, options)
    if note:
        notes.append(note)
    timestamper = HTTPTimeStamper(options.tsa_url, timeout=options.timeout_s) if options.tsa_url else None
    embed = vc is not None and timestamper is not None
    if vc is not None and timestamper is None:
        notes.append("không có máy chủ cấp dấu thời gian: không nhúng thông tin thu hồi (B-LT cần B-T) / "
                     "no TSA configured: revocation info not embedded (B-LT needs B-T)")
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        name=key.signer_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=embed,
        validation_context=vc if embed else None,
        use_pades_lta=False,
        # The DSS goes into the signed revision itself: one revision, the whole file covered by the
        # signature, so a validator without incremental-update analysis (pdfsig) sees it unchanged.
        dss_settings=DSSContentSettings(
            include_vri=False, placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE),
    )
    # An invisible field (zero-size box on page 1): the visible marker is the band, not a stamp.
    pdf_signer = signers.PdfSigner(meta, signer=key.pyhanko_signer, timestamper=timestamper,
                                   new_field_spec=fields.SigFieldSpec(sig_field_name=field_name))
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = io.BytesIO()
    reserved = BYTES_RESERVED_TIMESTAMPED if timestamper else BYTES_RESERVED
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    try:
        with _quiet_certvalidator():
            pdf_signer.sign_pdf(writer, bytes_reserved=reserved, output=out)
    except TimestampRequestError as exc:
        # No timestamp, no B-T: never fall back silently to a weaker level than configured.
        cause = f" ({type(exc.__cause__).__name__})" if exc.__cause__ else ""
        raise SigningServiceError(options.tsa_url or "?", f"máy chủ cấp dấu thời gian không phản hồi / "
                                                          f"time-stamping authority failed: {exc}{cause}") from exc
    level = SignatureLevel.B_LT if embed else SignatureLevel.B_T if timestamper else SignatureLevel.B_B
    return SignedPdf(out.getvalue(), level, revocation, tuple(notes))


def sign_pdf(
    pdf: bytes,
    key: KeySource,
    *,
    reason: str = DEFAULT_REASON,
    location: str | None = None,
    field_name: str = "SohoaConversion",
    options: SigningOptions | None = None,
) -> bytes:
    return sign_pdf_detailed(pdf, key, options=options or SigningOptions(), reason=reason, location=location,
                             field_name=field_name).pdf


def sign_result(
    pages: Sequence[Image.Image | Path | bytes],
    marker: ConversionMarker,
    key: KeySource,
    *,
    dpi: int | Sequence[int] = 300,
    text_layers: Sequence[Any] | None = None,  # str rows or ocr.PageText (word boxes)
    attachments: dict[str, bytes] | None = None,
    options: SigningOptions | None = None,
) -> SignedResult:
    """Assemble (PDF/A-3b, marker band, fields.json associated) and sign one result."""
    pdf = assemble_pdf(pages, marker, dpi=dpi, text_layers=text_layers, attachments=attachments)
    before = datetime.now(UTC).replace(microsecond=0)
    signed = sign_pdf_detailed(pdf, key, options=options or SigningOptions())
    signed_at = _signing_time(signed.pdf[len(pdf):]) or before
    return SignedResult(pdf=signed.pdf, sha256=hashlib.sha256(signed.pdf).hexdigest(), signer=key.signer_name,
                        signed_at=signed_at, level=signed.level, revocation=signed.revocation, notes=signed.notes)
