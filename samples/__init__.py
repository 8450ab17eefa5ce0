"""Deterministic sample scans of paper TTHC results (Decree 30/2020 layout) with their ground truth.

    pages, truth = render_document("quyet_dinh", seed=1, damage="medium")
    docs = generate_batch(Path("batch"), count=6, seed=0)
    docs = generate_batch(Path("batch"), count=6, seed=0, errors={1: ("cccd_birth_year",)})

`errors` injects known faults (samples.INJECTABLE_ERRORS: a wrong CCCD digit, an impossible
date, a field under highlighter ink that OCR reads with low confidence); the truth file lists them under
"injected_errors" with the field and the rule that should catch each.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from samples._content import DOCUMENT_TYPES, FIELD_NAMES, PROVINCES, make_content
from samples._damage import LEVELS, apply_damage
from samples._errors import INJECTABLE_ERRORS, InjectedError, inject_errors
from samples._render import render_pages

__all__ = [
    "DAMAGE_LEVELS", "DOCUMENT_TYPES", "FIELD_NAMES", "INJECTABLE_ERRORS", "MANIFEST_COLUMNS", "PROVINCES",
    "InjectedError", "SampleDocument", "generate_batch", "render_document",
]

DAMAGE_LEVELS = ("light", "medium", "heavy")
MANIFEST_COLUMNS = ("file", "province", "agency_code", "document_type", "dossier_code", "pages")
_EXTENSIONS = {"png": ".png", "jpeg": ".jpg", "jpg": ".jpg", "pdf": ".pdf"}
# The batch order: single-page types first so that a 2-page decision falls on a PDF slot.
_BATCH_TYPES = ("giay_chung_nhan_ho_kinh_doanh", "xac_nhan_tinh_trang_hon_nhan", "quyet_dinh")


@dataclass(frozen=True)
class SampleDocument:
    file_name: str  # relative to out_dir
    document_type: str
    damage: str  # light | medium | heavy
    pages: int
    dpi: int
    truth: dict[str, Any]


def render_document(document_type: str, *, seed: int, damage: str = "light", dpi: int | None = None,
                    province: str = "Khánh Hòa",
                    errors: Sequence[str] = ()) -> tuple[list[Image.Image], dict[str, Any]]:
    """Scanned pages of one document and its ground truth. damage "none" gives the clean 300 dpi render.
    `errors`: codes of INJECTABLE_ERRORS printed into the document (the truth follows the print)."""
    if damage not in LEVELS:
        raise ValueError(f"unknown damage level {damage!r}; known: {', '.join(LEVELS)}")
    # The content depends on the seed only, so one document can be compared across damage levels.
    rng = random.Random(f"{document_type}|{province}|{seed}")
    content = make_content(document_type, rng, province)
    injected = inject_errors(content, tuple(errors)) if errors else []
    clean, text, seal = render_pages(content, rng)
    damage_rng = np.random.default_rng([seed, list(LEVELS).index(damage), DOCUMENT_TYPES.index(document_type)])
    pages: list[Image.Image] = []
    matrix = np.eye(2, 3)
    for index, image in enumerate(clean):
        out, m = apply_damage(np.asarray(image), damage, damage_rng, dpi=dpi)
        if index == seal.page:
            matrix = m
        page = Image.fromarray(out)
        page.info["dpi"] = (dpi or LEVELS[damage].dpi,) * 2
        pages.append(page)
    out_dpi = dpi or LEVELS[damage].dpi
    cx, cy = matrix @ np.array([seal.cx, seal.cy, 1.0])
    r = seal.radius * out_dpi / 300
    truth: dict[str, Any] = {
        "document_type": document_type,
        "pages": len(pages),
        "damage": damage,
        "dpi": out_dpi,
        "fields": {name: content.fields.get(name) for name in FIELD_NAMES},
        "text": text,
        "seal": {"page": seal.page + 1, "box": [round(cx - r), round(cy - r), round(cx + r), round(cy + r)]},
    }
    if injected:  # absent on clean documents, so their truth files keep their bytes
        truth["injected_errors"] = injected
    return pages, truth


def _save(pages: list[Image.Image], path: Path, fmt: str, dpi: int) -> None:
    if fmt == "pdf":
        # No dates in the PDF info: the same seed must give the same bytes.
        pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi), quality=85,
                      title=path.stem, creationDate=None, modDate=None, producer="sohoa samples")
    elif fmt == "png":
        pages[0].save(path, "PNG", dpi=(dpi, dpi), compress_level=3)
    else:
        pages[0].save(path, "JPEG", dpi=(dpi, dpi), quality=88)


def _dossier_code(agency: str, issue_date: str, index: int, rng: random.Random) -> str:
    received = date.fromisoformat(issue_date) - timedelta(days=rng.randint(3, 20))
    return f"{agency}-{received:%y%m%d}-{index + 1:04d}"


def generate_batch(out_dir: Path, *, count: int = 6, seed: int = 0, province: str = "Khánh Hòa",
                   agency: str = "000.00.15.H34", formats: tuple[str, ...] = ("png", "jpeg", "pdf"),
                   damages: tuple[str, ...] = DAMAGE_LEVELS, document_types: tuple[str, ...] = _BATCH_TYPES,
                   errors: Mapping[int, Sequence[str]] | None = None) -> list[SampleDocument]:
    """Write `count` scans, a `<file>.truth.json` beside each, and manifest.csv into `out_dir`.

    Types (`document_types`: by default the three of the demo; DOCUMENT_TYPES has all five), damage
    levels and formats rotate so a batch of 6 covers each; an image format holds one
    page, so a multi-page document is always written as PDF. Documents 3, 7, 11, ... have no dossier
    code (legacy paper results). `errors` maps a document's 0-based index to the INJECTABLE_ERRORS
    codes printed into it."""
    for fmt in formats:
        if fmt not in _EXTENSIONS:
            raise ValueError(f"unknown format {fmt!r}; known: png, jpeg, pdf")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    documents: list[SampleDocument] = []
    rows: list[dict[str, str]] = []
    single_page = 0
    for i in range(count):
        n = len(document_types)
        document_type = document_types[i % n]
        # Each round of types moves the damage on by one, so every type meets every level.
        damage = damages[(i % n + i // n) % len(damages)]
        pages, truth = render_document(document_type, seed=seed * 1_000_003 + i, damage=damage, province=province,
                                       errors=(errors or {}).get(i, ()))
        if len(pages) > 1:
            fmt = "pdf"
        else:
            fmt = formats[single_page % len(formats)]
            single_page += 1
        name = f"{i + 1:03d}_{document_type}_{damage}{_EXTENSIONS[fmt]}"
        dossier = ""
        if i % 4 != 2:
            dossier = _dossier_code(agency, truth["fields"]["issue_date"], i, random.Random(f"{seed}|{i}"))
        truth = {**truth, "file": name, "province": province, "agency_code": agency, "dossier_code": dossier or None}
        _save(pages, out_dir / name, fmt, truth["dpi"])
        (out_dir / f"{name}.truth.json").write_text(
            json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        rows.append({"file": name, "province": province, "agency_code": agency, "document_type": document_type,
                     "dossier_code": dossier, "pages": str(len(pages))})
        documents.append(SampleDocument(name, document_type, damage, len(pages), truth["dpi"], truth))
    with (out_dir / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return documents
