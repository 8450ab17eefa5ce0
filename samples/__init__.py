"""Deterministic sample scans of paper TTHC results (Decree 30/2020 layout) with their ground truth.

    pages, truth = render_document("quyet_dinh", seed=1, damage="medium")
    pages, truth = render_document("quyet_dinh", seed=1, family="serif-preamble")
    docs = generate_batch(Path("batch"), count=6, seed=0)
    docs = generate_batch(Path("batch"), count=21, seed=0, families=FAMILY_NAMES)
    docs = generate_batch(Path("batch"), count=6, seed=0, errors={1: ("cccd_birth_year",)})

`errors` injects known faults (samples.INJECTABLE_ERRORS: a wrong CCCD digit, an impossible
date, a field under highlighter ink that OCR reads with low confidence); the truth file lists them under
"injected_errors" with the field and the rule that should catch each.

Template families (FAMILIES, see _families.py) differ the way real archives do: typeface, issuing body
on one to three lines, the chairman's preamble, TL./TUQ./Q. signature blocks, label wording, numbers
and days written by hand, incoming-mail stamps, phone photos, images without a resolution tag. The
default family is "classic" (the original template; its files are byte-identical to those written
before families existed, so earlier bench figures reproduce). Every truth file names its "family".

HELD_OUT_FAMILY is never used for tuning (no rule, threshold or confidence is fitted on it, and its
OCR output is not inspected while tuning): it is generated only to measure, and `make bench` reports
it apart from the tuning families. It was chosen as the structurally most different family: DejaVu
Serif (a face used by no other family), the "CHỦ TỊCH ỦY BAN NHÂN DÂN …" preamble, TUQ./Q. signature
blocks and one- or three-line headers.
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

from core.errors import InvalidValue
from samples._content import DOCUMENT_TYPES, FIELD_NAMES, PROVINCES, apply_family, make_content
from samples._damage import LEVELS, apply_damage, phone_capture
from samples._errors import INJECTABLE_ERRORS, InjectedError, inject_errors
from samples._families import DEFAULT_FAMILY, FAMILIES, Family
from samples._render import render_pages
from schemas.document_types import GENERAL_TYPE_CODE

__all__ = [
    "DAMAGE_LEVELS", "DEFAULT_FAMILY", "DOCUMENT_TYPES", "FAMILIES", "FAMILY_NAMES", "FIELD_NAMES",
    "HELD_OUT_FAMILY", "INJECTABLE_ERRORS", "MANIFEST_COLUMNS", "PROVINCES", "TUNING_FAMILIES", "Family",
    "InjectedError", "SampleDocument", "generate_batch", "parse_families", "render_document",
]

# The one family kept out of tuning (see the module docstring). Change it only with a note in
# docs/ocr.md: figures measured on it are the verdict on generalisation.
HELD_OUT_FAMILY = "serif-preamble"
FAMILY_NAMES = tuple(FAMILIES)
TUNING_FAMILIES = tuple(f for f in FAMILY_NAMES if f != HELD_OUT_FAMILY)
# Every type a family can produce: the five results, and the công văn of the "cong-van" family.
_ALL_TYPES = (*DOCUMENT_TYPES, "cong_van")

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
    dpi: int  # effective: page pixels per inch of paper, whether or not the file says so
    truth: dict[str, Any]
    family: str = DEFAULT_FAMILY


def parse_families(spec: str) -> tuple[str, ...]:
    """"all", "tuning" (all but HELD_OUT_FAMILY), "held-out", or names separated by commas."""
    named = {"all": FAMILY_NAMES, "tuning": TUNING_FAMILIES, "held-out": (HELD_OUT_FAMILY,)}
    if spec in named:
        return named[spec]
    families = tuple(f.strip() for f in spec.split(",") if f.strip())
    unknown = [f for f in families if f not in FAMILIES]
    if unknown or not families:
        raise InvalidValue(f"unknown template family {', '.join(unknown) or spec!r}; known: {', '.join(FAMILY_NAMES)}, "
                           "or all, tuning, held-out")
    return families


def render_document(document_type: str, *, seed: int, damage: str = "light", dpi: int | None = None,
                    province: str = "Khánh Hòa", errors: Sequence[str] = (),
                    family: str = DEFAULT_FAMILY,
                    issued: date | None = None) -> tuple[list[Image.Image], dict[str, Any]]:
    """Scanned pages of one document and its ground truth. damage "none" gives the clean 300 dpi render.
    `errors`: codes of INJECTABLE_ERRORS printed into the document (the truth follows the print).
    `family`: the template family (FAMILIES); a page of a family without a resolution tag has no
    "dpi" in its `info`, and truth["dpi"] is its effective resolution. `issued`: the issue date
    printed (e.g. an old, expired marital-status confirmation)."""
    if damage not in LEVELS:
        raise InvalidValue(f"unknown damage level {damage!r}; known: {', '.join(LEVELS)}")
    if family not in FAMILIES:
        raise InvalidValue(f"unknown template family {family!r}; known: {', '.join(FAMILY_NAMES)}")
    fam = FAMILIES[family]
    if document_type not in fam.document_types:
        raise InvalidValue(f"family {family!r} makes {', '.join(fam.document_types)}, not {document_type!r}")
    # The content depends on the seed only, so one document can be compared across damage levels.
    rng = random.Random(f"{document_type}|{province}|{seed}")
    content = make_content(document_type, rng, province, issued)
    family_rng = random.Random(f"family|{family}|{document_type}|{province}|{seed}")
    content = apply_family(content, document_type, fam, family_rng, PROVINCES[province])
    injected = inject_errors(content, tuple(errors)) if errors else []
    clean, text, seal = render_pages(content, rng)
    key = [seed, list(LEVELS).index(damage), _ALL_TYPES.index(document_type)]
    if family != DEFAULT_FAMILY:
        key.append(FAMILY_NAMES.index(family))
    damage_rng = np.random.default_rng(key)
    out_dpi = dpi or (family_rng.randint(*fam.dpi_range) if fam.dpi_range else LEVELS[damage].dpi)
    pages: list[Image.Image] = []
    matrix = np.eye(3)
    for index, image in enumerate(clean):
        if fam.capture == "phone":
            out, m = phone_capture(np.asarray(image), damage_rng, dpi=out_dpi)
        else:
            out, m2 = apply_damage(np.asarray(image), damage, damage_rng, dpi=out_dpi)
            m = np.vstack([m2, [0.0, 0.0, 1.0]])
        if index == seal.page:
            matrix = m
        page = Image.fromarray(out)
        if fam.dpi_metadata:
            page.info["dpi"] = (out_dpi,) * 2
        pages.append(page)
    cx, cy, cw = matrix @ np.array([seal.cx, seal.cy, 1.0])
    cx, cy = cx / cw, cy / cw
    r = seal.radius * out_dpi / 300
    truth: dict[str, Any] = {
        "document_type": document_type,
        "family": family,
        "pages": len(pages),
        "damage": damage,
        "dpi": out_dpi,
        "fields": {name: content.fields.get(name) for name in FIELD_NAMES},
        "text": text,
        "seal": {"page": seal.page + 1, "box": [round(cx - r), round(cy - r), round(cx + r), round(cy + r)]},
    }
    # The general type's own fields (schemas GENERAL_FIELDS), apart from "fields" so that the figures
    # measured over "fields" before the general type existed stay comparable.
    truth["general_fields"] = _general_fields(content)
    if family != DEFAULT_FAMILY:  # absent on classic documents, so their truth files keep their shape
        truth["dpi_metadata"] = fam.dpi_metadata
        truth["capture"] = fam.capture
        truth["face"] = fam.face
        truth["handwritten"] = content.handwritten
        if content.incoming:
            truth["incoming_stamp"] = {"number": content.incoming[0], "date": content.incoming[1].isoformat()}
    if injected:  # absent on clean documents, so their truth files keep their bytes
        truth["injected_errors"] = injected
    return pages, truth


def _general_fields(content: Any) -> dict[str, str | None]:
    """kind (the known kind the title starts with; CÔNG VĂN when there is no title), the signer's
    authority lines joined by spaces, and the recipients ("Kính gửi" of a công văn, else the "Nơi
    nhận" items) joined by "; ", each without its dash and closing punctuation."""
    from schemas.document_types import DOCUMENT_KINDS

    title = content.title
    kind = "CÔNG VĂN" if title is None else max(
        (k for k in DOCUMENT_KINDS if title == k or title.startswith(k + " ")), key=len, default=None)
    items = [content.recipient_line.split(":", 1)[1]] if content.recipient_line else list(content.recipients)
    cleaned = [i.strip().lstrip("-–+•* ").strip(" .,;:-–—_|'\"") for i in items]
    return {"kind": kind, "signer_authority": " ".join(content.signer_lines),
            "recipients": "; ".join(c for c in cleaned if c) or None}


def _save(pages: list[Image.Image], path: Path, fmt: str, dpi: int | None) -> None:
    """`dpi` None: no resolution tag in an image; a PDF then says 72 dpi (PIL's default), a wrong one."""
    if fmt == "pdf":
        # No dates in the PDF info: the same seed must give the same bytes.
        pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi or 72), quality=85,
                      title=path.stem, creationDate=None, modDate=None, producer="sohoa samples")
    elif fmt == "png":
        if dpi:
            pages[0].save(path, "PNG", dpi=(dpi, dpi), compress_level=3)
        else:
            pages[0].save(path, "PNG", compress_level=3)
    elif dpi:
        pages[0].save(path, "JPEG", dpi=(dpi, dpi), quality=88)
    else:
        pages[0].save(path, "JPEG", quality=88)


