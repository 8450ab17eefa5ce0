"""PDF/A-3b assembly with the structured fields as an associated file (Decree 45 Art. 25.2: both
methods travel in one archival file). veraPDF is not available here: these are structural checks."""

from __future__ import annotations

import io
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pikepdf
import pytest

from signing import ConversionMarker, KeySource, sign_result
from signing._pdfa import check_pdfa, make_pdfa

from .conftest import SCAN_DPI, Signed, make_scan

FIELDS = {"result_code": "X-KQ1", "document_type": "quyet_dinh",
          "fields": {"document_number": "1234/QĐ-UBND", "signer_name": "Nguyễn Văn Ánh"}}


@pytest.fixture(scope="module")
def with_fields(key: KeySource, marker: ConversionMarker, tmp_path_factory: pytest.TempPathFactory) -> Path:
    payload = json.dumps(FIELDS, ensure_ascii=False).encode()
    result = sign_result([make_scan()], marker, key, dpi=SCAN_DPI, attachments={"fields.json": payload})
    path = tmp_path_factory.mktemp("pdfa") / "signed.pdf"
    path.write_bytes(result.pdf)
    return path


def test_signed_result_is_pdfa3b_by_structure(with_fields: Path) -> None:
    check = check_pdfa(with_fields.read_bytes())
    assert check.ok, check.problems
    assert check.attachments == {"fields.json": "Data"}
    assert any("veraPDF" in n for n in check.not_checked)  # says what remains unverified


def test_xmp_identification_and_output_intent(with_fields: Path) -> None:
    with pikepdf.open(with_fields) as pdf:
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "B")
        assert meta["dc:creator"] == ["Trung tâm Phục vụ hành chính công tỉnh Khánh Hòa"]
        # Info and XMP still agree after pyHanko's incremental update (ISO 19005-3 6.6.3).
        assert str(pdf.docinfo["/Producer"]) == meta["pdf:Producer"]
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1" and "sRGB" in str(intent.OutputConditionIdentifier)
        icc = intent.DestOutputProfile.read_bytes()
        assert icc[36:40] == b"acsp" and icc[16:20] == b"RGB "  # an ICC profile for an RGB device
        assert "/Encrypt" not in pdf.trailer
        assert pdf.pdf_version >= "1.7"


def test_fields_json_is_an_associated_file_with_mime_and_dates(with_fields: Path) -> None:
    with pikepdf.open(with_fields) as pdf:
        (spec,) = pdf.Root.AF
        assert spec.AFRelationship == "/Data" and str(spec.UF) == "fields.json"
        stream = spec.EF.F
        assert stream.Subtype == "/application/json"
        assert int(stream.Params.Size) == len(stream.read_bytes()) and "/ModDate" in stream.Params
        assert json.loads(stream.read_bytes()) == FIELDS  # method (b) data intact, diacritics included
    out = subprocess.run(["pdfdetach", "-list", str(with_fields)], capture_output=True, text=True, check=True).stdout
    assert "fields.json" in out  # poppler sees it too


def test_fonts_embedded_per_pdffonts(with_fields: Path) -> None:
    out = subprocess.run(["pdffonts", str(with_fields)], capture_output=True, text=True, check=True).stdout
    rows = [r.split() for r in out.splitlines()[2:]]
    assert rows and all(r[-5] == "yes" for r in rows), out


def test_check_flags_what_is_not_pdfa(tmp_path: Path) -> None:
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf)
    c.setFont("Helvetica", 12)  # a base-14 font: never embedded
    c.drawString(72, 720, "plain")
    c.showPage()
    c.save()
    plain = check_pdfa(buf.getvalue())
    assert not plain.ok
    text = " ".join(plain.problems)
    assert "pdfaid:part" in text and "OutputIntent" in text and "not embedded" in text

    pdfa = make_pdfa(buf.getvalue(), title="t", author="a", subject="s", created=datetime(2026, 1, 1, tzinfo=UTC),
                     attachments={"fields.json": b"{}"})
    assert check_pdfa(pdfa).problems == ["page 1: font /F1 (/Helvetica) not embedded"]
    with pikepdf.open(io.BytesIO(pdfa)) as pdf:
        pdf.docinfo["/Producer"] = "someone else"  # Info no longer matches XMP
        del pdf.Root.AF  # an attachment that is not an associated file
        edited, encrypted = io.BytesIO(), io.BytesIO()
        pdf.save(edited)
        pdf.save(encrypted, encryption=pikepdf.Encryption(owner="o", user=""))
    problems = " ".join(check_pdfa(edited.getvalue()).problems)
    assert "Producer" in problems and "not an associated file" in problems
    assert "encrypted" in " ".join(check_pdfa(encrypted.getvalue()).problems)


def test_size_overhead_of_pdfa_and_attachment_is_small(key: KeySource, marker: ConversionMarker,
                                                       signed: Signed) -> None:
    """PDF/A (ICC profile + XMP) and fields.json cost a few KB per result, not a second copy."""
    with pikepdf.open(io.BytesIO(signed.result.pdf)) as pdf:
        icc = len(pdf.Root.OutputIntents[0].DestOutputProfile.read_raw_bytes())
        xmp = len(pdf.Root.Metadata.read_raw_bytes())
    print(f"\nPDF/A overhead: ICC {icc} B, XMP {xmp} B; signed one-page result {len(signed.result.pdf)} B")
    assert icc + xmp < 8 * 1024


def test_unsigned_result_passes_pikepdf_allowlist_validator(marker: ConversionMarker) -> None:
    """pikepdf.pdfa approves only what it knows conforms: a 'pass' is a real PDF/A-3b verdict for
    the assembled file (two pages, colour and grey scans, text layer, fields.json)."""
    from signing import assemble_pdf
    from signing._pdfa import allowlist_validate

    pdf = assemble_pdf([make_scan(), make_scan().convert("L")], marker, dpi=SCAN_DPI,
                       text_layers=["QUYẾT ĐỊNH\nVề việc cấp phép", ""], attachments={"fields.json": b'{"a": 1}'})
    verdict, violations, unsupported = allowlist_validate(pdf)
    assert (verdict, violations, unsupported) == ("pass", [], [])


def test_signed_result_has_no_violation_only_unchecked_signature_parts(with_fields: Path) -> None:
    check = check_pdfa(with_fields.read_bytes())
    assert check.allowlist_verdict == "not_checked" and check.problems == []
    # What the allowlist leaves open after signing is the signature's own machinery; reported, not hidden.
    assert any("/AcroForm" in n for n in check.not_checked)
