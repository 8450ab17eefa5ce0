"""review.catalogue: the archive's catalogue is exactly the approved records, a steward's word included."""

from __future__ import annotations

from collections.abc import Callable

from core.settings import Settings
from ocr.catalogue import body_key
from review.catalogue import archive_catalogue
from review.service import approve_document, correct_fields, reject_document

from .conftest import GOOD_HKD

BODY = body_key(GOOD_HKD["issuing_authority"])


def _signers(settings: Settings) -> dict[str, int]:
    p = archive_catalogue(["Khánh Hòa"], db_url=settings.db_url).for_province("Khánh Hòa")
    return {name: st.support for name, st in (p.signers.get(BODY, {}) if p else {}).items()}


def test_the_catalogue_follows_approval_correction_and_rejection(
        sohoa_env: Settings, seed: Callable[..., tuple[int, list[int]]]) -> None:
    low = {**GOOD_HKD, "signer_name": ("Nguyễn Văn Ân", 0.4)}  # sent to review by its confidence
    _, ids = seed([{"fields": low}, {"fields": low}, {"fields": low}])
    assert _signers(sohoa_env) == {}  # nothing approved yet

    correct_fields(ids[0], {"signer_name": "Nguyễn Văn An"}, "steward")
    approve_document(ids[0], "steward", note="đã đối chiếu")
    approve_document(ids[1], "steward", note="đã đối chiếu")
    reject_document(ids[2], "steward", "bản quét mờ")
    assert _signers(sohoa_env) == {"Nguyễn Văn An": 1, "Nguyễn Văn Ân": 1}

    # An approved record corrected again goes back to review: out of the catalogue until re-approved.
    correct_fields(ids[1], {"signer_name": "Nguyễn Văn An"}, "steward")
    assert _signers(sohoa_env) == {"Nguyễn Văn An": 1}
    approve_document(ids[1], "steward", note="đã đối chiếu")
    assert _signers(sohoa_env) == {"Nguyễn Văn An": 2}
    other = archive_catalogue(["Bình Định"], db_url=sohoa_env.db_url)
    assert other.for_province("Khánh Hòa") is None and other.records == 0
