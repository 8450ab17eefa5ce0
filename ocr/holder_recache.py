"""A calibration cache brought up to the engine with the holder lines' second reading
(ocr.holder_lines) without reading every page with Tesseract again: `python -m ocr.holder_recache
recache --set … --target …`.

A measurement tool above the calibration (ocr.calibrate renders the documents again from their
specs); the engine's step itself (ocr.holder_lines) imports nothing of the calibration."""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from PIL import Image

from ocr.header_body import reread_header
from ocr.holder_lines import AGREE_FLOOR, confirm_holder_words, find_value_lines

# The engine's last steps that can be run on cached words: the holder's lines (this module's first
# use) and the header's issuing body (ocr.header_body), each run after the steps before it.
STEPS = {"holder": confirm_holder_words, "header": reread_header}


def recache(set_name: str, source: Path, target: Path, *, count: int | None = None, start: int = 0,
            reverse: bool = False, redo: bool = False, step: str = "holder") -> dict[str, float]:
    """Bring a calibration cache (ocr.calibrate `cache`, read by an engine without this step) up to
    the engine with it, without reading every page with Tesseract again: each document is rendered
    again from its spec (the generator is seeded), loaded as intake loads it, and this step is run
    on the cached words of each page. Written to `target`/<set>; documents already there are kept.
    A document the generator no longer renders alike (its truth differs from the cached one) keeps
    its cached words. Returns the documents done, those not reproducible and the seconds this step
    took per page. `start`, `count` and `reverse` (last document first) let several processes share
    a set; `redo` runs the step again on documents already there with a value not confirmed. `step`
    names the engine step run (STEPS; the holder's lines by default)."""
    import json
    import time

    from ocr.calibrate import _render
    from ocr.model import OcrResult

    out = target / set_name
    out.mkdir(parents=True, exist_ok=True)
    paths = sorted((source / set_name).glob("*.json"))[start:count]
    if reverse:
        paths.reverse()
    pages_done, seconds, docs, stale = 0, 0.0, 0, 0
    for path in paths:
        dest = out / path.name
        if dest.exists() and not (redo and doubtful(dest)):
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        result = OcrResult.from_dict(doc["ocr"])
        with tempfile.TemporaryDirectory(prefix="sohoa-holder-") as tmp:
            images, truth = _render(doc["spec"], Path(tmp))
        if truth["fields"] != doc["truth"]["fields"]:
            # The generator has changed since this paper was read: its image now is another paper
            # (another holder), so the step cannot be run on the cached words; they are kept as read.
            stale += 1
            _write(dest, doc)
            continue
        if len(images) != len(result.pages):
            raise ValueError(f"{path}: {len(images)} pages rendered, {len(result.pages)} cached")
        new_pages = []
        for image, page in zip(images, result.pages, strict=True):
            # A page read turned (ocr.reading._one) has its words on the upright image.
            upright = image.image.rotate(-page.rotation, expand=True) if page.rotation else image.image
            if upright.size != (page.width, page.height):
                # A pixel of rounding in a resize the generator has since changed: the same page.
                if max(abs(upright.size[0] - page.width), abs(upright.size[1] - page.height)) > 3:
                    raise ValueError(f"{path}: page rendered at {upright.size}, cached at {(page.width, page.height)}")
                upright = upright.resize((page.width, page.height), Image.Resampling.BILINEAR)
            t0 = time.perf_counter()
            words = STEPS[step](list(page.words), upright, page.width, page.height, file=path.name)
            seconds += time.perf_counter() - t0
            pages_done += 1
            new_pages.append(replace(page, words=tuple(words)))
        doc["ocr"] = replace(result, pages=tuple(new_pages)).to_dict()
        _write(dest, doc)
        docs += 1
    return {"documents": docs, "not_reproducible": stale, "pages": pages_done,
            "seconds_per_page": round(seconds / max(pages_done, 1), 3)}


def _write(dest: Path, doc: dict[str, Any]) -> None:
    import json

    part = dest.with_suffix(".part")
    part.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    part.rename(dest)


def doubtful(path: Path) -> bool:
    """Whether a recached document has a holder value word below AGREE_FLOOR (not confirmed)."""
    import json

    from ocr.model import OcrResult

    result = OcrResult.from_dict(json.loads(path.read_text(encoding="utf-8"))["ocr"])
    return any(w.confidence < AGREE_FLOOR for p in result.pages
               for line in find_value_lines(list(p.words), p.width, p.height) for w in line.words)


def main(argv: list[str]) -> int:
    import argparse
    import json

    from ocr.calibrate import CACHE_DIR, SETS

    p = argparse.ArgumentParser(prog="python -m ocr.holder_recache", description=(recache.__doc__ or "").split("\n")[0])
    p.add_argument("what", choices=("recache",))
    p.add_argument("--set", required=True, choices=sorted(SETS))
    p.add_argument("--source", type=Path, default=CACHE_DIR)
    p.add_argument("--target", type=Path, required=True)
    p.add_argument("--count", type=int, default=None)
    p.add_argument("--start", type=int, default=0, help="first document (several processes share a set)")
    p.add_argument("--reverse", action="store_true", help="last document first")
    p.add_argument("--redo", action="store_true", help="again where a holder value is not confirmed")
    p.add_argument("--step", choices=sorted(STEPS), default="holder", help="the engine step run on the cached words")
    args = p.parse_args(argv)
    print(json.dumps(recache(args.set, args.source, args.target, count=args.count, start=args.start,
                                     reverse=args.reverse, redo=args.redo, step=args.step)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
