"""The fingerprint of a page image: its difference hash (dHash), taken by the OCR stage while the
page is in memory and compared by the probable-duplicates check (review/duplicates.py, which says
how HASH_SIDE and STEP were chosen, and the distance that counts as the same page)."""

from __future__ import annotations

from typing import Any

import numpy as np

HASH_SIDE = 32
HASH_BITS = HASH_SIDE * HASH_SIDE
#: Grey levels (0-255) by which a cell must be brighter than its right neighbour to give a 1.
STEP = 2.0


def page_hash(image: Any) -> str:
    """The dHash of one page image (PIL image or array, grey or colour), as hex (HASH_BITS / 4 digits)."""
    import cv2

    pixels = np.asarray(image)
    if pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels[..., :3].astype(np.uint8), cv2.COLOR_RGB2GRAY)
    small = cv2.resize(pixels.astype(np.float32), (HASH_SIDE + 1, HASH_SIDE), interpolation=cv2.INTER_AREA)
    # "Brighter by more than STEP": two blank cells side by side give 0 whatever the scanner noise.
    bits = (small[:, :-1] > small[:, 1:] + STEP).flatten()
    return np.packbits(bits).tobytes().hex()
