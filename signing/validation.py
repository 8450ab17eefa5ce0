"""Verify a signed result with two independent implementations (pyHanko and poppler's pdfsig)
and check that the conversion marker is present (Decree 45 Art. 14.3.c, Art. 25.3.c)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from core.text import nfc
from core.tools import ToolError
from signing._exec import pdfsig as _pdfsig
from signing._logs import quiet
from signing.keys import _same_name
from signing.marker import CONVERTER_LABEL, RESULT_CODE_LABEL, STATEMENT, SUPERSEDES_LABEL, TIME_LABEL


class SignatureStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"  # broken signature: digest mismatch, bad CMS, unreadable file
    REVOKED = "revoked"  # intact, but the signer's certificate was revoked (OCSP/CRL, embedded or fetched)
    MODIFIED = "modified"  # intact, but the file was changed after signing (incremental update)
    UNTRUSTED = "untrusted"  # intact, but the signer's chain does not reach a given trust root
    NO_SIGNATURE = "no_signature"
    NO_MARKER = "no_marker"  # signed, but the Art. 25.3.c marker text is missing
    # signed, but the marker's converter is not the signer: its name must equal the certificate
    # subject's organisation or common name (Art. 25.3.b; the same rule as signing's check_fit_for)
    CONVERTER_MISMATCH = "converter_mismatch"
    CHECK_FAILED = "check_failed"  # a checker could not run (tool missing, timeout): no verdict


# Worst first: the overall status is the worst one seen.
_SEVERITY = [SignatureStatus.INVALID, SignatureStatus.REVOKED, SignatureStatus.MODIFIED, SignatureStatus.NO_SIGNATURE,
             SignatureStatus.CONVERTER_MISMATCH, SignatureStatus.UNTRUSTED, SignatureStatus.CHECK_FAILED, SignatureStatus.NO_MARKER,
             SignatureStatus.VALID]


@dataclass(frozen=True)
class CheckOutcome:
    checker: str  # "pyhanko" | "pdfsig"
    status: SignatureStatus
    detail: str


@dataclass(frozen=True)
class VerificationReport:
    status: SignatureStatus
    signer: str | None
    signing_time: datetime | None
    marker_lines: list[str]
    checks: list[CheckOutcome]
    modification_level: str | None
    notes: list[str] = field(default_factory=list)
    level: str | None = None  # PAdES-B-B / B-T / B-LT, as found in the file
    timestamp_time: datetime | None = None  # from the signature timestamp token (B-T and up)
    timestamp_authority: str | None = None
    timestamp_ok: bool | None = None  # token intact and valid (trusted only if its root was given)
    revocation_embedded: bool = False  # DSS with OCSP responses / CRLs (B-LT)
    marker_fields: dict[str, str] = field(default_factory=dict)
    pdfa_problems: list[str] | None = None  # None: not checked; [] structural PDF/A-3b checks passed
    attachments: dict[str, str] = field(default_factory=dict)  # name -> AFRelationship

    @property
    def ok(self) -> bool:
        return self.status is SignatureStatus.VALID

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["status"] = str(self.status)
        d["signing_time"] = self.signing_time.isoformat() if self.signing_time else None
        d["timestamp_time"] = self.timestamp_time.isoformat() if self.timestamp_time else None
        d["checks"] = [{"checker": c.checker, "status": str(c.status), "detail": c.detail} for c in self.checks]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def _worst(statuses: Sequence[SignatureStatus]) -> SignatureStatus:
    return min(statuses, key=_SEVERITY.index) if statuses else SignatureStatus.NO_SIGNATURE


@dataclass(frozen=True)
class _PyHankoResult:
    outcome: CheckOutcome
    signer: str | None = None
    signing_time: datetime | None = None
    modification_level: str | None = None
    timestamp_time: datetime | None = None
    timestamp_authority: str | None = None
    timestamp_ok: bool | None = None
    revocation_embedded: bool = False
    signer_organization: str | None = None


def _quiet_pyhanko() -> contextlib.AbstractContextManager[None]:
    # pyHanko logs tracebacks for an unbuildable chain or a suspicious revision; the outcome says so.
    return quiet("pyhanko.sign.validation.generic_cms", "pyhanko.sign.diff_analysis")


def _load_roots(roots: Sequence[Path]):  # type: ignore[no-untyped-def]
    from pyhanko.keys import load_certs_from_pemder

    return list(load_certs_from_pemder([str(r) for r in roots]))


def _validation_context(reader, roots: list, fetch: bool):  # type: ignore[no-untyped-def]
    """Embedded revocation data (the DSS of a B-LT file) first; fetch from the CA only if allowed."""
    from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
    from pyhanko_certvalidator import ValidationContext

    kwargs = {"trust_roots": roots, "allow_fetching": fetch, "revocation_mode": "soft-fail"}
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return ValidationContext(**kwargs), False  # type: ignore[arg-type]
    return dss.as_validation_context(kwargs), bool(dss.ocsps or dss.crls)


def _check_pyhanko(path: Path, trust_roots: Sequence[Path], fetch_revocation: bool = True) -> _PyHankoResult:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    name = "pyhanko"
    try:
        roots = _load_roots(trust_roots) if trust_roots else []
    except Exception as exc:
        return _PyHankoResult(CheckOutcome(name, SignatureStatus.CHECK_FAILED, f"trust roots unreadable: {exc}"))
    try:
        with path.open("rb") as fh:
            reader = PdfFileReader(fh, strict=False)
            sigs = reader.embedded_regular_signatures
            if not sigs:
                return _PyHankoResult(CheckOutcome(name, SignatureStatus.NO_SIGNATURE, "no signature in the file"))
            # Revocation is only meaningful against a trust anchor: without roots, integrity only.
            vc, embedded = _validation_context(reader, roots, fetch_revocation and bool(roots))
            outcomes: list[CheckOutcome] = []
            first: _PyHankoResult | None = None
            for sig in sigs:
                with _quiet_pyhanko():
                    st = validate_pdf_signature(sig, signer_validation_context=vc, ts_validation_context=vc)
                level = st.modification_level.name if st.modification_level is not None else None
                cn = st.signing_cert.subject.native.get("common_name") if st.signing_cert else None
                org = st.signing_cert.subject.native.get("organization_name") if st.signing_cert else None
                coverage = st.coverage.name if st.coverage is not None else None
                ts = st.timestamp_validity
                facts = (f"field={sig.field_name} intact={st.intact} valid={st.valid} trusted={st.trusted} "
                         f"revoked={st.revoked} coverage={coverage} modification={level} "
                         f"timestamp={'yes' if ts else 'no'} revocation_embedded={embedded}")
                if not (st.intact and st.valid):
                    status = SignatureStatus.INVALID
                elif st.revoked:
                    status = SignatureStatus.REVOKED
                elif (st.coverage != SignatureCoverageLevel.ENTIRE_FILE or level not in (None, "NONE")
                      or st.docmdp_ok is False):
                    # Any revision after signing is a change to a signed result (Art. 14.3.c).
                    status = SignatureStatus.MODIFIED
                elif trust_roots and not st.trusted:
                    status = SignatureStatus.UNTRUSTED
                else:
                    status = SignatureStatus.VALID
                detail = facts if trust_roots else facts + "; chain not checked (no trust roots given)"
                outcomes.append(CheckOutcome(name, status, detail))
                if first is None:
                    tsa = None
                    if ts is not None and ts.signing_cert is not None:
                        tsa = ts.signing_cert.subject.native.get("common_name")
                    first = _PyHankoResult(outcomes[-1], cn, st.signer_reported_dt, level,
                                           ts.timestamp if ts else None, tsa,
                                           (ts.intact and ts.valid) if ts else None, embedded, org)
            assert first is not None
            overall = _worst([o.status for o in outcomes])
            detail = " | ".join(o.detail for o in outcomes)
            return _PyHankoResult(CheckOutcome(name, overall, detail), first.signer, first.signing_time,
                                  first.modification_level, first.timestamp_time, first.timestamp_authority,
                                  first.timestamp_ok, first.revocation_embedded, first.signer_organization)
    except (SignatureValidationError, SigningError, ValueError, KeyError, TypeError) as exc:
        # A corrupted file or CMS blob is a broken signature, not a crash.
        return _PyHankoResult(CheckOutcome(name, SignatureStatus.INVALID, f"{type(exc).__name__}: {exc}"))
    except OSError as exc:
        return _PyHankoResult(CheckOutcome(name, SignatureStatus.CHECK_FAILED, f"cannot read file: {exc}"))
    except Exception as exc:  # pyHanko's PdfReadError and friends
        return _PyHankoResult(CheckOutcome(name, SignatureStatus.INVALID, f"{type(exc).__name__}: {exc}"))


_CERT_OK = "Certificate is Trusted."
_CERT_REVOKED = "Certificate has been Revoked."
_CERT_UNTRUSTED = ("Certificate issuer isn't Trusted.", "Certificate issuer is unknown.")


def _check_pdfsig(path: Path, trust_roots: Sequence[Path]) -> CheckOutcome:
    name = "pdfsig"
    try:
        report = _pdfsig.check(path, trust_roots)
    except ToolError as exc:
        return CheckOutcome(name, SignatureStatus.CHECK_FAILED, str(exc))
    if report.no_signatures:
        return CheckOutcome(name, SignatureStatus.NO_SIGNATURE, report.raw.strip()[-300:] or "no signature")
    statuses: list[SignatureStatus] = []
    details: list[str] = []
    for s in report.signatures:
        facts = (f"field={s.field_name} signature={s.signature_validation!r} "
                 f"certificate={s.certificate_validation!r} total_document_signed={s.total_document_signed}")
        if s.signature_validation != "Signature is Valid.":
            st = SignatureStatus.INVALID
        elif s.total_document_signed is not True:
            st = SignatureStatus.MODIFIED
        elif not trust_roots:
            st = SignatureStatus.VALID
            facts += "; chain not checked (no trust roots given)"
        elif s.certificate_validation == _CERT_OK:
            st = SignatureStatus.VALID
        elif s.certificate_validation == _CERT_REVOKED:
            st = SignatureStatus.REVOKED
        elif s.certificate_validation in _CERT_UNTRUSTED:
            st = SignatureStatus.UNTRUSTED
        else:  # revoked, expired, "Unknown issue…": the chain does not validate
            st = SignatureStatus.UNTRUSTED
        statuses.append(st)
        details.append(facts)
    return CheckOutcome(name, _worst(statuses), " | ".join(details))


_MARKER_PREFIXES = (STATEMENT, f"{TIME_LABEL}:", f"{CONVERTER_LABEL}:", f"{RESULT_CODE_LABEL}:",
                    f"{SUPERSEDES_LABEL}:")


def extract_marker_lines(text: str) -> list[str]:
    found: list[str] = []
    for raw in nfc(text).splitlines():
        line = " ".join(raw.split())
        if line.startswith(_MARKER_PREFIXES) and line not in found:
            found.append(line)
    return found


def marker_lines_of(path: Path) -> list[str]:
    """The marker lines of a PDF (empty when its text cannot be extracted)."""
    from ocr._exec import poppler  # here, as in verify_pdf: importing ocr is not free
    from ocr.errors import OcrError

    try:
        return extract_marker_lines(poppler.text(path, file=path.name))
    except OcrError:  # pdftotext missing, timed out, or refusing the file
        return []


def _marker_complete(lines: list[str]) -> bool:
    # Decree 137 Art. 4.1.a: statement, time of conversion and converter's full name are all required.
    return all(any(line.startswith(p) for line in lines) for p in _MARKER_PREFIXES[:3])


_FIELD_KEYS = {TIME_LABEL: "converted_at", CONVERTER_LABEL: "converter", RESULT_CODE_LABEL: "result_code",
               SUPERSEDES_LABEL: "supersedes"}


def marker_fields(lines: list[str]) -> dict[str, str]:
    """The marker lines as named fields: statement, converted_at, converter, result_code."""
    out: dict[str, str] = {}
    for line in lines:
        if line == STATEMENT:
            out["statement"] = line
            continue
        label, _, value = line.partition(":")
        key = _FIELD_KEYS.get(label.strip())
        if key and key not in out:
            out[key] = value.strip()
    return out


def _level(ph: _PyHankoResult) -> str | None:
    if ph.outcome.status in (SignatureStatus.NO_SIGNATURE, SignatureStatus.CHECK_FAILED):
        return None
    if ph.timestamp_time is None:
        return "PAdES-B-B"
    return "PAdES-B-LT" if ph.revocation_embedded else "PAdES-B-T"


def verify_pdf(path: Path, trust_roots: Sequence[Path] = (), *, fetch_revocation: bool = True) -> VerificationReport:
    """Two independent checks of the signature, the marker, and the PDF/A-3b structure.

    ``fetch_revocation``: with trust roots, ask the certificates' OCSP responders / CRLs when the
    file does not embed revocation data (B-LT files are checked from their own DSS)."""
    from ocr._exec import poppler  # here: importing ocr costs ~0.3 s, and only verification needs it
    from ocr.errors import OcrError
    from signing._pdfa import check_pdfa

    path = Path(path)
    roots = [Path(r) for r in trust_roots]
    notes: list[str] = []
    ph = _check_pyhanko(path, roots, fetch_revocation)
    ps = _check_pdfsig(path, roots)
    if not roots:
        notes.append("chuỗi chứng thư không được kiểm tra / chain not checked: no trust roots given")
    try:
        marker_lines = extract_marker_lines(poppler.text(path, file=path.name))
    except OcrError as exc:  # pdftotext missing, timed out, or refusing the file
        marker_lines = []
        notes.append(f"không trích xuất được dấu hiệu / marker not extracted: {exc}")
    checks = [ph.outcome, ps]
    status = _worst([c.status for c in checks])
    if status is SignatureStatus.VALID and not _marker_complete(marker_lines):
        status = SignatureStatus.NO_MARKER
    converter_line = next((x for x in marker_lines if x.startswith(f"{CONVERTER_LABEL}:")), None)
    signer_names = [n for n in (ph.signer_organization, ph.signer) if n]
    if signer_names and converter_line:
        # Equal, not contained: "a" or "Khánh Hòa" is in many subjects (issue 17, finding 4).
        converter = _same_name(converter_line.split(":", 1)[1])
        if converter not in {_same_name(n) for n in signer_names}:
            notes.append(f"người ký ({' / '.join(signer_names)}) khác đơn vị chuyển đổi ({converter}) / "
                         "the marker's converter is not the certificate subject's organisation or common name")
            if status is SignatureStatus.VALID or status is SignatureStatus.UNTRUSTED:
                status = SignatureStatus.CONVERTER_MISMATCH
    if ph.timestamp_ok is False:
        notes.append("dấu thời gian không hợp lệ / signature timestamp token is not valid")
    pdfa_problems: list[str] | None = None
    attachments: dict[str, str] = {}
    try:
        pdfa = check_pdfa(path.read_bytes())
        pdfa_problems, attachments = pdfa.problems, pdfa.attachments
        if pdfa.malformed:
            # A file whose structure is broken (an /AF holding null...) is not a valid result, whatever
            # its signature says: the reason comes first, on one line (issue 17, finding 8).
            notes.insert(0, "tệp PDF hỏng cấu trúc / malformed PDF: " + "; ".join(pdfa.malformed))
            status = SignatureStatus.INVALID
        elif pdfa.problems:
            # Archival form is a storage requirement (Art. 17), not part of the signature verdict.
            notes.append("không đạt PDF/A-3b / not PDF/A-3b: " + "; ".join(pdfa.problems))
    except OSError as exc:
        notes.append(f"không kiểm tra được PDF/A / PDF/A not checked: {exc}")
    return VerificationReport(status=status, signer=ph.signer, signing_time=ph.signing_time,
                              marker_lines=marker_lines, checks=checks, modification_level=ph.modification_level,
                              notes=notes, level=_level(ph), timestamp_time=ph.timestamp_time,
                              timestamp_authority=ph.timestamp_authority, timestamp_ok=ph.timestamp_ok,
                              revocation_embedded=ph.revocation_embedded, marker_fields=marker_fields(marker_lines),
                              pdfa_problems=pdfa_problems, attachments=attachments)
