"""Sample scans: deterministic, Decree 30 layout, ground truth that matches what is printed."""

from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image

from samples import SampleDocument, generate_batch, render_document
from samples._content import make_content
from schemas.document_types import DOCUMENT_TYPES as SCHEMA_TYPES
from sohoa.cli import main

FIELDS = {
    "document_number", "issue_place", "issue_date", "issuing_authority", "title", "summary",
    "signer_title", "signer_name", "holder_name", "holder_birth_date", "holder_id_number",
    "holder_address", "registration_number", "business_name", "business_address", "marital_status",
    "construction_site", "total_floor_area", "storeys", "birth_place", "mother_name", "father_name",
}
GENERAL_FIELDS = {"kind", "signer_authority", "recipients"}  # apart from FIELDS (truth["general_fields"])
# The 63 old province codes of shared/data/provinces_2025.csv.
PROVINCE_CODES = {
    "01", "02", "04", "06", "08", "10", "11", "12", "14", "15", "17", "19", "20", "22", "24", "25", "26",
    "27", "30", "31", "33", "34", "35", "36", "37", "38", "40", "42", "44", "45", "46", "48", "49", "51",
    "52", "54", "56", "58", "60", "62", "64", "66", "67", "68", "70", "72", "74", "75", "77", "79", "80",
    "82", "83", "84", "86", "87", "89", "91", "92", "93", "94", "95", "96",
}
TYPES = ("quyet_dinh", "giay_chung_nhan_ho_kinh_doanh", "xac_nhan_tinh_trang_hon_nhan")


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[SampleDocument]]:
    out = tmp_path_factory.mktemp("batch")
    return out, generate_batch(out, count=6, seed=7)


def _truth(out: Path, doc: SampleDocument) -> dict:
    return json.loads((out / f"{doc.file_name}.truth.json").read_text(encoding="utf-8"))


def test_same_seed_gives_byte_identical_files(batch, tmp_path: Path) -> None:
    out, docs = batch
    again = generate_batch(tmp_path, count=3, seed=7)
    assert [d.file_name for d in again] == [d.file_name for d in docs[:3]]
    for doc in again:
        for name in (doc.file_name, f"{doc.file_name}.truth.json"):
            assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
    first_rows = (out / "manifest.csv").read_text(encoding="utf-8").splitlines()[:4]
    assert (tmp_path / "manifest.csv").read_text(encoding="utf-8").splitlines() == first_rows
    one = render_document("xac_nhan_tinh_trang_hon_nhan", seed=1, damage="heavy")[1]["fields"]
    two = render_document("xac_nhan_tinh_trang_hon_nhan", seed=2, damage="heavy")[1]["fields"]
    assert one != two


