"""Red and magenta stamp ink taken off a colour page, black print under it kept, blue ink left alone.

The seal (con dấu) is stamped over the signer's authority lines and the first letters of the name,
and a red stamp ("CV ĐẾN", "SAO Y") can sit on the header. The engine reads the brightest channel
(ocr.preprocess, ink="max"), where red ink is light but not white: the seal's ring and lettering stay
as a grey outline (R ~200 of 255 on the development scans) that Tesseract joins to the letters it
touches ("CHỦ TỊCH" lost, "Phạm" read "an").

Stamp ink is multiplied onto the page like a filter: red ink passes most of the red light, black
print passes none of any colour. So in the brightest channel a pixel under the seal is the black
print's share times the seal's own level there; dividing by that level (measured on the seal's clean
ink) gives the black print back and turns the bare seal to paper (`suppress_stamp_ink`). Where the
ring's ink is opaque over a letter, the letter is joined again across it (print above and below).
Only pixels of the stamp's hue (red to magenta) in stamp-sized regions change: a blue pen's
hand-written number and day, a blue signature, and red ink in a line of print (a red title) are left
as they were. Development figures and cost: docs/ocr.md, "Stamp ink".

The work is done on the stamps' boxes only, found on a 75-dpi copy of the page: a page without
stamp ink costs one resize and one colour conversion of that copy."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr.model import Box

ANALYSIS_DPI = 75  # stamps are found on a copy this fine: enough for objects half an inch across
# Stamp hue, OpenCV's 0-180 scale: red up to 12 (24°), magenta and purple from 140 (280°). A blue
# pen is 100-130 (the development scans' hand-written days: 108), so it never counts.
RED_HUE_MAX, MAGENTA_HUE_MIN = 12, 140
# Chroma (brightest minus darkest channel) at which a pixel starts to count as stamp ink, and at
# which it counts fully: the soft edge of a stroke (JPEG halves the colour resolution) fades in
# between. Black print (chroma ~0-15, also under the seal: multiplying by the seal darkens both) stays.
CHROMA_LOW, CHROMA_HIGH = 24, 64
# A stamp is a region of stamp ink at least this many inches on each side once its strokes are joined
# (JOIN_INCHES): a round seal is 1.3-1.7 in, an incoming-mail stamp ~1 x 2 in, an e-signature's seal
# 0.5 in. A line of red print is no taller than ~0.3 in joined, so it stays.
MIN_STAMP_INCHES = 0.45
JOIN_INCHES = 0.12
MARGIN_INCHES = 0.05
# The seal's ink level in the brightest channel is read from its surest pixels (their darker tenth: a
# seal's ink is uneven, 190-245 on a development scan); the gain that brings it to the paper's level is
# held within bounds (a faint seal needs none, a dark one would otherwise lift print too).
SEAL_LEVEL_PERCENTILE = 10
PAPER_PERCENTILE = 60  # the paper's level: most of a stamp's box that is not stamp ink
MAX_GAIN = 1.8
# A seal's ring is ~0.055 in wide (8 px at 150 dpi on the development scans): a letter it crosses is
# joined again over a gap up to this tall (`suppress_stamp_ink`). Only up and down: joined sideways
# too, letters the ring passes between merged (measured worse on the development seals).
RING_INCHES = 0.08
PRINT_LEVEL = 0.5  # darker than this share of the paper's level, once the seal is lifted: print


@dataclass(frozen=True)
class StampInk:
    """What `suppress_stamp_ink` did on a page: the stamps' boxes (page pixels) and their ink level."""

    boxes: tuple[Box, ...]
    level: float  # the stamp ink's level in the brightest channel (0-255), 255 when none


