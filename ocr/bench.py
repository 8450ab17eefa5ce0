"""Accuracy and speed figures (printed by `make bench`; never a pass/fail test).

    from ocr.bench import measure, measure_real
    figures = measure(Path("var/samples"))   # a folder written by samples.generate_batch
    real = measure_real()                    # tests/data/real-scans/*.truth.txt vs the scans beside them

    python -m ocr.bench real [--engine JSON]       # WER/CER on real scans, ours and plain Tesseract
    python -m ocr.bench speed                      # OCR+extract pages/min/core, 300-dpi A4
    python -m ocr.bench small                      # WER of real pages as small untagged JPEGs
    python -m ocr.bench small --pages tuning --damage jpeg60,blur --no-plain   # a subset, faster
    python -m ocr.bench small-agreement-dev        # untranscribed real pages: small vs true-res reading
    python -m ocr.bench small-agreement-heldout    # the same on held-out pages (final measurement only)
    python -m ocr.bench small-agreement-dev --damage jpeg60,blur   # ... and damaged small images too
    python -m ocr.bench repairs [--generated N]    # what ocr.correct does to aligned words (ocr.bench_repairs)
    python -m ocr.bench SAMPLES_DIR [--engine JSON]

CER/WER are edit distances over the page text, whitespace collapsed, word = whitespace-separated token.
Generated samples: their truth["text"] lists printed rows across the whole width (the header's two
columns on one row), so the hypothesis is compared in the same row order (`layout.row_text`): the
figure measures recognition, not reading order. Real scans: the truth is in reading order (see
tests/data/real-scans/README.md) and so is the hypothesis (`PageText.text`).
Field exact match: `contract_field_exact_match` over the eight contract fields of `sohoa extract`
(ocr.extract.CONTRACT_FIELDS, the issue's target), `field_exact_match` over every truth field the
document type's schema lists, and `by_field` per field; a field whose truth is null is not counted.
Reliability (`reliability`): every extracted value judged against the truth (a value where the truth is
null is wrong), its raw and its calibrated confidence (ocr.calibrate) in bands against the accuracy
observed; these documents are not the ones the calibration was fitted on (other seeds)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from core.real_scans import REAL_SCANS
from ocr import extract_fields, load_pages, ocr_pages
from ocr._text import edit_distance
from ocr.calibrate import Features, judge, truth_fields
from ocr.calibrate import report as reliability_report
from ocr.extract import CONTRACT_FIELDS
from ocr.layout import row_text
from ocr.model import OcrResult

REAL_TRUTH = REAL_SCANS  # the page transcriptions *-pN.truth.txt sit beside the scans


def _norm(text: str) -> str:
    return " ".join(text.split())


HIGH_CONFIDENCE = 0.9  # a wrong field at or above this is the worst defect: it gets signed


def measure(samples_dir: Path, *, workers: int = 0, **engine_options: Any) -> dict[str, Any]:
    """{"documents", "pages", "seconds", "pages_per_min_per_core", "by_damage": {level: {cer, wer,
    field_exact_match, fields, ...}}, "by_family": {family: {...}}, "tuning_families": {...},
    "held_out_family": {"name", ...}, "overall": {...}} for every `*.truth.json` in `samples_dir`.

    Each group also counts the fields wrong at confidence >= HIGH_CONFIDENCE (`contract_wrong_confident`
    over the eight contract fields, `wrong_confident` over all). Truth files without a "family" are
    classic; the held-out family (samples.HELD_OUT_FAMILY) is kept out of "tuning_families"."""
    from ocr.engine import get_engine
    from samples import HELD_OUT_FAMILY
    from schemas.document_types import DOCUMENT_TYPES as SCHEMA_TYPES

    engine = get_engine("tesseract", **engine_options)
    per: dict[tuple[str, str], dict[str, float]] = {}  # (family, damage) -> counts
    by_field: dict[tuple[str, str], dict[str, list[int]]] = {}  # (family, damage) -> field -> [compared, exact]
    pages_total, t0, cpu = 0, time.perf_counter(), 0.0
    judged: list[tuple[Features, bool]] = []
    for truth_file in sorted(Path(samples_dir).glob("*.truth.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        scan = truth_file.with_name(truth_file.name[: -len(".truth.json")])
        c0 = os.times()
        result = ocr_pages(load_pages(scan), engine=engine, workers=workers)
        c1 = os.times()
        # Child CPU time is tesseract's; per-core throughput = pages / CPU minutes of the OCR alone.
        cpu += (c1.user - c0.user) + (c1.system - c0.system) + (c1.children_user - c0.children_user) \
            + (c1.children_system - c0.children_system)
        pages_total += len(result.pages)
        ref = _norm("\n".join("\n".join(rows) for rows in truth["text"]))
        hyp = _norm(_row_order(result))
        # A kind the schemas do not know yet (the công văn) is extracted as any document would be.
        kind = truth["document_type"] if truth["document_type"] in SCHEMA_TYPES else "auto"
        extraction = extract_fields(result, kind)
        key = (truth.get("family", "classic"), truth.get("damage", "?"))
        acc = per.setdefault(key, dict.fromkeys(_COUNTS, 0.0))
        judged += judge(extraction, result, truth_fields(truth))
        acc["chars"] += len(ref)
        acc["char_err"] += edit_distance(ref, hyp)
        acc["words"] += len(ref.split())
        acc["word_err"] += edit_distance(ref.split(), hyp.split())
        acc["docs"] += 1
        for name, want in truth["fields"].items():
            if name in extraction.fields and want is not None:
                got = extraction.fields[name]
                ok = got.value == want
                confident_wrong = not ok and got.confidence >= HIGH_CONFIDENCE
                acc["fields"] += 1
                acc["field_ok"] += ok
                acc["wrong_confident"] += confident_wrong
                if name in CONTRACT_FIELDS:
                    acc["contract_fields"] += 1
                    acc["contract_ok"] += ok
                    acc["contract_wrong_confident"] += confident_wrong
                tally = by_field.setdefault(key, {}).setdefault(name, [0, 0])
                tally[0] += 1
                tally[1] += ok
        # The general type's fields (kind, authority lines, recipients) are counted apart, so the
        # figures above keep their meaning across generator versions.
        for name, want in truth.get("general_fields", {}).items():
            if name in extraction.fields and want is not None:
                got = extraction.fields[name]
                ok = got.value == want
                acc["general_fields"] += 1
                acc["general_ok"] += ok
                acc["general_wrong_confident"] += not ok and got.confidence >= HIGH_CONFIDENCE
                tally = by_field.setdefault(key, {}).setdefault(name, [0, 0])
                tally[0] += 1
                tally[1] += ok
    seconds = time.perf_counter() - t0

    def figures(a: dict[str, float]) -> dict[str, Any]:
        return {"documents": int(a["docs"]), "cer": round(a["char_err"] / max(a["chars"], 1), 4),
                "wer": round(a["word_err"] / max(a["words"], 1), 4),
                "contract_field_exact_match": round(a["contract_ok"] / max(a["contract_fields"], 1), 4),
                "contract_fields": int(a["contract_fields"]),
                "contract_wrong_confident": int(a["contract_wrong_confident"]),
                "field_exact_match": round(a["field_ok"] / max(a["fields"], 1), 4), "fields": int(a["fields"]),
                "wrong_confident": int(a["wrong_confident"]),
                "general_field_exact_match": round(a["general_ok"] / max(a["general_fields"], 1), 4),
                "general_fields": int(a["general_fields"]), "general_wrong_confident": int(a["general_wrong_confident"])}

    def group(keep: Any) -> dict[str, Any]:
        counts = {k: sum(a[k] for key, a in per.items() if keep(key)) for k in _COUNTS}
        tallies: dict[str, list[int]] = {}
        for key, fields in by_field.items():
            if keep(key):
                for name, (n, ok) in fields.items():
                    t = tallies.setdefault(name, [0, 0])
                    t[0] += n
                    t[1] += ok
        return {**figures(counts), "by_field": {name: round(ok / n, 4) for name, (n, ok) in sorted(tallies.items())}}

    families = sorted({f for f, _ in per})
    levels = sorted({d for _, d in per})
    out: dict[str, Any] = {
        "documents": int(sum(a["docs"] for a in per.values())), "pages": pages_total, "seconds": round(seconds, 1),
        "pages_per_min_per_core": round(pages_total / max(cpu, 1e-9) * 60, 2),
        "by_damage": {d: group(lambda k, d=d: k[1] == d) for d in levels},
        "overall": group(lambda k: True),
    }
    if families != ["classic"]:
        out["by_family"] = {f: group(lambda k, f=f: k[0] == f) for f in families if f != HELD_OUT_FAMILY}
        out["tuning_families"] = group(lambda k: k[0] != HELD_OUT_FAMILY)
        if HELD_OUT_FAMILY in families:
            out["held_out_family"] = {"name": HELD_OUT_FAMILY, **group(lambda k: k[0] == HELD_OUT_FAMILY)}
    out["reliability"] = reliability_report(judged)
    return out


_COUNTS = ("chars", "char_err", "words", "word_err", "fields", "field_ok", "contract_fields", "contract_ok", "docs",
           "wrong_confident", "contract_wrong_confident", "general_fields", "general_ok", "general_wrong_confident")


def _row_order(result: OcrResult) -> str:
    return "\n".join(row_text(p.words, p.width, p.height) for p in result.pages)


def error_rates(reference: str, hypothesis: str) -> dict[str, float]:
    ref, hyp = _norm(reference), _norm(hypothesis)
    return {"wer": round(edit_distance(ref.split(), hyp.split()) / max(len(ref.split()), 1), 4),
            "cer": round(edit_distance(ref, hyp) / max(len(ref), 1), 4), "words": len(ref.split())}


def plain_tesseract(page: Any, *, language: str = "vie", timeout_s: float = 180) -> str:
    """The baseline: Tesseract on the page image as loaded, no preprocessing, default psm (3), plain text."""
    import tempfile

    from ocr._exec import tesseract

    with tempfile.NamedTemporaryFile(suffix=".png") as tmp:
        page.image.save(tmp.name, dpi=(page.dpi, page.dpi))
        return tesseract.run(tmp.name, ["-l", language, "--dpi", str(page.dpi)], timeout_s=timeout_s)


def measure_real(truth_dir: Path = REAL_TRUTH, scans_dir: Path = REAL_SCANS, **engine_options: Any) -> dict[str, Any]:
    """WER/CER of plain Tesseract and of our pipeline on each `<file>-p<N>.truth.txt` in `truth_dir`
    (the page N of `scans_dir/<file>.pdf`), and their means over pages."""
    from ocr.engine import get_engine

    engine = get_engine("tesseract", **engine_options)
    pages: dict[str, Any] = {}
    for truth_file in sorted(Path(truth_dir).glob("*-p*.truth.txt")):
        stem = truth_file.name[: -len(".truth.txt")]
        name, _, number = stem.rpartition("-p")
        scan = Path(scans_dir) / f"{name}.pdf"
        page = next(p for p in load_pages(scan) if p.number == int(number))
        reference = truth_file.read_text(encoding="utf-8")
        t0 = time.perf_counter()
        ours = ocr_pages([page], engine=engine, workers=1)
        seconds = time.perf_counter() - t0
        pages[stem] = {"plain_tesseract": error_rates(reference, plain_tesseract(page)),
                       "sohoa": error_rates(reference, ours.text()), "dpi": page.dpi, "seconds": round(seconds, 2)}

    def mean(system: str, key: str) -> float:
        return round(sum(p[system][key] for p in pages.values()) / max(len(pages), 1), 4)

    return {"pages": pages, "mean": {s: {"wer": mean(s, "wer"), "cer": mean(s, "cer")}
                                      for s in ("plain_tesseract", "sohoa")}}


# The damage the held-out small letters also came in, applied to the ~70 dpi (576 px) image
# before it is saved: a harsher JPEG, a slight blur, a slight skew, a grey sheet (docs/ocr.md).
SMALL_DAMAGE = ("jpeg60", "blur", "skew", "grey")
SMALL_DAMAGE_WIDTH = 576


# The transcribed pages split for tuning the small-page rules (issue 12): rules are chosen on the
# tuning pages and reported on the others, read only to measure (docs/ocr.md). All four are
# development pages of the project's split; the split is by document, so no page of a report
# document was seen while tuning.
SMALL_TUNING_PAGES = ("1-p1", "1-p2")
SMALL_REPORT_PAGES = ("2-p1", "3-p1")


def measure_small(widths: tuple[int, ...] = (576, 830), truth_dir: Path = REAL_TRUTH, scans_dir: Path = REAL_SCANS,
                  damage: tuple[str, ...] = SMALL_DAMAGE, plain: bool = True, pages_only: tuple[str, ...] = (),
                  **engine_options: Any) -> dict[str, Any]:
    """Real pages as small images without a resolution tag (issue 12): each transcribed page rendered
    at its scan resolution, shrunk (Lanczos) to each width in `widths` (576 px: ~70 dpi for A4, what
    the issue's held-out letters were), saved as JPEG q85 with no dpi tag, loaded as intake loads it
    (load_pages then assumes 300 dpi) and read; WER against the page's transcription, beside the WER
    of the same page at its true resolution. Each `damage` (SMALL_DAMAGE, see `small_untagged_jpeg`)
    is applied to the SMALL_DAMAGE_WIDTH image as well. `gap` = mean small WER - mean true-resolution
    WER (the undamaged page), in points. With `plain`, the baseline the issue names beside ours:
    Tesseract alone on the same small image upscaled x2 (bicubic), psm 4 (`plain_tesseract_small`).
    `seconds_per_page`: wall time of our reading of a small page. `pages_only`: these page stems
    (e.g. SMALL_TUNING_PAGES) instead of every transcribed page."""
    from ocr.engine import get_engine

    engine = get_engine("tesseract", **engine_options)
    variants = [(str(w), w, "") for w in widths] + [(d, SMALL_DAMAGE_WIDTH, d) for d in damage]
    pages: dict[str, Any] = {}
    seconds: list[float] = []
    for truth_file in sorted(Path(truth_dir).glob("*-p*.truth.txt")):
        stem = truth_file.name[: -len(".truth.txt")]
        if pages_only and stem not in pages_only:
            continue
        name, _, number = stem.rpartition("-p")
        page = next(p for p in load_pages(Path(scans_dir) / f"{name}.pdf") if p.number == int(number))
        reference = truth_file.read_text(encoding="utf-8")
        row: dict[str, Any] = {"true": {**error_rates(reference, ocr_pages([page], engine=engine, workers=1).text()),
                                        "dpi": page.dpi}}
        for key, width, harm in variants:
            data = small_untagged_jpeg(page.image, width, harm)
            loaded = load_pages(data)
            t0 = time.perf_counter()
            result = ocr_pages(loaded, engine=engine, workers=1)
            seconds.append(time.perf_counter() - t0)
            row[key] = {**error_rates(reference, result.text()),
                        "true_dpi": round(page.dpi * width / page.image.width),
                        "estimated_dpi": result.pages[0].quality.estimated_dpi,
                        "rescan": result.pages[0].quality.rescan}
            if plain:
                row[key]["plain_tesseract"] = error_rates(reference, plain_tesseract_small(loaded[0]))["wer"]
        pages[stem] = row

    def mean(key: str, system: str = "sohoa") -> float:
        values = [p[key]["wer"] if system == "sohoa" else p[key]["plain_tesseract"] for p in pages.values()]
        return round(sum(values) / max(len(values), 1), 4)

    keys = [k for k, _, _ in variants]
    means = {"true": mean("true"), **{k: mean(k) for k in keys}}
    out: dict[str, Any] = {
        "pages": pages, "mean_wer": means,
        "gap_points": {k: round(100 * (means[k] - means["true"]), 2) for k in keys},
        "seconds_per_page": round(sum(seconds) / max(len(seconds), 1), 2)}
    if plain:
        out["plain_tesseract_mean_wer"] = {k: mean(k, "plain") for k in keys}
    return out


def small_untagged_jpeg(image: Any, width: int, damage: str = "") -> bytes:
    """`image` shrunk (Lanczos) to `width` pixels wide and saved as JPEG with no resolution tag, q85,
    or damaged first: "jpeg60" saved at q60; "blur" Gaussian blur of 0.7 px; "skew" turned 1.5 degrees
    (white corners); "grey" every level times 0.75 (the paper at ~190 grey, the ink a little darker)."""
    import io

    from PIL import Image, ImageFilter

    im = image.convert("RGB")
    small = im.resize((width, round(im.height * width / im.width)), Image.Resampling.LANCZOS)
    quality = 85
    if damage == "jpeg60":
        quality = 60
    elif damage == "blur":
        small = small.filter(ImageFilter.GaussianBlur(0.7))
    elif damage == "skew":
        small = small.rotate(1.5, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
    elif damage == "grey":
        small = small.point(lambda v: round(v * 0.75))
    elif damage:
        raise ValueError(f"unknown damage {damage!r}")
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=quality)  # no dpi tag: the file says nothing of its resolution
    return buf.getvalue()


def plain_tesseract_small(page: Any, *, language: str = "vie", timeout_s: float = 180) -> str:
    """The issue's baseline on a small image: Tesseract alone, the image as grey upscaled x2 (bicubic),
    psm 4, no resolution given (the file has none), plain text."""
    import tempfile

    from PIL import Image

    from ocr._exec import tesseract

    grey = page.image.convert("L")
    grey = grey.resize((grey.width * 2, grey.height * 2), Image.Resampling.BICUBIC)
    with tempfile.NamedTemporaryFile(suffix=".png") as tmp:
        grey.save(tmp.name)
        return tesseract.run(tmp.name, ["-l", language, "--psm", "4"], timeout_s=timeout_s)


AGREEMENT_MIN_DPI = 150  # a coarser page's own reading is too poor a reference
AGREEMENT_MIN_WORDS = 50  # a cover or a near-empty page says nothing


def measure_small_agreement(split: str, target_dpi: int = 70, damage: tuple[str, ...] = (),
                            **engine_options: Any) -> dict[str, Any]:
    """Small untagged images of real pages that have no full-text transcription (issue 12): the first
    page of every document of `split` (core.real_scans) scanned at AGREEMENT_MIN_DPI or more is read
    at its true resolution, then shrunk to about `target_dpi` as an untagged JPEG and read again;
    `disagreement` is the WER of the small reading against the true-resolution one. It is not the
    gap to the truth (both readings err), but a page the small image reads like the large one has no
    gap. Each of `damage` (see `small_untagged_jpeg`) is applied to the small image too and measured
    the same way (`damaged`). Only rates are returned: the held-out pages' text is never shown."""
    from core.real_scans import real_documents
    from ocr.engine import get_engine

    engine = get_engine("tesseract", **engine_options)
    pages: dict[str, Any] = {}
    for doc in real_documents(split):  # type: ignore[arg-type]
        if doc.path.suffix.lower() != ".pdf":
            continue  # an image says nothing of its true resolution: no reference
        page = load_pages(doc.path)[0]
        ref = ocr_pages([page], engine=engine, workers=1)
        true_dpi = ref.pages[0].dpi
        if true_dpi < AGREEMENT_MIN_DPI or len(ref.text().split()) < AGREEMENT_MIN_WORDS:
            continue
        width = round(page.image.width * target_dpi / true_dpi)
        small = ocr_pages(load_pages(small_untagged_jpeg(page.image, width)), engine=engine, workers=1)
        pages[doc.file] = {"disagreement": error_rates(ref.text(), small.text())["wer"], "true_dpi": true_dpi,
                           "estimated_dpi": small.pages[0].quality.estimated_dpi}
        if damage:
            pages[doc.file]["damaged"] = {
                harm: error_rates(ref.text(), ocr_pages(load_pages(small_untagged_jpeg(page.image, width, harm)),
                                                        engine=engine, workers=1).text())["wer"]
                for harm in damage}
    mean = round(sum(p["disagreement"] for p in pages.values()) / max(len(pages), 1), 4)
    out: dict[str, Any] = {"split": split, "target_dpi": target_dpi, "pages": pages, "mean_disagreement": mean}
    if damage:
        out["mean_disagreement_damaged"] = {
            harm: round(sum(p["damaged"][harm] for p in pages.values()) / max(len(pages), 1), 4) for harm in damage}
    return out


def throughput(documents: int = 6, **engine_options: Any) -> dict[str, Any]:
    """OCR + field extraction on generated 300-dpi A4 pages (light damage), one process: pages per
    CPU-minute, with tesseract's share (child-process CPU) apart from ours (Python, OpenCV)."""
    from ocr import PageImage
    from ocr.engine import get_engine
    from samples import DOCUMENT_TYPES, render_document

    engine = get_engine("tesseract", **engine_options)
    docs = []
    for i in range(documents):
        images, truth = render_document(sorted(DOCUMENT_TYPES)[i % len(DOCUMENT_TYPES)], seed=100 + i, damage="light")
        docs.append([PageImage(im.convert("RGB"), truth["dpi"], n + 1) for n, im in enumerate(images)])
    pages = sum(len(d) for d in docs)
    c0 = os.times()
    for d in docs:
        extract_fields(ocr_pages(d, engine=engine, workers=1))
    c1 = os.times()
    child = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
    cpu = child + (c1.user - c0.user) + (c1.system - c0.system)
    return {"pages": pages, "dpi": 300, "cpu_seconds": round(cpu, 1), "tesseract_cpu_seconds": round(child, 1),
            "pages_per_min_per_core": round(pages / max(cpu, 1e-9) * 60, 1)}


def main(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m ocr.bench", description=__doc__.split("\n")[0])
    p.add_argument("what", help="'real' (page transcriptions vs the scans in tests/data/real-scans), 'speed' "
                                "(OCR+extract pages/min/core on 300-dpi A4) or a folder of generated samples")
    p.add_argument("--truth", type=Path, default=REAL_TRUTH)
    p.add_argument("--scans", type=Path, default=REAL_SCANS)
    p.add_argument("--generated", type=int, default=0, help="repairs: also N generated tuning-family documents")
    p.add_argument("--engine", default="{}", help='TesseractEngine options as JSON, e.g. \'{"layout": false}\'')
    p.add_argument("--pages", default="", help="small: 'tuning', 'report' (SMALL_TUNING_PAGES / SMALL_REPORT_PAGES) "
                                               "or page stems, comma-separated (e.g. 1-p1,2-p1); default every page")
    p.add_argument("--damage", default=None, help="small: damages, comma-separated (default all of SMALL_DAMAGE; "
                                                  "'' none)")
    p.add_argument("--widths", default="576,830", help="small: widths of the undamaged small images")
    p.add_argument("--no-plain", action="store_true", help="small: do not read with plain Tesseract too")
    args = p.parse_args(argv)
    options = json.loads(args.engine)
    if args.what == "real":
        figures = measure_real(args.truth, args.scans, **options)
    elif args.what == "speed":
        figures = throughput(**options)
    elif args.what == "small":
        chosen = {"tuning": SMALL_TUNING_PAGES, "report": SMALL_REPORT_PAGES}.get(
            args.pages, tuple(s for s in args.pages.split(",") if s))
        damage = SMALL_DAMAGE if args.damage is None else tuple(d for d in args.damage.split(",") if d)
        widths = tuple(int(w) for w in args.widths.split(",") if w)
        figures = measure_small(widths, truth_dir=args.truth, scans_dir=args.scans, damage=damage,
                                plain=not args.no_plain, pages_only=chosen, **options)
    elif args.what in ("small-agreement-dev", "small-agreement-heldout"):
        figures = measure_small_agreement(args.what.rsplit("-", 1)[1],
                                          damage=() if args.damage is None else
                                          tuple(d for d in args.damage.split(",") if d), **options)
    elif args.what == "repairs":
        from ocr.bench_repairs import measure_repairs

        figures = measure_repairs(args.truth, args.scans, args.generated, **options)
    else:
        figures = measure(Path(args.what), **options)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
