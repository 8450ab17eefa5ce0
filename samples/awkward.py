"""An awkward batch (issue 14, "nothing doubtful gets signed"): good generated results mixed with one
paper of each kind that must not be signed as it is, each with where it should end and the start of
the Vietnamese reason it gets. `sohoa samples OUT --awkward` writes it for a team to try; the
integration test tests/integration/test_awkward_batch.py runs it through `sohoa run` and checks
every item.

    items = write_awkward_batch(Path("thu"), seed=0)
    # thu/lo/: the batch (manifest.csv and the scans); thu/quet-lai/<file>: the new scan of the
    # blank-backed paper (outside the batch folder: intake takes every file under it)

The good results belong to two agencies of one province (the one-stop centre and the Department of
Justice), so one run shows each signing with its own key when the deployment has a key per agency.
The re-scan is a second step: a steward asks for it on the blank-backed record («Yêu cầu quét
lại»), the team puts `quet-lai/<file>` in place of the old file and runs the batch again.
"""

from __future__ import annotations

import csv
import io
import random
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from samples import MANIFEST_COLUMNS, _dossier_code, _save, render_document

PROVINCE = "Khánh Hòa"
CENTRE = "000.00.15.H34"  # Trung tâm Phục vụ hành chính công tỉnh Khánh Hòa
JUSTICE = "000.00.21.H34"  # Sở Tư pháp tỉnh Khánh Hòa
HKD = "giay_chung_nhan_ho_kinh_doanh"
BATCH_DIR, RESCAN_DIR = "lo", "quet-lai"
# An issue date long past: a marital-status confirmation is valid six months from it.
EXPIRED_ISSUE = date(2019, 4, 2)


@dataclass(frozen=True)
class AwkwardItem:
    file: str
    kind: str  # good | blank_page | low_dpi | cut_page | unknown_kind | bad_manifest_row | permission_only | expired | duplicate
    ends: str  # signed | needs_review | quarantined
    reason: str  # what the Vietnamese reason contains ("" for a signed record)
    agency_code: str = CENTRE
    rescan: bool = False  # a new scan of this paper is in quet-lai/ (it is then signed)
    truth: dict[str, Any] = field(default_factory=dict, compare=False)  # the printed fields (of the re-scan too)


def _render(document_type: str, seed: int, *, issued: date | None = None) -> tuple[Image.Image, dict[str, Any]]:
    pages, truth = render_document(document_type, seed=seed, damage="light", province=PROVINCE, issued=issued)
    return pages[0].convert("RGB"), truth


def _permission_only(pdf: bytes) -> bytes:
    """The PDF with permission restrictions only (owner password; anyone may open it): what an
    agency's "protected" export gives. Printing, copying and editing are not allowed."""
    import pikepdf

    locked = pikepdf.Permissions(accessibility=False, extract=False, modify_annotation=False,
                                 modify_assembly=False, modify_form=False, modify_other=False,
                                 print_lowres=False, print_highres=False)
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.save(out, encryption=pikepdf.Encryption(owner="chu-so-huu", user="", R=6, allow=locked))
    return out.getvalue()


