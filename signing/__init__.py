"""The signing stage: assemble the converted result as PDF/A-3b with its conversion marker and the
structured fields attached, sign it (PAdES B-B; B-T with a TSA; B-LT with revocation data) with the
converter's key (PKCS#12 or PKCS#11 token), and verify it with two independent implementations.

Decree 45/2020/NĐ-CP Art. 25.3.b-c, Art. 14.3.c; Decree 137/2024/NĐ-CP Art. 4.1. Never imports Airflow.
"""

from signing._assemble import assemble_pdf
from signing.keys import (
    AgencyKey,
    KeySource,
    KeyUnfitError,
    SigningIdentities,
    SigningKeyError,
    load_agency_keys,
)
from signing.marker import ConversionMarker
from signing.sign import (
    RevocationStatus,
    SignatureLevel,
    SignedResult,
    SigningOptions,
    SigningServiceError,
    sign_pdf,
    sign_pdf_detailed,
    sign_result,
)
from signing.validation import CheckOutcome, SignatureStatus, VerificationReport, verify_pdf

__all__ = [
    "AgencyKey",
    "CheckOutcome",
    "ConversionMarker",
    "KeySource",
    "KeyUnfitError",
    "RevocationStatus",
    "SignatureLevel",
    "SignatureStatus",
    "SignedResult",
    "SigningIdentities",
    "SigningKeyError",
    "SigningOptions",
    "SigningServiceError",
    "VerificationReport",
    "assemble_pdf",
    "load_agency_keys",
    "sign_pdf",
    "sign_pdf_detailed",
    "sign_result",
    "verify_pdf",
]
