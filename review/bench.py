"""Measure the page-hash distances behind `duplicates.MATCH_DISTANCE` on generated documents.

    python -m review.bench [--seeds 8]

Three distributions, per page, over every document type of the generator:
- one pixel changed (the same scan re-submitted with a trivial edit): must match;
- a re-scan: the same clean paper through the scanner model twice (different skew, shift, noise);
- two different documents of one form (same type, different seeds, same damage level): must NOT match.
"""

from __future__ import annotations

import argparse
import itertools
import json
from typing import Any

import numpy as np
from PIL import Image

from review.duplicates import HASH_BITS, MATCH_DISTANCE, hamming, page_hash
from samples import DOCUMENT_TYPES, render_document
from samples._damage import apply_damage


def _one_pixel(image: Image.Image) -> Image.Image:
    pixels = np.array(image)
    y, x = pixels.shape[0] // 2, pixels.shape[1] // 2
    pixels[y, x] = 255 - pixels[y, x]
    return Image.fromarray(pixels)


def _stats(values: list[int]) -> dict[str, Any]:
    a = np.asarray(values)
    return {"n": len(values), "min": int(a.min()), "p1": float(np.percentile(a, 1)), "median": float(np.median(a)),
            "p99": float(np.percentile(a, 99)), "max": int(a.max())}


def measure(seeds: int = 8, damage: str = "light") -> dict[str, Any]:
    one_pixel: list[int] = []
    rescan: list[int] = []
    different: list[int] = []
    for doc_type in DOCUMENT_TYPES:
        hashes: list[list[str]] = []
        for seed in range(seeds):
            pages, _ = render_document(doc_type, seed=seed, damage=damage)
            page_hashes = [page_hash(p.convert("RGB")) for p in pages]
            hashes.append(page_hashes)
            one_pixel += [hamming(h, page_hash(_one_pixel(p.convert("RGB")))) for p, h in zip(pages, page_hashes, strict=True)]
            if seed < 3:  # re-scans: the clean render through two scanner passes
                clean, _ = render_document(doc_type, seed=seed, damage="none")
                for index, page in enumerate(clean):
                    arr = np.asarray(page.convert("RGB"))
                    a, _ = apply_damage(arr, damage, np.random.default_rng([seed, index, 1]))
                    b, _ = apply_damage(arr, damage, np.random.default_rng([seed, index, 2]))
                    rescan.append(hamming(page_hash(a), page_hash(b)))
        for a, b in itertools.combinations(hashes, 2):
            if len(a) == len(b):
                different += [hamming(x, y) for x, y in zip(a, b, strict=True)]
    return {"bits": HASH_BITS, "threshold": MATCH_DISTANCE, "damage": damage, "seeds": seeds,
            "document_types": list(DOCUMENT_TYPES), "one_pixel": _stats(one_pixel),
            "rescan": _stats(rescan), "different_same_type": _stats(different)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--damage", default="light")
    args = parser.parse_args()
    print(json.dumps(measure(args.seeds, args.damage), indent=1))


if __name__ == "__main__":
    main()