def test_manifest_lists_every_scan_with_its_pages(batch) -> None:
    out, docs = batch
    with (out / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        header = fh.readline().strip()
        fh.seek(0)
        rows = list(csv.DictReader(fh))
    assert header == "file,province,agency_code,document_type,dossier_code,pages"
    assert [r["file"] for r in rows] == [d.file_name for d in docs]
    for row, doc in zip(rows, docs, strict=True):
        assert (out / row["file"]).is_file()
        assert row["province"] == "Khánh Hòa" and row["agency_code"] == "000.00.15.H34"
        assert row["document_type"] == doc.document_type and int(row["pages"]) == doc.pages
        assert row["dossier_code"] == "" or re.fullmatch(r"000\.00\.15\.H34-\d{6}-\d{4}", row["dossier_code"])
    assert {r["document_type"] for r in rows} == set(TYPES)
    assert {d.damage for d in docs} == {"light", "medium", "heavy"}
    assert {Path(r["file"]).suffix for r in rows} == {".png", ".jpg", ".pdf"}
    assert any(r["dossier_code"] for r in rows) and any(not r["dossier_code"] for r in rows)
    assert any(d.pages == 2 for d in docs)


def test_truth_has_the_exact_field_names_and_required_values(batch) -> None:
    out, docs = batch
    for doc in docs:
        truth = _truth(out, doc)
        assert truth["document_type"] == doc.document_type and truth["pages"] == doc.pages
        assert set(truth["fields"]) == FIELDS and set(truth["general_fields"]) == GENERAL_FIELDS
        assert len(truth["text"]) == doc.pages and all(isinstance(line, str) for p in truth["text"] for line in p)
        fields = {**truth["fields"], **truth["general_fields"]}
        for spec in SCHEMA_TYPES[doc.document_type].fields:
            if spec.required:
                assert fields[spec.name], (doc.file_name, spec.name)
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", fields["issue_date"])
        assert fields["title"] in SCHEMA_TYPES[doc.document_type].title_keywords
        page_text = "\n".join(truth["text"][0])
        assert f"Số: {fields['document_number']}" in page_text and fields["title"] in page_text
        if doc.document_type == "quyet_dinh":
            assert fields["summary"].startswith("Về việc") and fields["marital_status"] is None
        else:
            assert fields["summary"] is None
        if doc.document_type == "giay_chung_nhan_ho_kinh_doanh":
            assert re.fullmatch(r"\d{2}[A-Z]8\d{6}", fields["registration_number"])
    assert unicodedata.is_normalized("NFC", (out / f"{docs[0].file_name}.truth.json").read_text(encoding="utf-8"))


def test_images_record_their_dpi(batch) -> None:
    out, docs = batch
    images = [d for d in docs if not d.file_name.endswith(".pdf")]
    assert {Path(d.file_name).suffix for d in images} == {".png", ".jpg"}
    for doc in images:
        with Image.open(out / doc.file_name) as im:
            assert tuple(round(v) for v in im.info["dpi"]) == (doc.dpi, doc.dpi)
            assert abs(im.width / doc.dpi - 210 / 25.4) < 0.05  # A4 width in inches


def test_pdf_page_count_and_resolution_match_truth(batch) -> None:
    out, docs = batch
    pdfs = [d for d in docs if d.file_name.endswith(".pdf")]
    assert pdfs
    for doc in pdfs:
        with pikepdf.open(out / doc.file_name) as pdf:
            assert len(pdf.pages) == _truth(out, doc)["pages"] == doc.pages
            for page in pdf.pages:
                (_, image), = page.images.items()
                width_pt = float(page.mediabox[2])
                assert round(int(image.Width) * 72 / width_pt) == doc.dpi
                assert image.Filter == "/DCTDecode"
            assert "/CreationDate" not in pdf.docinfo


def _grey(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L").resize((620, 877), Image.Resampling.BILINEAR), dtype=np.float32)


def test_heavier_damage_moves_further_from_the_clean_page() -> None:
    clean = _grey(render_document("xac_nhan_tinh_trang_hon_nhan", seed=3, damage="none")[0][0])
    diffs = {level: float(np.abs(_grey(render_document("xac_nhan_tinh_trang_hon_nhan", seed=3,
                                                       damage=level)[0][0]) - clean).mean())
             for level in ("light", "medium", "heavy")}
    assert 0 < diffs["light"] < diffs["medium"] < diffs["heavy"]
    pages, truth = render_document("xac_nhan_tinh_trang_hon_nhan", seed=3, damage="heavy")
    assert pages[0].size == (1240, 1754) and truth["dpi"] == 150


@pytest.mark.parametrize("document_type", ["giay_phep_xay_dung", "trich_luc_khai_sinh"])
def test_every_schema_type_can_be_generated(document_type: str, tmp_path: Path) -> None:
    """The two types outside the demo batch: required fields filled, values printed as the truth says,
    and a batch of all five types gives every type every damage level."""
    pages, truth = render_document(document_type, seed=5, damage="light")
    assert set(truth["fields"]) == FIELDS and set(truth["general_fields"]) == GENERAL_FIELDS
    fields = {**truth["fields"], **truth["general_fields"]}
    assert fields["title"] in SCHEMA_TYPES[document_type].title_keywords
    assert fields["kind"] and fields["title"].startswith(fields["kind"])
    assert fields["signer_authority"].endswith(fields["signer_title"]) and fields["recipients"]
    for spec in SCHEMA_TYPES[document_type].fields:
        if spec.name not in FIELDS:
            continue  # a field of the general type the generator does not write (kind, recipients, ...)
        if spec.required:
            assert fields[spec.name], spec.name
        if fields[spec.name] and spec.name not in ("issue_date", "holder_birth_date", "issuing_authority",
                                                   "signer_title"):
            # Wrapped lines are joined by a space in the truth rows as in the value.
            assert fields[spec.name].split()[-1] in " ".join(truth["text"][-1] + truth["text"][0]), spec.name
    from samples import DOCUMENT_TYPES

    docs = generate_batch(tmp_path, count=15, seed=1, document_types=DOCUMENT_TYPES, formats=("png",))
    assert {(d.document_type, d.damage) for d in docs} == {(t, lv) for t in DOCUMENT_TYPES
                                                             for lv in ("light", "medium", "heavy")}


@pytest.mark.parametrize("document_type", [*TYPES, "giay_phep_xay_dung", "trich_luc_khai_sinh"])
def test_seal_is_red_where_the_truth_says(document_type: str) -> None:
    pages, truth = render_document(document_type, seed=11, damage="medium")
    page = np.asarray(pages[truth["seal"]["page"] - 1], dtype=np.int16)
    x0, y0, x1, y1 = truth["seal"]["box"]
    r, g, b = (page[y0:y1, x0:x1, k] for k in range(3))
    red = (r > 140) & (r - g > 60) & (r - b > 50)
    assert red.mean() > 0.02
    top = page[: page.shape[0] // 4]  # header: printed in black only
    assert ((top[..., 0] > 140) & (top[..., 0] - top[..., 1] > 60)).mean() < 0.0005


def _check_cccd(number: str, birth_date: str) -> None:
    assert re.fullmatch(r"0\d{11}", number), number
    assert number[1:3] in PROVINCE_CODES
    century_digit = int(number[3])
    year = int(birth_date[:4])
    assert century_digit // 2 == (year // 100) - 19  # 0/1: 1900s, 2/3: 2000s
    assert number[4:6] == birth_date[2:4]


def test_cccd_numbers_are_structurally_valid(batch) -> None:
    out, docs = batch
    for doc in docs:
        fields = _truth(out, doc)["fields"]
        _check_cccd(fields["holder_id_number"], fields["holder_birth_date"])
    born_2000s = 0
    for seed in range(300):
        content = make_content(TYPES[seed % 3], random.Random(seed))
        _check_cccd(content.fields["holder_id_number"], content.fields["holder_birth_date"])
        born_2000s += content.fields["holder_birth_date"] >= "2000"
    assert born_2000s  # both century digits are exercised


def test_samples_command_writes_a_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["samples", str(tmp_path / "out"), "--count", "1", "--seed", "2"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == f"Đã tạo 1 tài liệu mẫu trong {tmp_path / 'out'}"
    assert printed[0].startswith("001_giay_chung_nhan_ho_kinh_doanh_light.png")
    assert (tmp_path / "out" / "manifest.csv").is_file()


def _has_vietnamese_tesseract() -> bool:
    if not shutil.which("tesseract"):
        return False
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    return "vie" in langs


@pytest.mark.skipif(not _has_vietnamese_tesseract(), reason="tesseract with 'vie' not installed")
def test_tesseract_reads_title_and_number_of_a_light_scan(tmp_path: Path) -> None:
    pages, truth = render_document("quyet_dinh", seed=4, damage="light")
    image = tmp_path / "page1.png"
    # The top third holds header, number, title and summary; OCR of the whole page only costs time.
    pages[0].crop((0, 0, pages[0].width, pages[0].height // 3)).save(image, dpi=(300, 300))
    result = subprocess.run(["tesseract", str(image), "-", "-l", "vie", "--psm", "4"], capture_output=True,
                            text=True, timeout=120, check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    text = unicodedata.normalize("NFC", result.stdout)
    assert "QUYẾT ĐỊNH" in text
    assert truth["fields"]["document_number"] in text
    assert truth["fields"]["summary"] in " ".join(text.split())


def test_header_columns_never_run_into_each_other() -> None:
    """Each header line is set smaller until it fits its column, and the columns keep a gutter: the
    issuing body once ran into the motto ("NHA TRANGCỘNG HÒA"), which no reader can split."""
    from samples import _render as r

    left_edge, left_end = r.LEFT_CX - r.LEFT_W / 2, r.LEFT_CX + r.LEFT_W / 2
    right_edge, right_end = r.RIGHT_CX - r.RIGHT_W / 2, r.RIGHT_CX + r.RIGHT_W / 2
    assert left_edge >= r.MARGIN_L and right_end <= r.PAGE_W - r.MARGIN_R
    assert right_edge - left_end >= 0.3 / 2.54 * r.DPI  # 3 mm
    for line in ("UBND THÀNH PHỐ CAM RANH", "ỦY BAN NHÂN DÂN TỈNH KHÁNH HÒA", "PHÒNG TÀI CHÍNH - KẾ HOẠCH"):
        assert r.fitted("bold", 13, line, r.LEFT_W).getlength(line) <= r.LEFT_W
