"""The signing stage: assemble the converted result with its conversion marker, sign it
(PAdES B-B) with the converter's key, and verify it with two independent implementations.

Decree 45/2020/NĐ-CP Art. 25.3.b-c, Art. 14.3.c; Decree 137/2024/NĐ-CP Art. 4.1. Never imports Airflow.
"""

from signing._assemble import assemble_pdf
from signing.keys import KeySource, KeyUnfitError, SigningKeyError
from signing.marker import ConversionMarker
from signing.sign import SignedResult, sign_pdf, sign_result
from signing.validation import CheckOutcome, SignatureStatus, VerificationReport, verify_pdf

__all__ = [
    "CheckOutcome",
    "ConversionMarker",
    "KeySource",
    "KeyUnfitError",
    "SignatureStatus",
    "SignedResult",
    "SigningKeyError",
    "VerificationReport",
    "assemble_pdf",
    "sign_pdf",
    "sign_result",
    "verify_pdf",
]
