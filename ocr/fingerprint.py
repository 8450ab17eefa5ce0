"""The fingerprint of a page image: its difference hash (dHash), taken by the OCR stage while the
page is in memory and compared by the probable-duplicates check (review/duplicates.py, which says
how HASH_SIDE and STEP were chosen, and the distance that counts as the same page)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

HASH_SIDE = 32
HASH_BITS = HASH_SIDE * HASH_SIDE
#: Grey levels (0-255) by which a cell must be brighter than its right neighbour to give a 1.
STEP = 2.0
#: Pages whose hashes differ in at most this many of the 1,024 bits are the same page image (a pixel
#: changed, saved again as JPEG, scaled down: at most 7 bits; two filled-in papers of one form: at
#: least 73; docs/duplicates.md). The probable-duplicates check and the re-scan match use it.
MATCH_DISTANCE = 24
#: A hash with fewer bits set is a page with nothing written on it (blank cells side by side give 0).
BLANK_BITS = 16


def page_hash(image: Any) -> str:
    """The dHash of one page image (PIL image or array, grey or colour), as hex (HASH_BITS / 4 digits)."""
    import cv2

    pixels = np.asarray(image)
    if pixels.ndim == 3:
        # astype() copies even a uint8 page (26 MB at 300 dpi): only a page of another type is converted.
        rgb = pixels[..., :3]
        pixels = cv2.cvtColor(rgb if rgb.dtype == np.uint8 else rgb.astype(np.uint8), cv2.COLOR_RGB2GRAY)
    small = cv2.resize(pixels.astype(np.float32), (HASH_SIDE + 1, HASH_SIDE), interpolation=cv2.INTER_AREA)
    # "Brighter by more than STEP": two blank cells side by side give 0 whatever the scanner noise.
    bits = (small[:, :-1] > small[:, 1:] + STEP).flatten()
    return np.packbits(bits).tobytes().hex()


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hashes of the same length."""
    x = np.frombuffer(bytes.fromhex(a), dtype=np.uint8) ^ np.frombuffer(bytes.fromhex(b), dtype=np.uint8)
    return int(np.unpackbits(x).sum())


def written(h: str) -> bool:
    """The page has something on it (a blank page's hash is all but empty, and every blank page's alike)."""
    return int(np.unpackbits(np.frombuffer(bytes.fromhex(h), dtype=np.uint8)).sum()) >= BLANK_BITS


def shares_a_page(new: Sequence[str], old: Sequence[str], distance: int = MATCH_DISTANCE) -> bool:
    """A written page of `new` is the same image as a written page of `old`: the file answering a
    re-scan request kept a page of the old one (the blank back replaced, the original of a copy
    sent at 70 dpi). A paper put through the scanner again is a new image (44-113 bits from its
    first scan on generated pages, as far as two different papers): it is not recognised here."""
    return any(hamming(a, b) <= distance for a in new if written(a) for b in old if written(b))
