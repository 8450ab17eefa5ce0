"""Field exact match on real documents with hand-made truth, development and held-out apart.

    python -m ocr.bench_fields [--split dev|held-out|all] [--truth FILE] [--cache DIR] [--show]
    python -m ocr.bench_fields --split dev --augment dpi150,phone --cache DIR   # re-scanned dev pages

OCR results are cached as JSON (`--cache`, else $SOHOA_OCR_CACHE, else a folder in the temp
directory), keyed on the scan and the engine's settings, so extraction can be re-measured without
re-running Tesseract. The split is the project's (see DEV_DOCUMENTS): tune on
development documents only, measure the held-out ones once, at the end. `--show` prints each value
next to its truth -- never use it on the held-out split while tuning.

Truth: tests/data/real-scans/truth.json, {"<file name>": {"fields": {name: value, ...}, ...}, ...}
(or a list of objects with a "file" key; see load_truth). Values compared after NFC and whitespace
collapsing; `signature_page` is compared with the page the signer's name was read on.

`--augment NAMES` (comma-separated names of ocr.bench_rescan.RESCANS, or "default"): the same figures
on each development page re-scanned in simulation under each named degradation (lower resolution with
or without a tag, skew, JPEG, blur, a phone capture, a greyscale photocopy), each apart, beside the
original pages. Only the development split may be augmented (the held-out pages are never looked at).
`wrong_at_0.9` counts the values wrong at confidence >= 0.9 (the worst defect: they get signed)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ocr.model import OcrResult

ROOT = Path(__file__).resolve().parents[1]
TRUTH = ROOT / "tests" / "data" / "real-scans" / "truth.json"
SCANS = ROOT / "tests" / "data" / "real-scans"
# SOHOA_OCR_CACHE names another folder (one per working copy when several people measure at once).
CACHE = Path(os.environ.get("SOHOA_OCR_CACHE") or Path(tempfile.gettempdir()) / "sohoa-ocr-cache")

# The project's real-page split (BRIEF): only these may be looked at while tuning.
DEV_DOCUMENTS = frozenset({
    "1.pdf", "2.pdf", "3.pdf",
    *(f"bgddt-qd-{i}.pdf" for i in range(1, 6)),
    "laocai-31.3.2026_BB_kiemtra_Kho-VLNCN_TD_NamCang1A_D.pdf",
    "laocai-Bien-ban-kiem-tra-hien-truong-Yen-Thanh-8.6.2026.pdf",
    "laocai-CV-2265-BCT-ATMT-trien-khai.pdf",
    "laocai-CV-813-CucHoaChat.pdf",
    "laocai-GP-2507-mo-da-Toong-Gia-Mien-Bac-ban-ky.pdf",
    "laocai-Huong-dan-lien-nganh-24-N2O.pdf",
    "laocai-Mau-giay-phep-cua-Cuc-thamkhao.jpg",
})
# Truth field name -> extraction field name, where they differ.
ALIASES = {"number": "document_number", "date": "issue_date", "place": "issue_place",
           "issuing_body": "issuing_authority", "signer": "signer_name"}
# Keys of a truth entry that are not fields (signature_page is compared with the signer's page).
_META = {"file", "split", "pages", "signers", "handwritten", "stamped", "uncertain", "notes"}


def split_of(file: str) -> str:
    return "dev" if Path(file).name in DEV_DOCUMENTS else "held-out"


def load_truth(path: Path = TRUTH) -> dict[str, dict[str, Any]]:
    """{file name: {field: value or [accepted values]}} from the transcriptions (tests/data/real-scans/
    README.md): a list of printed lines (issuing body, signer's authority) becomes the lines joined by
    a space -- the extractor's format -- or, for joint issuers, by " - " as printed between them;
    the signer's title is the authority block's last line; fields the transcriber marked uncertain
    are left out."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    items = raw.get("documents", raw) if isinstance(raw, dict) else raw
    if isinstance(items, dict):
        items = [{"file": k, **v} for k, v in items.items() if isinstance(v, dict)]
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        fields = item.get("fields", {k: v for k, v in item.items() if k not in _META})
        uncertain = set(item.get("uncertain", ()))
        entry: dict[str, Any] = {}
        for k, v in fields.items():
            if k in uncertain:
                continue
            if k == "signer_authority" and isinstance(v, list) and v and "signer_title" not in fields:
                # The signer's own title is the block's last line, as the generator's truth has it.
                entry["signer_title"] = v[-1]
            if isinstance(v, list):
                v = [" ".join(v), " - ".join(v)] if k == "issuing_body" and len(v) > 2 else " ".join(v)
            entry[ALIASES.get(k, k)] = v
        if item.get("split"):
            entry["_split"] = "dev" if item["split"] == "dev" else "held-out"
        # Fields written by hand into printed blanks (the number, the day): their own read rate.
        entry["_handwritten"] = [ALIASES.get(k, k) for k in item.get("handwritten", ()) if k not in uncertain]
        out[Path(item["file"]).name] = entry
    return out
def cached_ocr(scan: Path, cache: Path = CACHE) -> OcrResult:
    """The OCR result of `scan`, from the cache when the same file was read before with the same
    engine settings (a result read with other settings is another result)."""
    from ocr import ocr_file

    return _cached(scan, "", cache, lambda engine: ocr_file(scan, engine=engine))


def cached_rescan_ocr(scan: Path, rescan: str, cache: Path = CACHE) -> OcrResult:
    """The OCR result of `scan` re-scanned under ocr.bench_rescan.RESCANS[rescan], cached like
    `cached_ocr` (keyed on the scan, the recipe's name and version, and the engine's settings)."""
    from ocr import ocr_pages
    from ocr.bench_rescan import RESCAN_VERSION, rescan_pages

    return _cached(scan, f".{rescan}-v{RESCAN_VERSION}", cache,
                   lambda engine: ocr_pages(rescan_pages(scan, rescan), engine=engine, workers=1, file=scan.name))


def _cached(scan: Path, variant: str, cache: Path, read: Callable[[Any], OcrResult]) -> OcrResult:
    """`read(engine)` kept in `cache` under the scan's bytes, `variant` and the engine's settings."""
    from ocr import get_engine

    engine = get_engine("tesseract")
    digest = hashlib.sha256(scan.read_bytes()).hexdigest()[:16]
    settings = hashlib.sha256(repr(engine).encode()).hexdigest()[:8]
    hit = cache / f"{scan.stem}{variant}.{digest}.{settings}.json"
    if hit.exists():
        return OcrResult.from_dict(json.loads(hit.read_text(encoding="utf-8")))
    result = read(engine)
    cache.mkdir(parents=True, exist_ok=True)
    hit.write_text(json.dumps(result.to_dict(), ensure_ascii=False), encoding="utf-8")
    return result


def _norm(value: Any) -> str | None:
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value))
    return " ".join(text.split())


