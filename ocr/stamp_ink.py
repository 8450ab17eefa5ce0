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
# The gap actually bridged is the ring's own width, measured on the seal's ink: the distance from a
# stroke's middle to its edge at the seal's thicker strokes (this percentile of the middle line; the
# lettering is thinner, the star's middle wider), twice, plus a pixel for the soft edge. RING_INCHES
# is its ceiling. A fixed 0.08 in at 300 dpi (24 px) was twice a generated seal's ring and closed the
# gap between an acute and its O ("PHÔ").
RING_WIDTH_PERCENTILE = 75
# Print above a bridge must be a letter's body, not an accent: a piece of print no taller and no
# wider than this is not joined down to what lies under it.
ACCENT_INCHES = 0.06
# Once the seal is gone, a signature it covered stands alone in the stamp's box and Tesseract read it
# as a line of junk between the title and the name ("CAA^2~-«"). A piece of print touching the box
# that is taller than two lines of text, or long and sparse like a pen's stroke, is not text: paper.
SIGNATURE_TALL_INCHES = 0.35
SIGNATURE_LONG_INCHES = 0.8
SIGNATURE_FILL = 0.15
SIGNATURE_REACH_INCHES = 1.0  # a signature crossing the box's edge is followed this far outside it
# (and its coloured pieces within a third of that of a dropped stroke)
PRINT_LEVEL = 0.5  # darker than this share of the paper's level, once the seal is lifted: print


@dataclass(frozen=True)
class StampInk:
    """What `suppress_stamp_ink` did on a page: the stamps' boxes (page pixels) and their ink level."""

    boxes: tuple[Box, ...]
    level: float  # the stamp ink's level in the brightest channel (0-255), 255 when none


def _ink_weight(rgb: np.ndarray, *, any_hue: bool = False) -> np.ndarray:
    """Per pixel, how much it is stamp ink (0-1): stamp hue (any hue when `any_hue`: an incoming-mail
    stamp is red, violet or blue, and its number and day are written in a blue pen), weighted by chroma."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hue = hsv[..., 0]
    r, g, b = cv2.split(rgb)
    chroma = cv2.subtract(cv2.max(cv2.max(r, g), b), cv2.min(cv2.min(r, g), b))
    weight = (chroma.astype(np.float32) - CHROMA_LOW) / (CHROMA_HIGH - CHROMA_LOW)
    np.clip(weight, 0.0, 1.0, out=weight)
    if not any_hue:
        weight[(hue > RED_HUE_MAX) & (hue < MAGENTA_HUE_MIN)] = 0.0
    return weight


def find_stamps(rgb: np.ndarray, dpi: int, *, any_hue: bool = False) -> list[Box]:
    """Boxes (page pixels) of the regions of red or magenta stamp ink (of any hue when `any_hue`) at
    least MIN_STAMP_INCHES on each side."""
    if rgb.ndim != 3:
        return []
    h, w = rgb.shape[:2]
    f = min(1.0, ANALYSIS_DPI / max(dpi, 1))
    small = cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA) if f < 1 else rgb
    ink = (_ink_weight(np.ascontiguousarray(small), any_hue=any_hue) >= 0.5).astype(np.uint8)
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
        gap = ring_gap(wt, dpi)
        if gap > 1:
            column = np.ones((gap, 1), np.uint8)
            # Where the seal's ring crossed a letter its ink lies on the print: whitened, the letter
            # would be cut in two. A stamp pixel with print right above and below is print again;
            # print only (dark), the seal's own lighter remains must not be joined into streaks.
            dark = PRINT_LEVEL * paper
            print_only = np.where(grey < dark, grey, 255).astype(np.uint8)
            print_only[_accents(print_only < dark, dpi)] = 255
            bridged = cv2.dilate(cv2.erode(print_only, column), column)
            grey = np.where(touched & (bridged < dark), np.minimum(grey, bridged), grey)
        out[y0:y1, x0:x1, :3][touched] = grey[touched][:, None]
        _drop_signature(out, (x0, y0, x1, y1), paper, dpi, gap)
    return out, StampInk(tuple(boxes), round(min(levels), 1) if levels else 255.0)


def ring_gap(weight: np.ndarray, dpi: int) -> int:
    """The tallest gap (pixels) the seal's ring can have cut in a letter: its strokes' width,
    measured on the stamp ink's weight (`RING_WIDTH_PERCENTILE`), at most RING_INCHES."""
    ceiling = round(RING_INCHES * dpi)
    ink = (weight >= 0.5).astype(np.uint8)
    if not ink.any():
        return ceiling
    dist = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
    middle = (dist > 0) & (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8)))
    width = 2 * float(np.percentile(dist[middle], RING_WIDTH_PERCENTILE)) + 1
    return max(2, min(ceiling, round(width)))


