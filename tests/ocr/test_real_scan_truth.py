"""The real scans in the repository and their field transcriptions (tests/data/real-scans/truth.json):
every scan has one well-formed entry, and the development / held-out split is the project's."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import unicodedata

import pytest

from core.real_scans import REAL_SCANS, RealDocument, real_document, real_documents
from core.shared import real_scans_dir

# The split of the project brief; changing it silently would leak held-out pages into tuning.
HELD_OUT = {
    *(f"bgddt-qd-{n}.pdf" for n in range(6, 11)),
    "laocai-Phieu-trinh-tham-dinh-1.pdf", "laocai-Phieu-trinh.pdf", "laocai-QD-2336-2026-CTDT-KCN-Phu-Xuan.pdf",
    "laocai-QD-26-QD-XPVPHC-2026-Cuc-Hoa-chat-xu-phat-TNHH-TM-Hai-Dang.pdf",
    "laocai-Quyet-dinh-phe-duyet_TKBVTC_kho.pdf", "laocai-VD-BoCT-cap-GP-Cty-TQ.pdf",
    "laocai-VD-BoKHCN-cap-GP-Cty-TQ.pdf",
}
FIELDS = {"kind", "title", "document_number", "issue_date", "place", "issuing_body", "summary",
          "signer_authority", "signer_name", "signature_page"}


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def test_every_scan_in_the_folder_is_transcribed_once() -> None:
    scans = sorted(p.name for p in REAL_SCANS.iterdir() if p.suffix in (".pdf", ".jpg"))
    assert len(scans) == 27
    assert [d.file for d in real_documents()] == scans
    assert real_scans_dir() == REAL_SCANS  # tests and the bench read this copy, never ../shared


def test_split_is_the_projects() -> None:
    assert {d.file for d in real_documents("heldout")} == HELD_OUT
    assert len(real_documents("dev")) == 15
    with pytest.raises(ValueError):
        real_documents("test")  # type: ignore[arg-type]


@pytest.mark.parametrize("doc", real_documents(), ids=lambda d: d.file)
def test_entry_is_well_formed(doc: RealDocument) -> None:
    t = doc.truth
    if doc.path.suffix == ".pdf":
        info = subprocess.run(["pdfinfo", str(doc.path)], capture_output=True, text=True, check=True).stdout
        assert int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1)) == doc.pages  # type: ignore[union-attr]
    else:
        assert doc.pages == 1
    assert dt.date.fromisoformat(t["issue_date"])  # every document here has a date
    assert all(unicodedata.is_normalized("NFC", s) for s in _strings(t))
    assert t["kind"] == t["kind"].upper() and (t["title"] is None) == (t["kind"] == "CÔNG VĂN")
    if t["document_number"] is not None:
        assert " " not in t["document_number"] and "/" in t["document_number"]
    assert t["issuing_body"] is None or all(line == line.upper() for line in t["issuing_body"])
    assert 1 <= t["signature_page"] <= doc.pages
    assert t["signer_name"] in [s["name"] for s in t["signers"]]
    for marked in ("handwritten", "stamped", "uncertain"):
        assert set(t[marked]) <= FIELDS, marked
        assert all(t[name] is not None for name in t[marked])
    assert not set(t["handwritten"]) & set(t["stamped"])


def test_the_letter_with_a_handwritten_day() -> None:
    """1.pdf: "Đà Nẵng, ngày 31 tháng 5 năm 2019" with 1595 and 31 written by hand."""
    doc = real_document("1.pdf")
    assert doc.split == "dev" and doc.truth["issue_date"] == "2019-05-31"
    assert doc.truth["document_number"] == "1595/SGDĐT-CTrTT"
    assert doc.handwritten == {"document_number", "issue_date"}
    assert "Đà Nẵng, ngày 31 tháng 5 năm 2019" in (REAL_SCANS / "1-p1.truth.txt").read_text(encoding="utf-8")
    with pytest.raises(KeyError):
        real_document("missing.pdf")