def measure(split: str = "dev", truth: Path = TRUTH, scans: Path = SCANS, cache: Path = CACHE,
            show: bool = False, rescan: str | None = None) -> dict[str, Any]:
    """Per-field exact match (and the share wrong at confidence >= 0.9) for each split asked for;
    with `rescan`, on the development pages re-scanned under that recipe (ocr.bench_rescan)."""
    if rescan is not None and split != "dev":
        raise ValueError("only the development pages may be re-scanned (the held-out ones stay unseen)")
    from ocr.calibrate import calibrate
    from ocr.extract import extract_fields

    wanted = load_truth(truth)
    from schemas import get_document_type
    from schemas.rules import FieldInput, validate_record

    tallies: dict[str, dict[str, list[int]]] = {}  # split -> field -> [compared, exact, wrong_sure]
    kinds: dict[str, dict[str, list[int]]] = {}  # split -> the document's kind -> [compared, exact]
    # split -> [documents with a handwritten number or date, of which every such field read right]
    # and field -> [handwritten values, read right]
    hand_docs: dict[str, list[int]] = {}
    hand_fields: dict[str, dict[str, list[int]]] = {}
    routes: dict[str, dict[str, int]] = {}  # split -> route the validator gives the record -> documents
    for file, fields in sorted(wanted.items()):
        part = fields.pop("_split", None) or split_of(file)
        handwritten = [k for k in fields.pop("_handwritten", []) if k in ("document_number", "issue_date")
                       and fields.get(k) is not None]
        if part != split_of(file):  # the transcriptions and the brief must agree on what may be tuned on
            raise ValueError(f"{file}: split {part!r} in the truth, {split_of(file)!r} in DEV_DOCUMENTS")
        if split not in ("all", part):
            continue
        result = cached_ocr(scans / file, cache) if rescan is None else cached_rescan_ocr(scans / file, rescan, cache)
        # Confidences as the pipeline sees them: calibrated probabilities (ocr.calibrate).
        extraction = calibrate(extract_fields(result), result)
        got = extraction.fields
        decision = validate_record(get_document_type(extraction.document_type),
                                   {n: FieldInput(f.value, f.confidence) for n, f in got.items()})
        by_route = routes.setdefault(part, {})
        by_route[decision.route.value] = by_route.get(decision.route.value, 0) + 1
        if show:
            print(f"== {file} [{part}] type={extraction.document_type}")
        kind = str(fields.get("kind") or "?")
        right: dict[str, bool] = {}
        for name, want in fields.items():
            if want is None:
                continue
            f = got.get("signer_name" if name == "signature_page" else name)
            value, conf = (f.value, f.confidence) if f else (None, 0.0)
            if name == "signature_page":
                value = str(f.page) if f and f.value and f.page is not None else None
            accepted = want if isinstance(want, list) else [want]
            ok = _norm(value) in {_norm(a) for a in accepted}
            t = tallies.setdefault(part, {}).setdefault(name, [0, 0, 0])
            t[0] += 1
            t[1] += ok
            t[2] += (not ok) and value is not None and conf >= 0.9
            k = kinds.setdefault(part, {}).setdefault(kind, [0, 0])
            k[0] += 1
            k[1] += ok
            right[name] = ok
            if show:
                mark = "ok " if ok else ("BAD" if conf >= 0.9 else "-- ")
                print(f"  {mark} {name:18} {conf:.2f} {value!r}" + ("" if ok else f"  want {want!r}"))
        if handwritten:
            d = hand_docs.setdefault(part, [0, 0])
            d[0] += 1
            d[1] += all(right.get(k, False) for k in handwritten)
            for k in handwritten:
                h = hand_fields.setdefault(part, {}).setdefault(k, [0, 0])
                h[0] += 1
                h[1] += right.get(k, False)
    out: dict[str, Any] = {}
    for part, fields in sorted(tallies.items()):
        n = sum(t[0] for t in fields.values())
        out[part] = {"exact_match": round(sum(t[1] for t in fields.values()) / max(n, 1), 3), "fields": n,
                     "wrong_at_0.9": sum(t[2] for t in fields.values()), "routes": routes.get(part, {}),
                     "by_field": {k: f"{t[1]}/{t[0]}" + (f" ({t[2]} wrong ≥0.9)" if t[2] else "")
                                  for k, t in sorted(fields.items())},
                     "by_field_rate": {k: round(t[1] / max(t[0], 1), 3) for k, t in sorted(fields.items())},
                     "by_kind": {k: f"{t[1]}/{t[0]}" for k, t in sorted(kinds.get(part, {}).items())}}
        docs_hand = hand_docs.get(part, [0, 0])
        out[part]["handwritten"] = {
            "documents": docs_hand[0], "documents_all_read": docs_hand[1],
            "rate": round(docs_hand[1] / docs_hand[0], 3) if docs_hand[0] else None,
            "by_field": {k: f"{t[1]}/{t[0]}" for k, t in sorted(hand_fields.get(part, {}).items())}}
    return out



