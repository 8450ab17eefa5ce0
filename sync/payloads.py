"""The push body of one stored result (the outbox `push` event), built from the system of record.

Decree 45 Art. 16.2.b: the warehouse holds the result or a link to it. The link sent is durable:
the look-up address of this system (`<public_url>/tra-cuu/<code>/tai-ve`), never a pre-signed link
to the internal S3 host that expires in a week; the file itself is attached when the event is
delivered (`sync.outbox`), so the warehouse keeps its own copy.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from core.identifiers import is_cccd, is_tax_code
from core.settings import Settings
from sync.contract import HolderKind, IdentifierKind

DOWNLOAD_SUFFIX = "tai-ve"  # /tra-cuu/<code>/tai-ve: the signed PDF (web/lookup_pages.py)


def lookup_url(settings: Settings, result_code: str) -> str:
    """The public look-up page of a result: what the QR code and the print's look-up line name."""
    return f"{settings.lookup_base()}/{quote(result_code, safe='')}"


def durable_file_url(settings: Settings, result_code: str) -> str:
    """The permanent download address of a signed result, served by this system's web app."""
    return f"{settings.public_url.rstrip('/')}/tra-cuu/{quote(result_code, safe='')}/{DOWNLOAD_SUFFIX}"


def holder_of(fields: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """(citizen_id, holder): a CCCD names a citizen; a registration number a household business; a
    tax code an organisation; otherwise the keeping agency holds the result for the named holder."""
    def value(name: str) -> str | None:
        v = fields.get(name)
        return v.strip() if isinstance(v, str) and v.strip() else None

    name = value("holder_name") or value("business_name") or value("organisation_name")
    citizen_id = value("holder_id_number")
    if citizen_id and is_cccd(citizen_id):
        return citizen_id, {"kind": HolderKind.CITIZEN, "name": name, "identifier": citizen_id,
                            "identifier_kind": IdentifierKind.CCCD}
    # An old 9-digit CMND is no warehouse identifier; it stays in `fields`. Nor is a tax code whose
    # check digit is wrong (core.identifiers.check_tax_code): it would file the result under another company.
    tax_code = value("tax_code")
    if tax_code and is_tax_code(tax_code):
        organisation = value("organisation_name") or name
        return None, {"kind": HolderKind.ORGANISATION, "name": organisation,
                      "identifier": re.sub(r"[\s.]", "", tax_code), "identifier_kind": IdentifierKind.TAX_CODE}
    if value("registration_number"):
        kind = HolderKind.HOUSEHOLD if value("business_name") else HolderKind.ORGANISATION
        return None, {"kind": kind, "name": name, "identifier": value("registration_number"),
                      "identifier_kind": IdentifierKind.BUSINESS_REGISTRATION}
    return None, {"kind": HolderKind.AGENCY_HELD, "name": name, "identifier": None, "identifier_kind": None}


def push_payload(settings: Settings, *, result_code: str, document_type: str, fields: dict[str, Any],
                 signed_sha256: str, converted_at: datetime, converter: str, keeping_agency_code: str,
                 issuing_agency_code: str | None = None, provisional: bool = False,
                 supersedes: str | None = None) -> dict[str, Any]:
    """The JSON of `sync.contract.ResultPayload` for one result (`fields`: name -> value)."""
    citizen_id, holder = holder_of(fields)
    issued = fields.get("issue_date")
    return {
        "result_code": result_code, "citizen_id": citizen_id, "document_type": document_type,
        # The printed name; the agency itself travels by its catalogue code.
        "issuing_agency": fields.get("issuing_authority") or keeping_agency_code,
        "issuing_agency_code": issuing_agency_code, "keeping_agency_code": keeping_agency_code,
        "issue_date": _iso_date(issued),
        "checksum_sha256": signed_sha256, "signed_file_url": durable_file_url(settings, result_code),
        "fields": fields, "converted_at": converted_at.isoformat(), "converter": converter,
        "holder": {k: (str(v) if v is not None else None) for k, v in holder.items()},
        "provisional": provisional, "supersedes": supersedes,
    }


def _iso_date(text: Any) -> str | None:
    try:
        return date.fromisoformat(text).isoformat() if isinstance(text, str) else None
    except ValueError:
        return None
