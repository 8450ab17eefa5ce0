from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from reportlab.pdfgen.canvas import Canvas

from signing import KeySource, SignatureStatus, sign_pdf, verify_pdf
from signing._exec import pdfsig
from signing.pki import TestPki

from .conftest import CONVERTER, Signed

pytestmark = pytest.mark.integration  # real pdfsig, real NSS


def _by_checker(report) -> dict[str, SignatureStatus]:  # type: ignore[no-untyped-def]
    return {c.checker: c.status for c in report.checks}


def test_signed_result_valid_for_pyhanko_and_pdfsig(signed: Signed, pki: TestPki) -> None:
    report = verify_pdf(signed.path, [pki.root_cert_pem])
    assert report.status is SignatureStatus.VALID, report
    assert _by_checker(report) == {"pyhanko": SignatureStatus.VALID, "pdfsig": SignatureStatus.VALID}
    assert report.signer == CONVERTER
    assert report.modification_level == "NONE"
    assert report.signing_time is not None and report.signing_time.tzinfo is not None
    assert report.signing_time == signed.result.signed_at
    assert report.marker_lines == signed.marker.lines()
    assert report.notes == []


def test_without_trust_roots_integrity_only(signed: Signed) -> None:
    report = verify_pdf(signed.path)
    assert report.status is SignatureStatus.VALID
    assert any("chain not checked" in n for n in report.notes)
    assert all("chain not checked" in c.detail for c in report.checks)


def test_untrusted_root(signed: Signed, other_pki: TestPki) -> None:
    report = verify_pdf(signed.path, [other_pki.root_cert_pem])
    assert report.status is SignatureStatus.UNTRUSTED
    assert _by_checker(report) == {"pyhanko": SignatureStatus.UNTRUSTED, "pdfsig": SignatureStatus.UNTRUSTED}


def test_flipped_byte_in_signed_range_is_invalid_for_both(signed: Signed, pki: TestPki, tmp_path: Path) -> None:
    data = bytearray(signed.result.pdf)
    jpeg_at = data.index(b"\xff\xd8\xff")  # inside the scan: first signed range, PDF syntax untouched
    data[jpeg_at + 2000] ^= 0x01
    path = tmp_path / "tampered.pdf"
    path.write_bytes(bytes(data))
    raw = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
    assert raw.returncode == 0 and "Digest Mismatch" in raw.stdout  # why its exit code is never trusted
    report = verify_pdf(path, [pki.root_cert_pem])
    assert report.status is SignatureStatus.INVALID
    assert _by_checker(report) == {"pyhanko": SignatureStatus.INVALID, "pdfsig": SignatureStatus.INVALID}
    assert "Digest Mismatch" in next(c.detail for c in report.checks if c.checker == "pdfsig")


def _append_annotation(pdf: bytes) -> bytes:
    """What a careless editor does: an incremental update adding an annotation after signing."""
    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page_ref = w.root["/Pages"]["/Kids"].raw_get(0)
    page = page_ref.get_object()
    annot = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/Text"),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.FloatObject(v) for v in (10, 10, 30, 30)]),
        generic.NameObject("/Contents"): generic.TextStringObject("sửa sau khi ký"),
    })
    page[generic.NameObject("/Annots")] = generic.ArrayObject([w.add_object(annot)])
    w.mark_update(page_ref)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def test_incremental_update_after_signing_is_modified(signed: Signed, pki: TestPki, tmp_path: Path) -> None:
    path = tmp_path / "updated.pdf"
    path.write_bytes(_append_annotation(signed.result.pdf))
    raw = pdfsig.check(path, [pki.root_cert_pem]).signatures[0]
    # pdfsig: the signature itself still verifies, but it no longer covers the whole file.
    assert raw.signature_validation == "Signature is Valid." and raw.total_document_signed is False
    report = verify_pdf(path, [pki.root_cert_pem])
    assert report.status is SignatureStatus.MODIFIED
    assert _by_checker(report) == {"pyhanko": SignatureStatus.MODIFIED, "pdfsig": SignatureStatus.MODIFIED}
    assert report.modification_level not in (None, "NONE")


def test_signed_without_marker_is_no_marker(key: KeySource, pki: TestPki, tmp_path: Path) -> None:
    buf = io.BytesIO()
    c = Canvas(buf)
    c.drawString(100, 700, "plain page")
    c.showPage()
    c.save()
    path = tmp_path / "nomarker.pdf"
    path.write_bytes(sign_pdf(buf.getvalue(), key))
    report = verify_pdf(path, [pki.root_cert_pem])
    assert _by_checker(report) == {"pyhanko": SignatureStatus.VALID, "pdfsig": SignatureStatus.VALID}
    assert report.status is SignatureStatus.NO_MARKER and report.marker_lines == []


