"""The citizen data-warehouse contract: request and response bodies (pydantic v2).

Decree 45/2020/NĐ-CP Art. 14.3.d: a result is synchronised "theo mã hồ sơ" under
`<mã hồ sơ>-KQ<n>`; Art. 15: a revoked result is marked, with its time, in every system it was
sent to, and still kept for look-up; Art. 16.2.b: the warehouse holds the result or a link to it.
The same models are used by the client (to build requests) and the reference receiver (to
validate them), so the two cannot drift; `sync/openapi.yaml` is exported from the receiver.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from core.identifiers import CCCD_PATTERN, check_tax_code, is_cccd

API_PREFIX = "/api/v1"

# `<mã hồ sơ>-KQ<n>`: the dossier code is ASCII (agency code, yymmdd, sequence, e.g.
# 000.00.15.H56-200512-0001, or a provisional TAM.… code); it travels in the URL path, so no
# '/', spaces or other characters that would need escaping. 120 = the results table column.
RESULT_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*-KQ[1-9][0-9]{0,3}$"
# CCCD: 12 digits (3 province, 1 gender/century, 2 birth year, 6 serial). Legacy 9-digit CMND
# numbers are not identifiers in the warehouse: send null and keep the number in `fields`.
CITIZEN_ID_PATTERN = CCCD_PATTERN  # core.identifiers: the one CCCD shape
SHA256_PATTERN = r"^[0-9a-f]{64}$"

ResultCode = Annotated[str, Field(pattern=RESULT_CODE_PATTERN, max_length=120,
                                  examples=["000.00.15.H56-200512-0001-KQ1"])]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("signed_file_url must be an absolute http(s) URL")
    return value


class EventKind(StrEnum):
    PUSH = "push"
    REVOKE = "revoke"


class ResultStatus(StrEnum):
    STILL_VALID = "still_valid"
    SUPERSEDED = "superseded"  # a corrected (or re-keyed) version replaced it; kept for look-up
    REVOKED = "revoked"


class HolderKind(StrEnum):
    """Whose result it is, when no citizen ID names the holder (building permits, business households)."""

    CITIZEN = "citizen"  # identifier: the CCCD (also in citizen_id)
    HOUSEHOLD = "household"  # hộ kinh doanh: identifier is its registration number
    ORGANISATION = "organisation"  # identifier: tax code or business registration number
    AGENCY_HELD = "agency_held"  # no identifier on the paper: the keeping agency holds it for the named holder


class IdentifierKind(StrEnum):
    CCCD = "cccd"
    BUSINESS_REGISTRATION = "business_registration"
    TAX_CODE = "tax_code"


class Holder(BaseModel):
    """Whose result it is. An organisation is named by its tax code, which is also its enterprise
    code (mã số doanh nghiệp): 10 digits whose last is a check digit, or 10 digits, '-' and 3 for a
    dependent unit; the receiver refuses a number whose check digit is wrong."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: HolderKind
    name: Annotated[str | None, Field(max_length=300)] = None
    identifier: Annotated[str | None, Field(max_length=64)] = None
    identifier_kind: IdentifierKind | None = None

    @model_validator(mode="after")
    def _identifier_well_formed(self) -> Holder:
        if (self.identifier is None) != (self.identifier_kind is None):
            raise ValueError("identifier and identifier_kind go together")
        if self.identifier_kind is IdentifierKind.TAX_CODE and self.identifier and check_tax_code(self.identifier):
            raise ValueError(f"tax code {self.identifier!r}: {check_tax_code(self.identifier)}")
        if self.identifier_kind is IdentifierKind.CCCD and self.identifier and not is_cccd(self.identifier):
            raise ValueError("a CCCD is 12 digits")
        return self


