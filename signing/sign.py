"""Sign the assembled result: PAdES B-B (ETSI.CAdES.detached) with the converter's key.

Decree 45 Art. 25.3.b (the converter signs) and Art. 14.3.c (integrity, authenticity,
non-repudiation under the Law on E-Transactions).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from signing._assemble import assemble_pdf
from signing.keys import KeySource
from signing.marker import ConversionMarker

DEFAULT_REASON = "Chuyển đổi từ văn bản giấy"
# Fixed room for the CMS blob (cert chain + RSA/ECDSA signature, ~3 KB here): one pass, no
# dry run to measure it.
BYTES_RESERVED = 12 * 1024


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


def sign_pdf(
    pdf: bytes,
    key: KeySource,
    *,
    reason: str = DEFAULT_REASON,
    location: str | None = None,
    field_name: str = "SohoaConversion",
) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        name=key.signer_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    # An invisible field (zero-size box on page 1): the visible marker is the band, not a stamp.
    pdf_signer = signers.PdfSigner(meta, signer=key.pyhanko_signer,
                                   new_field_spec=fields.SigFieldSpec(sig_field_name=field_name))
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = io.BytesIO()
    pdf_signer.sign_pdf(writer, bytes_reserved=BYTES_RESERVED, output=out)
    return out.getvalue()


def sign_result(
    pages: Sequence[Image.Image | Path],
    marker: ConversionMarker,
    key: KeySource,
    *,
    dpi: int | Sequence[int] = 300,
    text_layers: Sequence[str] | None = None,
    attachments: dict[str, bytes] | None = None,
) -> SignedResult:
    pdf = assemble_pdf(pages, marker, dpi=dpi, text_layers=text_layers, attachments=attachments)
    before = datetime.now(UTC).replace(microsecond=0)
    signed = sign_pdf(pdf, key)
    signed_at = _signing_time(signed[len(pdf):]) or before
    return SignedResult(pdf=signed, sha256=hashlib.sha256(signed).hexdigest(), signer=key.signer_name,
                        signed_at=signed_at)