def _dossier_code(agency: str, issue_date: str, index: int, rng: random.Random) -> str:
    received = date.fromisoformat(issue_date) - timedelta(days=rng.randint(3, 20))
    return f"{agency}-{received:%y%m%d}-{index + 1:04d}"


def generate_batch(out_dir: Path, *, count: int = 6, seed: int = 0, province: str = "Khánh Hòa",
                   agency: str = "000.00.15.H34", formats: tuple[str, ...] = ("png", "jpeg", "pdf"),
                   damages: tuple[str, ...] = DAMAGE_LEVELS, document_types: tuple[str, ...] = _BATCH_TYPES,
                   errors: Mapping[int, Sequence[str]] | None = None,
                   families: Sequence[str] = (DEFAULT_FAMILY,),
                   issue_dates: Mapping[int, date] | None = None) -> list[SampleDocument]:
    """Write `count` scans, a `<file>.truth.json` beside each, and manifest.csv into `out_dir`.

    Types (`document_types`: by default the three of the demo; DOCUMENT_TYPES has all five), damage
    levels and formats rotate so a batch of 6 covers each; an image format holds one
    page, so a multi-page document is always written as PDF. Documents 3, 7, 11, ... have no dossier
    code (legacy paper results). `errors` maps a document's 0-based index to the INJECTABLE_ERRORS
    codes printed into it. `families` rotate document by document; within a family the types it
    makes (those of `document_types` it has, else its own, e.g. the công văn) and the damage levels
    rotate as above. A family without a resolution tag is written as JPEG (PDF when multi-page).
    `issue_dates` maps an index to the issue date printed on it."""
    for fmt in formats:
        if fmt not in _EXTENSIONS:
            raise InvalidValue(f"unknown format {fmt!r}; known: png, jpeg, pdf")
    for family in families:
        if family not in FAMILIES:
            raise InvalidValue(f"unknown template family {family!r}; known: {', '.join(FAMILY_NAMES)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    documents: list[SampleDocument] = []
    rows: list[dict[str, str]] = []
    single_page = 0
    for i in range(count):
        family = families[i % len(families)]
        fam = FAMILIES[family]
        j = i // len(families)  # the document's place within its family
        types = tuple(t for t in document_types if t in fam.document_types) or fam.document_types
        n = len(types)
        document_type = types[j % n]
        # Each round of types moves the damage on by one, so every type meets every level.
        damage = damages[(j % n + j // n) % len(damages)]
        pages, truth = render_document(document_type, seed=seed * 1_000_003 + i, damage=damage, province=province,
                                       errors=(errors or {}).get(i, ()), family=family,
                                       issued=(issue_dates or {}).get(i))
        if len(pages) > 1:
            fmt = "pdf"
        elif not fam.dpi_metadata:
            fmt = "jpeg"
        else:
            fmt = formats[single_page % len(formats)]
            single_page += 1
        stem = f"{i + 1:03d}_{document_type}_{damage}" if family == DEFAULT_FAMILY else \
            f"{i + 1:03d}_{family}_{document_type}_{damage}"
        name = stem + _EXTENSIONS[fmt]
        dossier = ""
        if i % 4 != 2:
            dossier = _dossier_code(agency, truth["fields"]["issue_date"], i, random.Random(f"{seed}|{i}"))
        truth = {**truth, "file": name, "province": province, "agency_code": agency, "dossier_code": dossier or None}
        _save(pages, out_dir / name, fmt, truth["dpi"] if fam.dpi_metadata else None)
        (out_dir / f"{name}.truth.json").write_text(
            json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        # A công văn has no type of its own in schemas/: a team declares it as the general type.
        declared = GENERAL_TYPE_CODE if document_type == "cong_van" else document_type
        rows.append({"file": name, "province": province, "agency_code": agency, "document_type": declared,
                     "dossier_code": dossier, "pages": str(len(pages))})
        documents.append(SampleDocument(name, document_type, damage, len(pages), truth["dpi"], truth, family))
    with (out_dir / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return documents