def calibrated_reliability(split: str, cache_dir: Path | None = None) -> dict[str, Any]:
    """Reliability on the transcribed real documents of one split ("dev" or "held-out"), read as
    this module reads them (its truth format, split and OCR cache). Nothing of these was fitted on.
    A value is judged where the transcription has the field; one where it says null is wrong."""
    from ocr.calibrate import Features, document_features, report
    from ocr.extract import extract_fields

    rows: list[tuple[Features, bool]] = []
    documents = 0
    for file, truth in sorted(load_truth(TRUTH).items()):
        if split_of(file) != split:
            continue
        documents += 1
        result = cached_ocr(SCANS / file, cache_dir or CACHE)
        extraction = extract_fields(result)
        feats = document_features(extraction, result)
        for name, f in feats.items():
            if name in truth and not name.startswith("_"):
                want = truth[name]
                accepted = {_norm(a) for a in (want if isinstance(want, list) else [want]) if a is not None}
                rows.append((f, _norm(extraction.fields[name].value) in accepted))
    return {"documents": documents, **report(rows)}


def main(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m ocr.bench_fields", description=__doc__.split("\n")[0])
    p.add_argument("--split", choices=("dev", "held-out", "all"), default="dev")
    p.add_argument("--truth", type=Path, default=TRUTH)
    p.add_argument("--scans", type=Path, default=SCANS)
    p.add_argument("--cache", type=Path, default=CACHE)
    p.add_argument("--show", action="store_true", help="print every value against its truth")
    p.add_argument("--reliability", action="store_true", help="calibrated confidence bands against accuracy")
    p.add_argument("--augment", default="", help="re-scan recipes of ocr.bench_rescan.RESCANS, comma-separated, "
                                                 "or 'default'; development split only")
    args = p.parse_args(argv)
    if args.augment:
        from ocr.bench_rescan import DEFAULT_RESCANS, RESCANS

        names = DEFAULT_RESCANS if args.augment == "default" else tuple(n for n in args.augment.split(",") if n)
        unknown = [n for n in names if n not in RESCANS]
        if args.split != "dev":
            p.error("--augment: development split only (held-out pages are never re-scanned for tuning)")
        if unknown:
            p.error(f"--augment: unknown recipe {', '.join(unknown)}; recipes: {', '.join(RESCANS)}")
        figures: dict[str, Any] = {"original": measure("dev", args.truth, args.scans, args.cache, args.show).get("dev")}
        for name in names:
            if args.show:
                print(f"##### {name}")
            figures[name] = measure("dev", args.truth, args.scans, args.cache, args.show, rescan=name).get("dev")
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return 0
    if args.reliability:
        from ocr.calibrate import markdown

        figures = calibrated_reliability(args.split, args.cache)
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        if "raw" in figures:
            print(markdown(figures))
        return 0
    print(json.dumps(measure(args.split, args.truth, args.scans, args.cache, args.show), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