def _as_utc(value: datetime) -> datetime:
    # Offsets are required on the wire in spirit (RFC 3339); a naive time is taken as UTC
    # because the pipeline stores UTC and SQLite drops the offset when reading it back.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class ResultPayload(BaseModel):
    """Body of `PUT /api/v1/results/{result_code}`: one signed electronic result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    result_code: ResultCode
    citizen_id: Annotated[str | None, Field(pattern=CITIZEN_ID_PATTERN, description="CCCD, 12 digits, or null")]
    document_type: Annotated[str, Field(min_length=1, max_length=64)]
    issuing_agency: Annotated[str, Field(min_length=1, max_length=300)]
    issue_date: date | None
    checksum_sha256: Annotated[str, Field(pattern=SHA256_PATTERN, description="SHA-256 of the signed PDF, hex")]
    signed_file_url: Annotated[str, Field(max_length=4096), AfterValidator(_http_url)]
    fields: dict[str, Any] = Field(description="structured content of the result (Art. 25.2.b)")
    converted_at: datetime = Field(description="Art. 25.3.c: the time of conversion")
    converter: Annotated[str, Field(min_length=1, max_length=300,
                                    description="Art. 25.3.c: full name of the converting body or person")]
    issuing_agency_code: Annotated[str | None, Field(max_length=100, description=(
        "code of the issuing agency in the national catalogue of agencies (mã định danh); "
        "`issuing_agency` is only its printed name"))] = None
    keeping_agency_code: Annotated[str | None, Field(max_length=100, description=(
        "code of the agency that kept the paper and converted it (mã định danh)"))] = None
    holder: Holder | None = Field(default=None, description=(
        "the holder when `citizen_id` is null: an organisation or household by its number, or agency-held"))
    provisional: bool = Field(default=False, description=(
        "the dossier code is a provisional TAM.… code (a legacy paper without mã hồ sơ); a later push "
        "under the real code supersedes this one"))
    supersedes: Annotated[str | None, Field(pattern=RESULT_CODE_PATTERN, max_length=120, description=(
        "the result this signed version replaces (a correction after signing, a re-digitisation or "
        "a re-keyed provisional code): the receiver marks that one `superseded` and links both"))] = None
    signed_pdf_base64: Annotated[str | None, Field(description=(
        "the signed PDF itself (base64), whose SHA-256 is `checksum_sha256`: the receiver keeps it, so "
        "the result opens years later without asking the sender. `signed_file_url` is the sender's "
        "durable look-up address, never a pre-signed store link"))] = None

    @field_validator("converted_at")
    @classmethod
    def _converted_at_utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    def idempotency_key(self) -> str:
        return idempotency_key(self.result_code, EventKind.PUSH, self.checksum_sha256)


class Revocation(BaseModel):
    """Body of `POST /api/v1/results/{result_code}/revocation` (Art. 15)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    revoked_at: datetime = Field(description="Art. 15: when the result lost its validity")
    reason: Annotated[str, Field(min_length=1, max_length=2000)]

    @field_validator("revoked_at")
    @classmethod
    def _revoked_at_utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    def checksum(self) -> str:
        """A revocation has no file: its 'checksum' is the SHA-256 of its canonical JSON."""
        body = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()


def idempotency_key(result_code: str, kind: EventKind | str, checksum: str) -> str:
    """`Idempotency-Key` header: result_code:kind:checksum (same as the outbox's key)."""
    return f"{result_code}:{EventKind(kind)}:{checksum}"


class PushAck(BaseModel):
    """201 (stored) or 200 (same checksum already stored: idempotent re-delivery)."""

    result_code: str
    status: ResultStatus
    checksum_sha256: str
    received_at: datetime
    already_stored: bool


class RevocationAck(BaseModel):
    """200 (revoked now or already) or 202 (tombstone: the push has not arrived yet)."""

    result_code: str
    status: Literal[ResultStatus.REVOKED] = ResultStatus.REVOKED
    revoked_at: datetime
    already_revoked: bool
    tombstone: bool


class StoredResult(BaseModel):
    """`GET /api/v1/results/{result_code}`: the acknowledgement / look-up record.

    Art. 15: a revoked result stays here with its revocation time and reason. A tombstone
    (revoked before any push arrived) has `result` null. A superseded result stays too, naming
    the version that replaced it. The stored result omits `signed_pdf_base64`: the file itself is
    `GET …/file` (`has_file`)."""

    result_code: str
    status: ResultStatus
    result: ResultPayload | None
    superseded_by: str | None = None
    supersedes: str | None = None
    has_file: bool = False
    received_at: datetime | None
    updated_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None


class ConflictReason(StrEnum):
    CHECKSUM_MISMATCH = "checksum_mismatch"
    REVOKED = "revoked"


class ErrorBody(BaseModel):
    detail: str
    reason: str | None = None


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    contract: str = API_PREFIX
