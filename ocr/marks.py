"""Seals, signatures and coloured ink on the page: where they are, so that words read under them
are not presented as certain (issue 3: "never present a guess as certain").

Found on the page image (before any clean-up), in page pixels:
- "seal": a round stamp -- red ink (colour scans) or a black ring (bitonal scans, where the red is
  gone): a sparse, roughly square ink component 0.8-2.4 inch across (Decree 30 seals are 32-42 mm);
- "ink": other saturated coloured ink (a blue signature, a coloured stamp);
- "stroke": a large ink component that is no text line: a signature, a hand-drawn line.

Analysis only: the image Tesseract sees is not binarised here (binarising hurts Vietnamese diacritics)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ocr.model import Box

UNDER_MARK_CAP = 0.6  # a word read under a seal or a signature is at most this certain
MIN_OVERLAP = 0.15  # share of the word's box covered by the mark


@dataclass(frozen=True)
class Mark:
    kind: str  # "seal", "ink", "stroke"
    bbox: Box


def _components(mask: np.ndarray, min_side: int) -> list[Box]:
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    out = []
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if w >= min_side and h >= min_side:
            out.append((int(x), int(y), int(x + w), int(y + h)))
    return out


def _coloured(rgb: np.ndarray, dpi: int, f: float) -> list[Mark]:
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    colour = (s >= 70) & (v >= 60)
    if colour.mean() < 0.0005:
        return []
    red = colour & ((h <= 12) | (h >= 160))
    marks = []
    for kind, mask, join in (("seal", red, 0.15), ("ink", colour & ~red, 0.04)):
        if not mask.any():
            continue
        # A seal's ring, star and lettering are separate blobs: join them into one stamp.
        k = max(3, round(join * dpi * f))
        joined = cv2.dilate(mask.astype(np.uint8), np.ones((k, k), np.uint8))
        for b in _components(joined, round(0.25 * dpi * f)):
            marks.append(Mark(kind, b))
    return marks


def _black_marks(gray: np.ndarray, dpi: int, f: float) -> list[Mark]:
    """From the ink components: rings of seal size (bitonal scans print the red seal black) and
    components far taller than a text line yet sparse (signatures, hand-drawn strokes)."""
    d = dpi * f
    ink = (gray < 128).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n < 2:
        return []
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    text_h = float(np.median(heights[heights >= 3])) if (heights >= 3).any() else 10.0
    out = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        fill = area / (w * h)
        if 0.8 * d <= w <= 2.4 * d and 0.8 * d <= h <= 2.4 * d and 0.8 <= w / h <= 1.25 and fill < 0.3:
            out.append(Mark("seal", (int(x), int(y), int(x + w), int(y + h))))
        elif h >= 2.5 * text_h and w >= 2.5 * text_h and fill < 0.2 and h < 2.4 * d:
            out.append(Mark("stroke", (int(x), int(y), int(x + w), int(y + h))))
    return out


def find_marks(rgb: np.ndarray, dpi: int) -> list[Mark]:
    """Seals, coloured ink and signature-like strokes, boxes in page pixels."""
    h, w = rgb.shape[:2]
    f = min(1.0, 100 / max(dpi, 1))  # analyse at 100 dpi: enough for objects an inch across
    small = cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA) if f < 1 else rgb
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    marks = _coloured(small, dpi, f) + _black_marks(gray, dpi, f)
    return [Mark(m.kind, (round(m.bbox[0] / f), round(m.bbox[1] / f), round(m.bbox[2] / f), round(m.bbox[3] / f)))
            for m in marks]


def covered(box: Box, marks: list[Mark]) -> str | None:
    """The kind of the first mark covering at least MIN_OVERLAP of `box`, else None."""
    area = max(1, (box[2] - box[0]) * (box[3] - box[1]))
    for m in marks:
        ix = max(0, min(box[2], m.bbox[2]) - max(box[0], m.bbox[0]))
        iy = max(0, min(box[3], m.bbox[3]) - max(box[1], m.bbox[1]))
        if ix * iy / area >= MIN_OVERLAP:
            return m.kind
    return None
