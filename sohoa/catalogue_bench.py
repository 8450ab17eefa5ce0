"""How much a province's own archive helps extraction: the gain as approved records accumulate.

    python -m sohoa.catalogue_bench ocr [--eval 60] [--workers 2] [--variant scanner|coarse]  # OCR once, cached
    python -m sohoa.catalogue_bench measure [--sizes 0,10,50,200] [--variant …] [--slip]  # figures per size
    python -m sohoa.catalogue_bench time [--documents 200000]   # seconds to build the catalogue from SQLite

An "archive" of one province is generated where, as in a real one, each body has a small roster of
signers (a chief and deputies) who sign most of its results. Document i's content is the generator's
(`samples`) with the signer taken from its body's roster. The first documents are the approved
past: their truth builds the catalogue (no OCR needed). The evaluation documents come after index
TRAIN_POOL and are never used to build it; they are rendered with scanner damage and OCR'd once, the
OCR cached as JSON in CACHE so each catalogue size re-runs extraction only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any

CACHE = Path(os.environ.get("SOHOA_CATALOGUE_CACHE", Path(tempfile.gettempdir()) / "sohoa-catalogue-bench"))
PROVINCE = "Khánh Hòa"
SEED = 1212
TRAIN_POOL = 200  # documents 0..199 can build the catalogue; evaluation documents start here
TYPES = ("quyet_dinh", "giay_chung_nhan_ho_kinh_doanh", "xac_nhan_tinh_trang_hon_nhan")
DAMAGES = ("medium", "heavy", "light")
# "scanner": the generator's damage levels at their own resolution (300/200/150 dpi); "coarse": the same
# documents scanned at 75 or 90 dpi (small archive scans, as the real small JPEGs of issue 12).
VARIANTS = ("scanner", "coarse")
ROSTER_WEIGHTS = (0.5, 0.3, 0.2)  # the chief signs half, two deputies the rest
MEASURED = ("signer_name", "issuing_authority", "document_number")


@dataclass(frozen=True)
class ArchiveDocument:
    index: int
    document_type: str
    damage: str
    seed: int
    dpi: int | None = None  # None: the damage level's own


def archive_document(index: int, variant: str = "scanner") -> ArchiveDocument:
    damage = DAMAGES[(index // len(TYPES)) % len(DAMAGES)]
    doc = ArchiveDocument(index, TYPES[index % len(TYPES)], damage, SEED * 1_000_003 + index)
    return replace(doc, damage=("medium", "heavy")[index % 2], dpi=(75, 90)[index // 2 % 2]) if variant == "coarse" else doc


def _roster(body: str) -> list[str]:
    from samples._content import person_name

    rng = random.Random(f"roster|{PROVINCE}|{body}")
    return [person_name(rng, rng.choice("MMF")) for _ in ROSTER_WEIGHTS]


def content(doc: ArchiveDocument) -> Any:
    """The generator's content for `doc`, its signer (name, lines, title) from its body's roster."""
    from samples._content import make_content

    rng = random.Random(f"{doc.document_type}|{PROVINCE}|{doc.seed}")
    c = make_content(doc.document_type, rng, PROVINCE)
    body = " ".join(c.header_left)
    pick = random.Random(f"pick|{doc.seed}").choices(range(len(ROSTER_WEIGHTS)), weights=ROSTER_WEIGHTS)[0]
    lines = list(c.signer_lines)
    behalf = [x for x in lines if x.startswith("TM. ")]
    kt = [x for x in lines if x.startswith("KT. ")]
    chief = kt[0][4:] if kt else lines[-1]
    deputy = lines[-1] if kt else f"PHÓ {chief}"
    c.signer_lines = tuple(behalf + ([chief] if pick == 0 else [f"KT. {chief}", deputy]))
    c.signer_name = _roster(body)[pick]
    c.fields["signer_name"], c.fields["signer_title"] = c.signer_name, c.signer_lines[-1]
    c.fields["signer_authority"] = " ".join(c.signer_lines)
    return c, rng


def truth(doc: ArchiveDocument) -> dict[str, Any]:
    c, _ = content(doc)
    return dict(c.fields)


def _ocr_one(index: int, cache: Path, variant: str) -> str:
    import numpy as np
    from PIL import Image

    from ocr import PageImage, ocr_pages
    from samples._damage import LEVELS, apply_damage
    from samples._render import render_pages

    doc = archive_document(index, variant)
    out = cache / f"{index:04d}.json"
    if out.exists():
        return out.name
    c, rng = content(doc)
    clean, _, _ = render_pages(c, rng)
    damage_rng = np.random.default_rng([doc.seed, list(LEVELS).index(doc.damage), TYPES.index(doc.document_type)])
    dpi = doc.dpi or LEVELS[doc.damage].dpi
    pages = [PageImage(Image.fromarray(apply_damage(np.asarray(img), doc.damage, damage_rng, dpi=dpi)[0]), dpi, i + 1)
             for i, img in enumerate(clean)]
    result = ocr_pages(pages, workers=1)
    out.write_text(json.dumps({"document": doc.__dict__, "truth": dict(c.fields), "ocr": result.to_dict()},
                              ensure_ascii=False), encoding="utf-8")
    return out.name


def cache_ocr(count: int, workers: int, variant: str = "scanner", cache: Path = CACHE) -> None:
    folder = _folder(cache, variant)
    folder.mkdir(parents=True, exist_ok=True)
    indices = range(TRAIN_POOL, TRAIN_POOL + count)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for name in pool.map(_ocr_one, indices, [folder] * len(indices), [variant] * len(indices)):
            print(name, flush=True)


def _same(a: str | None, b: str | None) -> bool:
    from core.text import nfc

    return a is not None and b is not None and " ".join(nfc(a).split()) == " ".join(nfc(b).split())


def _folder(cache: Path, variant: str) -> Path:
    return cache if variant == "scanner" else cache / variant


_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng


def slipped(name: str | None) -> str | None:
    """The name with the tone mark of its last toned syllable dropped ("Tuấn" -> "Tuân", "Hiền" -> "Hiên"):
    the slip issue 12 saw on real pages. None when no syllable carries a tone."""
    import unicodedata

    if not name:
        return None
    words = name.split()
    for i in range(len(words) - 1, -1, -1):
        d = unicodedata.normalize("NFD", words[i])
        if any(c in _TONES for c in d):
            words[i] = unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONES))
            return " ".join(words)
    return None


def measure(sizes: list[int], variant: str = "scanner", slip: bool = False, cache: Path = CACHE) -> dict[str, Any]:
    """For each catalogue size N (approved truth of documents 0..N-1): exact match and wrong values at
    confidence >= 0.9 on the cached evaluation documents, per measured field, and the repairs made.
    With `slip`, every signer name read right is given a one-mark slip first (a simulated OCR error, at
    the confidence the name was read with): what the repair does with it, not what the OCR does."""
    from ocr import OcrResult, extract_fields
    from ocr.catalogue import ApprovedRecord, Catalogue, apply_catalogue, repairs

    cached = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(_folder(cache, variant).glob("*.json"))]
    extractions = [(extract_fields(OcrResult.from_dict(d["ocr"]), d["document"]["document_type"]), d["truth"])
                   for d in cached]
    slips = 0
    if slip:
        for i, (e, t) in enumerate(extractions):
            name = e.fields["signer_name"]
            wrong = slipped(name.value) if _same(name.value, t.get("signer_name")) else None
            if wrong:
                fields = {**e.fields, "signer_name": dc_replace(name, value=wrong)}
                extractions[i] = (dc_replace(e, fields=fields), t)
                slips += 1
    out: dict[str, Any] = {"variant": variant + (" + simulated slips" if slip else ""), "slipped": slips,
                           "documents": len(extractions), "sizes": {}}
    for n in sizes:
        records = [ApprovedRecord(PROVINCE, t["issuing_authority"], t["signer_name"], t["signer_title"],
                                  t["document_number"], t["issue_date"], t.get("signer_authority"))
                   for t in (truth(archive_document(i)) for i in range(min(n, TRAIN_POOL)))]
        catalogue = Catalogue.from_records(records)
        per: dict[str, dict[str, int]] = {f: {"right": 0, "wrong_at_09": 0, "repaired": 0, "repaired_right": 0,
                                              "known": 0, "known_right": 0} for f in MEASURED}
        for extraction, t in extractions:
            e = apply_catalogue(extraction, catalogue, PROVINCE)
            fixed = repairs(e)
            for f in MEASURED:
                v = e.fields[f]
                ok = _same(v.value, t.get(f))
                per[f]["right"] += ok
                per[f]["wrong_at_09"] += (not ok) and v.value is not None and v.confidence >= 0.9
                if f in fixed:
                    per[f]["repaired"] += 1
                    per[f]["repaired_right"] += ok
                if any(k.startswith("known_") and passed for k, passed in v.checks.items()):
                    per[f]["known"] += 1
                    per[f]["known_right"] += ok
        out["sizes"][n] = {"records": catalogue.records, "fields": per}
    return out


def markdown(figures: dict[str, Any]) -> str:
    n_docs = figures["documents"]
    lines = [f"Variant {figures['variant']}: {n_docs} evaluation documents (never in the catalogue); "
             f"signer names given a slip: {figures['slipped']}", "",
             "| N approved | field | exact match | wrong at ≥ 0.9 | repairs (right) | known-value check (right) |",
             "|---|---|---|---|---|---|"]
    for n, row in figures["sizes"].items():
        for f, c in row["fields"].items():
            lines.append(f"| {n} | {f} | {c['right']}/{n_docs} | {c['wrong_at_09']} | "
                         f"{c['repaired']} ({c['repaired_right']}) | {c['known']} ({c['known_right']}) |")
    return "\n".join(lines)


def time_build(documents: int, folder: Path = CACHE / "timing") -> dict[str, float]:
    """Seconds to build the catalogue from a SQLite results DB of `documents` records (half of them
    approved records of the province, 8 fields each), made once in `folder` and reused."""
    import hashlib
    import time

    from sqlalchemy import insert

    from review.catalogue import archive_catalogue
    from storage.db import session_scope, upgrade
    from storage.models import Batch, Document, Field

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"results-{documents}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        upgrade(url)
        rng = random.Random(1)
        bodies = [f"ỦY BAN NHÂN DÂN XÃ SỐ {i}" for i in range(300)]
        with session_scope(url) as s:
            batch = Batch(batch_key="timing", province=PROVINCE, agency_code="x", location="/timing")
            s.add(batch)
            s.flush()
            docs: list[dict[str, Any]] = []
            fields: list[dict[str, Any]] = []
            for i in range(documents):
                docs.append(dict(id=i + 1, batch_id=batch.id, file_name=f"{i}.png", content_type="image/png",
                                 sha256=hashlib.sha256(str(i).encode()).hexdigest(), size_bytes=1, page_count=1,
                                 province=rng.choice([PROVINCE] * 3 + ["Bình Định"]), agency_code="x",
                                 document_type="quyet_dinh", raw_key="r", review_reasons=[],
                                 status=rng.choice(["approved", "stored", "needs_review"])))
                for name, value in (("issuing_authority", rng.choice(bodies)), ("issue_date", "2021-03-04"),
                                    ("signer_name", f"Nguyễn Văn {rng.randrange(900)}"), ("signer_title", "CHỦ TỊCH"),
                                    ("document_number", f"{i}/QĐ-UBND"), ("holder_name", "Trần Thị B"),
                                    ("title", "QUYẾT ĐỊNH"), ("summary", "Về việc giao đất")):
                    fields.append(dict(document_id=i + 1, name=name, value=value, confidence=0.9, source="ocr"))
                if len(docs) >= 10_000 or i == documents - 1:
                    s.execute(insert(Document), docs)
                    s.execute(insert(Field), fields)
                    docs, fields = [], []
    out = {}
    for attempt in ("build", "cached"):
        wall, cpu = time.perf_counter(), time.process_time()
        catalogue = archive_catalogue([PROVINCE], db_url=url)
        out[f"{attempt}_wall_s"] = round(time.perf_counter() - wall, 3)
        out[f"{attempt}_cpu_s"] = round(time.process_time() - cpu, 3)
    out["approved_records"] = catalogue.records
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m sohoa.catalogue_bench")
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("ocr")
    o.add_argument("--eval", type=int, default=60)
    o.add_argument("--workers", type=int, default=2)
    o.add_argument("--variant", choices=VARIANTS, default="scanner")
    m = sub.add_parser("measure")
    m.add_argument("--sizes", default="0,10,50,200")
    m.add_argument("--variant", choices=VARIANTS, default="scanner")
    m.add_argument("--slip", action="store_true", help="give each signer name read right a one-mark slip")
    m.add_argument("--json", action="store_true")
    t = sub.add_parser("time")
    t.add_argument("--documents", type=int, default=200_000)
    args = ap.parse_args(argv)
    if args.cmd == "time":
        print(json.dumps(time_build(args.documents)))
        return 0
    if args.cmd == "ocr":
        cache_ocr(args.eval, args.workers, args.variant)
        return 0
    figures = measure([int(x) for x in args.sizes.split(",")], args.variant, args.slip)
    print(json.dumps(figures, ensure_ascii=False, indent=1) if args.json else markdown(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
