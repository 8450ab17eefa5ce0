"""Measure the page-hash distances behind `duplicates.MATCH_DISTANCE` on generated documents.

    python -m review.bench [--seeds 6] [--damage light] [--families tuning]

Distances in bits of `duplicates.HASH_BITS`; a document's distance is the largest over its pages
(what `find_matches` compares). Over every document type of the generator:
- one pixel changed (the same scan submitted again with a trivial edit): must match;
- the same scan saved again as JPEG (quality 75): should match;
- a re-scan: the same clean paper through the scanner model twice (new skew, shift, noise): shown,
  not required (the identity rule catches those);
- two different documents of one form (same type, different seeds, same damage level): must NOT match.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
from typing import Any

import numpy as np
from PIL import Image

from review.duplicates import HASH_BITS, MATCH_DISTANCE, STEP, hamming, page_hash
from samples import FAMILIES, parse_families, render_document
from samples._damage import apply_damage


def _one_pixel(image: Image.Image) -> Image.Image:
    pixels = np.array(image.convert("RGB"))
    y, x = pixels.shape[0] // 2, pixels.shape[1] // 2
    pixels[y, x] = 255 - pixels[y, x]
    return Image.fromarray(pixels)


def _jpeg_again(image: Image.Image) -> Image.Image:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=75)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _stats(values: list[int]) -> dict[str, Any]:
    a = np.asarray(values)
    matched = int((a <= MATCH_DISTANCE).sum())
    return {"n": len(values), "min": int(a.min()), "median": float(np.median(a)), "max": int(a.max()),
            "matched": matched}


def measure(seeds: int = 6, damage: str = "light", families: tuple[str, ...] = ("classic",)) -> dict[str, Any]:
    docs: dict[str, list[int]] = {"one_pixel": [], "jpeg_again": [], "rescan": [], "different": []}
    pages: dict[str, list[int]] = {k: [] for k in docs}
    for family, doc_type in ((f, t) for f in families for t in FAMILIES[f].document_types):
        hashes: list[list[str]] = []
        for seed in range(seeds):
            images, _ = render_document(doc_type, seed=seed, damage=damage, family=family)
            own = [page_hash(p) for p in images]
            hashes.append(own)
            for name, change in (("one_pixel", _one_pixel), ("jpeg_again", _jpeg_again)):
                d = [hamming(h, page_hash(change(p))) for p, h in zip(images, own, strict=True)]
                pages[name] += d
                docs[name].append(max(d))
            if seed < 2:  # re-scans: the clean render through two scanner passes
                clean, _ = render_document(doc_type, seed=seed, damage="none", family=family)
                d = []
                for index, page in enumerate(clean):
                    arr = np.asarray(page.convert("RGB"))
                    once, _ = apply_damage(arr, damage, np.random.default_rng([seed, index, 1]))
                    twice, _ = apply_damage(arr, damage, np.random.default_rng([seed, index, 2]))
                    d.append(hamming(page_hash(once), page_hash(twice)))
                pages["rescan"] += d
                docs["rescan"].append(max(d))
        for first, second in itertools.combinations(hashes, 2):
            if len(first) == len(second):
                d = [hamming(x, y) for x, y in zip(first, second, strict=True)]
                pages["different"] += d
                docs["different"].append(max(d))
    return {"bits": HASH_BITS, "step": STEP, "threshold": MATCH_DISTANCE, "damage": damage, "seeds": seeds,
            "families": list(families),
            "documents": {k: _stats(v) for k, v in docs.items()}, "pages": {k: _stats(v) for k, v in pages.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--damage", default="light")
    parser.add_argument("--families", default="classic", help='"tuning", "held-out", "all" or names, commas')
    args = parser.parse_args()
    print(json.dumps(measure(args.seeds, args.damage, parse_families(args.families)), indent=1))


if __name__ == "__main__":
    main()