def write_awkward_batch(out_dir: Path, *, seed: int = 0) -> list[AwkwardItem]:
    """Write the batch into out_dir/lo (scans, manifest.csv) and the re-scan into out_dir/quet-lai;
    return what each file of the batch owes."""
    rescans = Path(out_dir) / RESCAN_DIR
    batch = Path(out_dir) / BATCH_DIR
    batch.mkdir(parents=True, exist_ok=True)
    rescans.mkdir(exist_ok=True)
    base = seed * 1_000
    items: list[AwkwardItem] = []
    rows: list[dict[str, str]] = []

    def add(item: AwkwardItem, document_type: str = "", pages: int | None = None) -> None:
        # A mã hồ sơ on every paper but the công văn and the copy: a provisional one would itself send
        # the record to review ("mã hồ sơ tạm thời"), hiding what the item is there to show.
        dossier = ""
        if item.truth and item.kind != "duplicate":
            dossier = _dossier_code(item.agency_code, item.truth["issue_date"], len(items),
                                    random.Random(f"{seed}|{item.file}"))
        items.append(item)
        rows.append({"file": item.file, "province": PROVINCE, "agency_code": item.agency_code,
                     "document_type": document_type, "dossier_code": dossier,
                     "pages": "" if pages is None else str(pages)})

    # Good results of two agencies: signed, each by its own agency.
    goods = []
    for i, agency in enumerate((CENTRE, JUSTICE, CENTRE)):
        page, truth = _render(HKD, base + 11 + i)
        name = f"{i + 1:02d}-ho-kinh-doanh.png"
        _save([page], batch / name, "png", int(truth["dpi"]))
        goods.append((name, page, truth))
        add(AwkwardItem(name, "good", "signed", "", agency, truth=truth["fields"]), HKD)

    # A permission-only PDF of a good result: taken (poppler renders it) and signed.
    page, truth = _render(HKD, base + 21)
    buf = io.BytesIO()
    _save_pdf([page], buf, int(truth["dpi"]))
    (batch / "10-han-che-quyen.pdf").write_bytes(_permission_only(buf.getvalue()))
    add(AwkwardItem("10-han-che-quyen.pdf", "permission_only", "signed", "", truth=truth["fields"]), HKD)

    # A 2-page PDF whose page 2 is blank (the back of a one-sided sheet): waits for a re-scan.
    page, truth = _render(HKD, base + 31)
    blank = Image.new("RGB", page.size, "white")
    _save([page, blank], batch / "11-mat-sau-trang.pdf", "pdf", int(truth["dpi"]))
    add(AwkwardItem("11-mat-sau-trang.pdf", "blank_page", "needs_review",
                    "bản quét trang 2/2: trang trắng, không có nội dung — cần quét lại", rescan=True,
                    truth=truth["fields"]), HKD)
    # ... and the new scan of that paper, both sides read; it replaces the record's file.
    again, again_truth = render_document(HKD, seed=base + 31, damage="medium", province=PROVINCE)  # same paper
    _save([again[0].convert("RGB")], rescans / "11-mat-sau-trang.pdf", "pdf", int(again_truth["dpi"]))

    # A page scanned at 70 dpi, saved without a resolution tag: letters a few pixels tall.
    page, truth = _render(HKD, base + 41)
    w, h = page.size
    page.resize((round(w * 70 / 300), round(h * 70 / 300)), Image.Resampling.LANCZOS).save(batch / "12-anh-70dpi.png")
    add(AwkwardItem("12-anh-70dpi.png", "low_dpi", "needs_review", "bản quét trang 1: ảnh quá nhỏ (",
                    truth=truth["fields"]), HKD)

    # A cut page: the right 15 % of the sheet was off the scanner glass.
    page, truth = _render(HKD, base + 51)
    w, h = page.size
    _save([page.crop((0, 0, round(w * 0.85), h))], batch / "13-trang-bi-cat.png", "png",
          int(truth["dpi"]))
    add(AwkwardItem("13-trang-bi-cat.png", "cut_page", "needs_review",
                    "bản quét trang 1: trang bị cắt, chữ chạm mép phải", truth=truth["fields"]), HKD)

    # A công văn: a kind no declared type covers; read with the general type, put before a steward.
    pages, truth = render_document("cong_van", seed=base + 61, damage="light", province=PROVINCE,
                                   family="cong-van")
    _save([pages[0].convert("RGB")], batch / "14-cong-van.png", "png", int(truth["dpi"]))
    add(AwkwardItem("14-cong-van.png", "unknown_kind", "needs_review", "văn bản hành chính chung"))

    # A manifest row naming a document type the catalogue does not have: the row is refused.
    page, truth = _render(HKD, base + 71)
    _save([page], batch / "15-sai-loai.png", "png", int(truth["dpi"]))
    add(AwkwardItem("15-sai-loai.png", "bad_manifest_row", "quarantined",
                    "loại giấy tờ «giay_phep_bay_vu_tru» không có trong danh mục"), "giay_phep_bay_vu_tru")

    # A marital-status confirmation issued in 2019: valid six months, long expired.
    pages, truth = render_document("xac_nhan_tinh_trang_hon_nhan", seed=base + 81, damage="light",
                                   province=PROVINCE, issued=EXPIRED_ISSUE)
    _save([pages[0].convert("RGB")], batch / "16-xac-nhan-het-han.png", "png", int(truth["dpi"]))
    add(AwkwardItem("16-xac-nhan-het-han.png", "expired", "needs_review", "đã hết hiệu lực", truth=truth["fields"]),
        "xac_nhan_tinh_trang_hon_nhan")

    # The first good paper scanned again, one pixel different: a probable duplicate, not a second result.
    name, page, truth = goods[0]
    pixels = np.array(page)
    pixels[200, 300] = 255 - pixels[200, 300]
    _save([Image.fromarray(pixels)], batch / "17-quet-trung.png", "png", int(truth["dpi"]))
    add(AwkwardItem("17-quet-trung.png", "duplicate", "needs_review", "có thể trùng với hồ sơ #",
                    truth=truth["fields"]), HKD)

    with (batch / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return items


def _save_pdf(pages: list[Image.Image], out: io.BytesIO, dpi: int) -> None:
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi), quality=85,
                  creationDate=None, modDate=None, producer="sohoa samples")


def put_rescan_in_place(out_dir: Path, item: AwkwardItem) -> Path:
    """What the team does once a steward asked for the re-scan: the new scan replaces the old file
    in the batch folder (the re-scan list names it)."""
    target = Path(out_dir) / BATCH_DIR / item.file
    shutil.copyfile(Path(out_dir) / RESCAN_DIR / item.file, target)
    return target