def _ink_weight(rgb: np.ndarray) -> np.ndarray:
    """Per pixel, how much it is stamp ink (0-1): stamp hue, weighted by chroma."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hue = hsv[..., 0]
    r, g, b = cv2.split(rgb)
    chroma = cv2.subtract(cv2.max(cv2.max(r, g), b), cv2.min(cv2.min(r, g), b))
    weight = (chroma.astype(np.float32) - CHROMA_LOW) / (CHROMA_HIGH - CHROMA_LOW)
    np.clip(weight, 0.0, 1.0, out=weight)
    weight[(hue > RED_HUE_MAX) & (hue < MAGENTA_HUE_MIN)] = 0.0
    return weight


def find_stamps(rgb: np.ndarray, dpi: int) -> list[Box]:
    """Boxes (page pixels) of the regions of red or magenta stamp ink at least MIN_STAMP_INCHES
    on each side."""
    if rgb.ndim != 3:
        return []
    h, w = rgb.shape[:2]
    f = min(1.0, ANALYSIS_DPI / max(dpi, 1))
    small = cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA) if f < 1 else rgb
    ink = (_ink_weight(np.ascontiguousarray(small)) >= 0.5).astype(np.uint8)
    if ink.sum() < 20:
        return []
    d = dpi * f
    k = max(2, round(JOIN_INCHES * d))
    joined = cv2.dilate(ink, np.ones((k, k), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    side = MIN_STAMP_INCHES * d
    margin = MARGIN_INCHES * d
    out: list[Box] = []
    for i in range(1, n):
        x, y, bw, bh, _ = stats[i]
        if bw >= side and bh >= side:
            out.append((max(0, round((x - margin) / f)), max(0, round((y - margin) / f)),
                        min(w, round((x + bw + margin) / f)), min(h, round((y + bh + margin) / f))))
    return _merged(out)


def _merged(boxes: list[Box]) -> list[Box]:
    """Overlapping boxes as one (a seal's star inside its ring, two halves of a broken ring)."""
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    boxes[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes


def suppress_stamp_ink(rgb: np.ndarray, dpi: int) -> tuple[np.ndarray, StampInk]:
    """The page with its stamps' red/magenta ink turned to paper and the black print under it kept
    (see the module's docstring); the page itself when it has no stamp. Pixels of stamp ink become
    grey (R = G = B), everything else keeps its colour."""
    boxes = find_stamps(rgb, dpi)
    if not boxes:
        return rgb, StampInk((), 255.0)
    out = rgb.copy()
    gap = round(RING_INCHES * dpi)
    column = np.ones((gap, 1), np.uint8) if gap > 1 else None
    levels = []
    for x0, y0, x1, y1 in boxes:
        crop = np.ascontiguousarray(rgb[y0:y1, x0:x1, :3])
        wt = _ink_weight(crop)
        bright = crop.max(axis=2)
        sure = bright[wt >= 1.0]
        if not sure.size:
            continue
        # Each stamp against its own paper: a phone photo's paper is grey (~170), not white, and
        # lifting the seal above it leaves white patches Tesseract reads as shapes.
        level = float(np.percentile(sure, SEAL_LEVEL_PERCENTILE))
        paper = float(np.percentile(bright[wt == 0], PAPER_PERCENTILE)) if (wt == 0).any() else 255.0
        levels.append(level)
        if level >= paper:
            continue
        gain = min(MAX_GAIN, paper / max(level, 1.0))
        b = bright.astype(np.float32)
        lifted = np.minimum(paper, b * gain)
        grey = np.clip(b + (lifted - b) * wt, 0, 255).astype(np.uint8)
        touched = wt > 0
        if column is not None:
            # Where the seal's ring crossed a letter its ink lies on the print: whitened, the letter
            # would be cut in two. A stamp pixel with print right above and below is print again;
            # print only (dark), the seal's own lighter remains must not be joined into streaks.
            dark = PRINT_LEVEL * paper
            print_only = np.where(grey < dark, grey, 255).astype(np.uint8)
            bridged = cv2.dilate(cv2.erode(print_only, column), column)
            grey = np.where(touched & (bridged < dark), np.minimum(grey, bridged), grey)
        out[y0:y1, x0:x1, :3][touched] = grey[touched][:, None]
    return out, StampInk(tuple(boxes), round(min(levels), 1) if levels else 255.0)