def _accents(print_mask: np.ndarray, dpi: int) -> np.ndarray:
    """The pieces of print small enough to be an accent or a dot (ACCENT_INCHES each way)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(print_mask.astype(np.uint8), connectivity=8)
    side = ACCENT_INCHES * dpi
    small = np.zeros(n, bool)
    small[1:] = (stats[1:, cv2.CC_STAT_WIDTH] <= side) & (stats[1:, cv2.CC_STAT_HEIGHT] <= side)
    return small[labels]


def _drop_signature(page: np.ndarray, box: Box, paper: float, dpi: int, ring: int) -> None:
    """Pen strokes touching a stamp's box that are not text (SIGNATURE_*) turned to paper, in place;
    `ring` is the seal's ring width (pixels)."""
    h, w = page.shape[:2]
    reach = round(SIGNATURE_REACH_INCHES * dpi)
    x0, y0, x1, y1 = box
    ex0, ey0, ex1, ey1 = max(0, x0 - reach), max(0, y0 - reach), min(w, x1 + reach), min(h, y1 + reach)
    region = page[ey0:ey1, ex0:ex1, :3]
    ink = (region.max(axis=2) < PRINT_LEVEL * paper).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    chroma = region.max(axis=2).astype(np.int16) - region.min(axis=2)
    coloured = chroma >= CHROMA_LOW
    # Pen ink only (blue, violet: the stamp's own hue is faded already). A black piece is print, or a
    # black pen no test showed Tesseract misreading: a tall black piece can be two lines of print
    # the ring's rejoin touched, and erasing print is worse than a junk line.
    pen = np.zeros(n, bool)
    pen[1:] = np.bincount(labels[coloured], minlength=n)[1:] >= 0.5 * stats[1:, cv2.CC_STAT_AREA]
    drop = np.zeros(n, bool)
    for i in np.flatnonzero(pen):
        x, y, bw, bh, area = stats[i]
        if x >= x1 - ex0 or x + bw <= x0 - ex0 or y >= y1 - ey0 or y + bh <= y0 - ey0:
            continue  # not in the stamp's box
        tall = bh > SIGNATURE_TALL_INCHES * dpi
        stroke = bw > SIGNATURE_LONG_INCHES * dpi and area < SIGNATURE_FILL * bw * bh
        drop[i] = tall or stroke
    if not drop[1:].any():
        return
    # A pen lifted leaves the signature in pieces: a piece of coloured ink (a pen's, not print's
    # black) near a dropped stroke goes with it ("s/" was read from one beside the box).
    near = cv2.dilate(drop[labels].astype(np.uint8), np.ones((2 * (reach // 3) + 1,) * 2, np.uint8)).astype(bool)
    drop[np.unique(labels[near & (ink > 0)])] |= pen[np.unique(labels[near & (ink > 0)])]
    # A blue signature often crosses the title or the name: its coloured pixels go, and its dark ones
    # within half the ring's width of them (where it crossed the ring, blue under red is nearly
    # black); black print it touches stays beyond that.
    pen_ink = drop[labels]
    near_pen = cv2.dilate((pen_ink & coloured).astype(np.uint8), np.ones((2 * (ring // 2 + 2) + 1,) * 2, np.uint8))
    strokes = pen_ink & (coloured | near_pen.astype(bool))
    # The stroke's soft edge goes with it: a grey outline left behind would be read again; not
    # black print beside it.
    mask = cv2.dilate(strokes.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    mask &= strokes | coloured | (ink == 0)
    region[mask] = round(paper)
