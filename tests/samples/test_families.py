"""Template families: each one deterministic from its seed, recorded in the truth, and as different
from the classic template as it claims (font, header lines, signer block, handwriting, capture, tag)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from samples import (
    DEFAULT_FAMILY,
    FAMILIES,
    FAMILY_NAMES,
    HELD_OUT_FAMILY,
    TUNING_FAMILIES,
    generate_batch,
    parse_families,
    render_document,
)
from sohoa.cli import main


def _first_type(family: str) -> str:
    return FAMILIES[family].document_types[0]


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_each_family_is_deterministic_from_its_seed(family: str) -> None:
    kind = _first_type(family)
    pages_a, truth_a = render_document(kind, seed=11, damage="medium", family=family)
    pages_b, truth_b = render_document(kind, seed=11, damage="medium", family=family)
    assert truth_a == truth_b
    assert truth_a["family"] == family
    for a, b in zip(pages_a, pages_b, strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    _, other = render_document(kind, seed=12, damage="medium", family=family)
    assert other["fields"] != truth_a["fields"]


def test_families_look_different_from_the_classic_page() -> None:
    classic, classic_truth = render_document("quyet_dinh", seed=5, damage="none")
    for family in ("sans-labels", "handwritten", "serif-preamble"):
        pages, truth = render_document("quyet_dinh", seed=5, damage="none", family=family)
        # The same person and number in another template.
        assert truth["fields"]["holder_name"] == classic_truth["fields"]["holder_name"]
        assert truth["fields"]["document_number"] == classic_truth["fields"]["document_number"]
        assert not np.array_equal(np.asarray(pages[0]), np.asarray(classic[0])), family


def test_held_out_family_is_one_named_family_kept_out_of_tuning() -> None:
    assert HELD_OUT_FAMILY in FAMILIES and HELD_OUT_FAMILY != DEFAULT_FAMILY
    assert HELD_OUT_FAMILY not in TUNING_FAMILIES and set(TUNING_FAMILIES) | {HELD_OUT_FAMILY} == set(FAMILY_NAMES)
    held = FAMILIES[HELD_OUT_FAMILY]
    # Structurally apart: a face no tuning family uses, the preamble, TUQ. blocks.
    assert held.preamble and "tuq" in held.signer_styles
    assert held.face not in {FAMILIES[f].face for f in TUNING_FAMILIES}
    assert parse_families("held-out") == (HELD_OUT_FAMILY,) and parse_families("tuning") == TUNING_FAMILIES
    with pytest.raises(ValueError):
        parse_families("no-such-family")


def test_preamble_and_tuq_blocks_are_printed_as_the_truth_says() -> None:
    seen: set[str] = set()
    for seed in range(12):
        _, truth = render_document("quyet_dinh", seed=seed, family=HELD_OUT_FAMILY)
        text = "\n".join(truth["text"][0])
        assert "CHỦ TỊCH ỦY BAN NHÂN DÂN" in text and "QUYẾT ĐỊNH:" in text
        seen.add(truth["fields"]["signer_title"])
        authority = truth["general_fields"]["signer_authority"]
        assert authority.endswith(truth["fields"]["signer_title"]) and not authority.startswith("TM.")
        _, truth = render_document("xac_nhan_tinh_trang_hon_nhan", seed=seed, family=HELD_OUT_FAMILY)
        seen.add(truth["fields"]["signer_title"])
        rows = [r for p in truth["text"] for r in p]
        assert any(r.startswith("Ông (bà): ") for r in rows)
    assert {"Q. CHỦ TỊCH", "CÔNG CHỨC TƯ PHÁP - HỘ TỊCH"} <= seen


def test_the_tuning_family_with_acting_and_authorised_blocks_prints_them_in_another_face() -> None:
    fam = FAMILIES["acting-preamble"]
    # The held-out family's failure classes (preamble, Q./TUQ. blocks) in a tuning family, not its face.
    assert "acting-preamble" in TUNING_FAMILIES and fam.preamble and {"q", "tuq"} <= set(fam.signer_styles)
    assert fam.face != FAMILIES[HELD_OUT_FAMILY].face
    seen: set[str] = set()
    for seed in (2, 3):  # between them: both acting titles and an authorised officer's
        for kind in ("quyet_dinh", "xac_nhan_tinh_trang_hon_nhan", "giay_chung_nhan_ho_kinh_doanh"):
            _, truth = render_document(kind, seed=seed, family="acting-preamble")
            rows = "\n".join(r for p in truth["text"] for r in p)
            assert truth["general_fields"]["signer_authority"].endswith(truth["fields"]["signer_title"])
            if kind == "quyet_dinh":
                assert "CHỦ TỊCH ỦY BAN NHÂN DÂN" in rows and "QUYẾT ĐỊNH:" in rows
            seen.add(truth["fields"]["signer_title"])
    assert {"Q. CHỦ TỊCH", "Q. TRƯỞNG PHÒNG", "CÔNG CHỨC TƯ PHÁP - HỘ TỊCH"} <= seen


def test_families_added_later_leave_the_held_out_documents_as_they_were() -> None:
    # The family's index keys its damage: a family added before it would change every held-out document.
    assert FAMILY_NAMES[:7] == ("classic", "sans-labels", "handwritten", "cong-van", "phone", "small-jpeg",
                                HELD_OUT_FAMILY)


def _left_header_lines(rows: list[str]) -> list[str]:
    lines = []
    for row in rows:
        if row.startswith("Số:"):
            break
        left = row.split("CỘNG HÒA")[0].split("Độc lập")[0].strip()
        if left:
            lines.append(left)
    return lines


def test_header_bodies_on_one_to_three_lines_keep_the_whole_body_in_the_truth() -> None:
    counts: set[int] = set()
    for seed in range(12):
        for kind in ("giay_chung_nhan_ho_kinh_doanh", "xac_nhan_tinh_trang_hon_nhan"):
            _, truth = render_document(kind, seed=seed, family="sans-labels")
            lines = _left_header_lines(truth["text"][0])
            assert " ".join(lines) == truth["fields"]["issuing_authority"]
            if len(lines) == 3:  # superior body first
                assert lines[0].startswith("UBND ")
            counts.add(len(lines))
    assert counts == {1, 2, 3}


def test_cong_van_has_no_title_and_a_vv_summary() -> None:
    _, truth = render_document("cong_van", seed=3, family="cong-van")
    fields = truth["fields"]
    assert fields["title"] is None and fields["summary"].startswith("V/v ")
    text = "\n".join(truth["text"][0])
    assert "Kính gửi:" in text and f"Số: {fields['document_number']}" in text
    general = truth["general_fields"]
    assert general["kind"] == "CÔNG VĂN"
    assert f"Kính gửi: {general['recipients']}." in text
    assert general["signer_authority"].endswith(fields["signer_title"])


def test_handwritten_family_prints_blanks_but_the_truth_has_the_number() -> None:
    _, truth = render_document("quyet_dinh", seed=4, family="handwritten")
    assert truth["handwritten"] is True
    assert f"Số: {truth['fields']['document_number']}" in "\n".join(truth["text"][0])


def test_phone_and_small_families_have_no_resolution_tag_and_a_low_effective_dpi(tmp_path: Path) -> None:
    docs = generate_batch(tmp_path, count=4, seed=2, families=("phone", "small-jpeg"))
    for doc in docs:
        truth = json.loads((tmp_path / f"{doc.file_name}.truth.json").read_text(encoding="utf-8"))
        assert truth["dpi_metadata"] is False and 70 <= truth["dpi"] <= 150
        if doc.file_name.endswith(".jpg"):
            with Image.open(tmp_path / doc.file_name) as im:
                assert "dpi" not in im.info
                if doc.family == "small-jpeg":  # the page fills the image: width = 8.27 in x dpi
                    assert abs(im.width / truth["dpi"] - 210 / 25.4) < 0.05
                else:  # the sheet lies on a table: the photo is wider than the page
                    assert im.width > 210 / 25.4 * truth["dpi"]


def test_samples_command_takes_families(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["samples", str(tmp_path / "out"), "--count", str(len(FAMILY_NAMES)), "--families", "all"]) == 0
    truths = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((tmp_path / "out").glob("*.truth.json"))]
    assert [t["family"] for t in truths] == list(FAMILY_NAMES)
    assert main(["samples", str(tmp_path / "bad"), "--families", "nope"]) != 0


def test_the_serif_tuning_family_uses_a_serif_face_of_its_own_not_the_held_out_ones() -> None:
    from ocr.calibrate import DEV_SETS, SETS
    from samples._render import _FACES

    fam = FAMILIES["display-serif"]
    assert "display-serif" in TUNING_FAMILIES and HELD_OUT_FAMILY != "display-serif"
    # A serif face no other family uses, and not the held-out family's (DejaVu Serif).
    assert "Serif" in _FACES[fam.face]["regular"] and "DejaVu" not in _FACES[fam.face]["regular"]
    assert fam.face not in {FAMILIES[f].face for f in FAMILY_NAMES if f != "display-serif"}
    # Laid out unlike the held-out family: no preamble, two- or three-line headers, TL./TM./KT. blocks.
    assert not fam.preamble and set(fam.header_lines) == {2, 3} and "tuq" not in fam.signer_styles
    assert SETS["dev-serif"]["families"] == "display-serif" and "dev-serif" in DEV_SETS
    pages, truth = render_document("quyet_dinh", seed=5, damage="none", family="display-serif")
    classic, _ = render_document("quyet_dinh", seed=5, damage="none")
    assert truth["face"] == fam.face and not np.array_equal(np.asarray(pages[0]), np.asarray(classic[0]))
    assert 2 <= len(_left_header_lines(truth["text"][0])) <= 3


def test_the_times_metric_tuning_family_prints_in_liberation_serif() -> None:
    from ocr.calibrate import DEV_SETS, SETS
    from samples._render import _FACES

    fam = FAMILIES["times-serif"]
    assert "times-serif" in TUNING_FAMILIES and "LiberationSerif" in _FACES[fam.face]["regular"]
    # Its own face but for `ministry`, which varies the layout, not the face, around the same metrics.
    assert fam.face not in {FAMILIES[f].face for f in FAMILY_NAMES if f not in ("times-serif", "ministry")}
    assert not fam.preamble and fam.header_lines == (2,) and fam.handwritten == 0.0
    assert SETS["dev-times"]["families"] == "times-serif" and "dev-times" in DEV_SETS
    pages, truth = render_document("quyet_dinh", seed=5, damage="none", family="times-serif")
    display, _ = render_document("quyet_dinh", seed=5, damage="none", family="display-serif")
    assert truth["face"] == "liberation-serif" and len(_left_header_lines(truth["text"][0])) == 2
    assert truth["fields"]["holder_name"] in "\n".join(r for p in truth["text"] for r in p)
    assert not np.array_equal(np.asarray(pages[0])[:800], np.asarray(display[0])[:800])


def test_the_ministry_family_prints_central_and_provincial_issuers_long_summaries_and_long_blocks() -> None:
    from datetime import date

    from ocr.calibrate import DEV_SETS, SETS
    from samples._content import vn_date_line

    fam = FAMILIES["ministry"]
    assert "ministry" in TUNING_FAMILIES and fam.face != FAMILIES[HELD_OUT_FAMILY].face
    assert not fam.preamble and not {"tuq", "q"} & set(fam.signer_styles)
    assert SETS["dev-ministry"]["families"] == "ministry" and "dev-ministry" in DEV_SETS
    # The development sets of before name their families: a family added later leaves them as they were.
    assert "ministry" not in parse_families(SETS["dev-families"]["families"])
    headers, blocks, numbers = set(), set(), set()
    for seed in range(16):
        pages, truth = render_document("quyet_dinh", seed=seed, damage="none", family="ministry",
                                       province=("Khánh Hòa", "Hà Nội", "Bình Định")[seed % 3])
        f, g = truth["fields"], truth["general_fields"]
        rows = [r for p in truth["text"] for r in p]
        lines = _left_header_lines(truth["text"][0])
        assert " ".join(lines) == f["issuing_authority"]
        headers.add(lines[0].split()[0])
        # The summary on two to four lines under the kind, its words in the truth in print order.
        at = rows.index("QUYẾT ĐỊNH")
        summary_rows = []
        for row in rows[at + 1:]:
            if " ".join(summary_rows + [row]) not in f["summary"]:
                break
            summary_rows.append(row)
        assert " ".join(summary_rows) == f["summary"] and 2 <= len(summary_rows) <= 4, rows[at:at + 5]
        blocks.add(len(g["signer_authority"].split(". ")))
        assert g["signer_authority"].endswith(f["signer_title"])
        numbers.add(f["document_number"].count("/"))
    assert {"BỘ", "ỦY", "UBND"} <= headers  # a ministry on one line, a body under its superior, a committee
    assert numbers == {1, 2}  # "123/QĐ-BTP" and "123/2024/QĐ-UBND"
    # Date lines with wide gaps (the page's text rows collapse them) or without leading zeros.
    assert vn_date_line("Hà Nội", date(2024, 3, 5), "spaced") == "Hà Nội, ngày   05   tháng   3   năm 2024"
    assert vn_date_line("Hà Nội", date(2024, 3, 5), "plain") == "Hà Nội, ngày 5 tháng 3 năm 2024"
    assert max(blocks) == 3  # "TM. ỦY BAN NHÂN DÂN" / "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH"