def test_unsigned_and_garbage_files(tmp_path: Path) -> None:
    buf = io.BytesIO()
    c = Canvas(buf)
    c.showPage()
    c.save()
    unsigned = tmp_path / "unsigned.pdf"
    unsigned.write_bytes(buf.getvalue())
    assert verify_pdf(unsigned).status is SignatureStatus.NO_SIGNATURE
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.7\nnot really a pdf\n")
    report = verify_pdf(garbage)
    assert report.status is not SignatureStatus.VALID
    assert all(c.detail for c in report.checks)


# --- the pdfsig seam under faults: a clear outcome, never a crash --------------------------------

def test_pdfsig_missing_binary(signed: Signed, pki: TestPki, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdfsig, "PDFSIG", "/nonexistent/pdfsig")
    report = verify_pdf(signed.path, [pki.root_cert_pem])
    outcome = next(c for c in report.checks if c.checker == "pdfsig")
    assert outcome.status is SignatureStatus.CHECK_FAILED and "not found" in outcome.detail
    assert report.status is SignatureStatus.CHECK_FAILED  # never VALID with a checker missing


def test_pdfsig_timeout(signed: Signed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = tmp_path / "pdfsig"
    slow.write_text("#!/bin/sh\nsleep 10\n")
    slow.chmod(0o755)
    monkeypatch.setattr(pdfsig, "PDFSIG", str(slow))
    monkeypatch.setattr(pdfsig, "TIMEOUT", 0.3)
    outcome = next(c for c in verify_pdf(signed.path).checks if c.checker == "pdfsig")
    assert outcome.status is SignatureStatus.CHECK_FAILED and "timed out" in outcome.detail


def test_pdfsig_crash_without_report(signed: Signed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "pdfsig"
    broken.write_text("#!/bin/sh\necho 'Segmentation fault' >&2\nexit 139\n")
    broken.chmod(0o755)
    monkeypatch.setattr(pdfsig, "PDFSIG", str(broken))
    outcome = next(c for c in verify_pdf(signed.path).checks if c.checker == "pdfsig")
    assert outcome.status is SignatureStatus.CHECK_FAILED and "139" in outcome.detail


def test_pdfsig_parser() -> None:
    out = """Digital Signature Info of: x.pdf
Signature #1:
  - Signature Field Name: A
  - Signer Certificate Common Name: Ủy ban nhân dân
  - Signed Ranges: [0 - 10], [20 - 30]
  - Not total document signed
  - Signature Validation: Digest Mismatch.
  - Certificate Validation: Certificate issuer isn't Trusted.
Signature #2:
  - Signature Field Name: B
  - Total document signed
  - Signature Validation: Signature is Valid.
"""
    r = pdfsig.parse(out)
    assert [s.field_name for s in r.signatures] == ["A", "B"]
    assert r.signatures[0].signer_cn == "Ủy ban nhân dân"
    assert r.signatures[0].total_document_signed is False and r.signatures[1].total_document_signed is True
    assert r.signatures[0].signature_validation == "Digest Mismatch."
    assert r.signatures[1].certificate_validation is None
    assert pdfsig.parse("File 'x.pdf' does not contain any signatures\n").no_signatures
    assert pdfsig.parse("").no_signatures


def test_issue17_4_a_marker_naming_another_converter_is_not_valid(key: KeySource, pki: TestPki, marker,  # type: ignore[no-untyped-def]
                                                                   tmp_path: Path) -> None:
    """Signing refuses `--converter a` (tests/signing/test_agencies.py, exit 5); a file made some other
    way — an older version, a hand-built marker — must not verify either: 'a' is part of the subject's
    name, not the name."""
    from dataclasses import replace

    from signing import sign_result
    from sohoa.cli import main

    from .conftest import SCAN_DPI, make_scan

    for converter, expected in (("a", SignatureStatus.CONVERTER_MISMATCH),
                                ("Khánh Hòa", SignatureStatus.CONVERTER_MISMATCH),
                                (f"  {CONVERTER} ", SignatureStatus.VALID)):  # spacing is not a name
        result = sign_result([make_scan()], replace(marker, converter=converter), key, dpi=SCAN_DPI)
        path = tmp_path / "forged.pdf"
        path.write_bytes(result.pdf)
        report = verify_pdf(path, [pki.root_cert_pem], fetch_revocation=False)
        assert report.status is expected, (converter, report)
        assert main(["verify", str(path), "--trust", str(pki.root_cert_pem), "--offline"]) == (
            0 if expected is SignatureStatus.VALID else 4)


# --- issue 17, finding 8: malformed PDFs are invalid with a reason, never a traceback -------------------

def _broken_pdfs(folder: Path) -> dict[str, Path]:
    """A corpus of broken files: nulls and wrong types where attachments and markers are read,
    truncation, a wrong xref, a page tree that contains itself, an object claiming a huge length."""
    import pikepdf

    buf = io.BytesIO()
    c = Canvas(buf)
    c.drawString(100, 700, "x")
    c.showPage()
    c.save()
    base = buf.getvalue()
    out: dict[str, Path] = {}

    def edit(name: str, change) -> None:  # type: ignore[no-untyped-def]
        with pikepdf.open(io.BytesIO(base)) as doc:
            change(doc)
            b = io.BytesIO()
            doc.save(b)
        out[name] = folder / name
        out[name].write_bytes(b.getvalue())

    def params_wrong(doc) -> None:  # type: ignore[no-untyped-def]
        st = doc.make_stream(b"{}")
        st.Subtype, st.Params = pikepdf.Name("/application#2Fjson"), pikepdf.Array([None])
        doc.Root.AF = pikepdf.Array([doc.make_indirect(pikepdf.Dictionary(
            F=pikepdf.String("a.json"), AFRelationship=pikepdf.Name.Data, EF=pikepdf.Dictionary(F=st)))])
        doc.Root.Names = pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(
            Names=pikepdf.Array([pikepdf.String("a.json"), None])))

    edit("af-null.pdf", lambda d: setattr(d.Root, "AF", pikepdf.Array([None])))
    edit("af-number.pdf", lambda d: setattr(d.Root, "AF", 5))
    edit("af-string.pdf", lambda d: setattr(d.Root, "AF", pikepdf.Array([pikepdf.String("x")])))
    edit("ef-wrong.pdf", lambda d: setattr(d.Root, "AF", pikepdf.Array([pikepdf.Dictionary(EF=pikepdf.Array([None]))])))
    edit("params-and-names-wrong.pdf", params_wrong)
    edit("output-intents-null.pdf", lambda d: setattr(d.Root, "OutputIntents", pikepdf.Array([None, 3])))
    edit("fonts-wrong.pdf", lambda d: setattr(d.pages[0].obj, "Resources", pikepdf.Dictionary(Font=pikepdf.Dictionary(
        F1=pikepdf.Dictionary(Subtype=pikepdf.Name.Type0, DescendantFonts=pikepdf.Array())))))
    edit("metadata-garbage.pdf", lambda d: setattr(d.Root, "Metadata", d.make_stream(b"<x:xmpmeta><<<not xml")))
    raw = {"truncated.pdf": base[: len(base) // 2], "empty.pdf": b"",
           "wrong-xref.pdf": base.replace(b"startxref\n", b"startxref\n9").replace(b"xref\n0 ", b"xref\n7 "),
           "kids-cycle.pdf": base.replace(b"/Kids [", b"/Kids [ 1 0 R "),
           "huge-object.pdf": base.replace(b"%%EOF", b"99 0 obj\n<< /Length 999999999999 >>\nstream\nxx\n"
                                                    b"endstream\nendobj\n%%EOF")}
    for name, data in raw.items():
        out[name] = folder / name
        out[name].write_bytes(data)
    return out


def test_issue17_8_verify_reports_malformed_pdfs_as_invalid_without_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sohoa.cli import main

    corpus = _broken_pdfs(tmp_path)
    for name, path in corpus.items():
        report = verify_pdf(path, fetch_revocation=False)
        assert report.status is not SignatureStatus.VALID, name
        capsys.readouterr()
        assert main(["verify", str(path), "--offline"]) == 4, name
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err and "Lỗi không mong đợi" not in err, (name, err)
    # the structural ones name what is wrong, on the note line
    for name, reason in (("af-null.pdf", "/AF entry 0 is null, not a file specification"),
                         ("af-number.pdf", "/AF is int, not an array"),
                         ("af-string.pdf", "/AF entry 0 is string")):
        report = verify_pdf(corpus[name], fetch_revocation=False)
        assert report.status is SignatureStatus.INVALID and reason in report.notes[0], (name, report.notes)
    assert main(["verify", str(corpus["af-null.pdf"]), "--offline", "--format", "json"]) == 4
    assert '"status": "invalid"' in capsys.readouterr().out


def test_issue17_8_an_intact_signature_over_a_null_attachment_is_still_invalid(key: KeySource, pki: TestPki,
                                                                              tmp_path: Path) -> None:
    """The signature covers the broken /AF: both checkers find it intact, the file is still refused."""
    import pikepdf

    buf = io.BytesIO()
    c = Canvas(buf)
    c.drawString(100, 700, "x")
    c.showPage()
    c.save()
    with pikepdf.open(io.BytesIO(buf.getvalue())) as doc:
        doc.Root.AF = pikepdf.Array([None])
        broken = io.BytesIO()
        doc.save(broken)
    path = tmp_path / "signed-null-af.pdf"
    path.write_bytes(sign_pdf(broken.getvalue(), key))
    report = verify_pdf(path, [pki.root_cert_pem], fetch_revocation=False)
    assert _by_checker(report) == {"pyhanko": SignatureStatus.VALID, "pdfsig": SignatureStatus.VALID}
    assert report.status is SignatureStatus.INVALID and "malformed" in report.notes[0]
