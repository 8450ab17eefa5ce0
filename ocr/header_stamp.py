"""The header's left column read again with an incoming-mail stamp's ink taken off.

A receiving office stamps "CÔNG VĂN ĐẾN" / "Số: …" / "Ngày: …" in the page's top-left corner, often
over the issuing body's lines, in red, violet or blue ink, and writes its own number and day into
it with a pen. The page's reading then runs the stamp's labels and the pen's strokes into the header
lines ("Ngày: _ /ớ⁄//2/7BỘ XÂY DỰNG"): the issuing body is lost or garbled, and the stamp's words
stand in the header. `ocr.stamp_ink` lifts red and magenta seal ink only, and the pen's blue is kept
on purpose there (a document's own hand-written number and day are blue).

Here a stamp is a region of coloured ink of any hue (`stamp_ink.find_stamps(any_hue=True)`) at least
stamp-sized, in the top band of the page and the left half. The header's left column above the
document's own number line (never that line: its hand-written number may be in the same blue) is
cut from the prepared page, every coloured pixel in it turned to paper (black print under the stamp
is dark in every channel, so it stays), and read again by Tesseract; its words replace the first
reading's there. A word the stamp's box touched keeps at most marks.UNDER_MARK_CAP: the stamp may
have hidden part of it, and nothing here says it did not."""

from __future__ import annotations

import re
from dataclasses import replace

import cv2
import numpy as np

from core.text import fold
from ocr._exec import tesseract
from ocr.labels import MOTTO_FIRST_WORDS, NUMBER_WORD
from ocr.marks import UNDER_MARK_CAP
from ocr.model import Box, Word
from ocr.preprocess import Prepared
from ocr.stamp_ink import find_stamps
from ocr.tsv import parse_tsv, to_prepared

HEADER_BAND = 0.3  # an incoming-mail stamp's top lies in this top share of the page
# The document's own number line: "Số" then a number with its symbol ("3198/QĐ-BXD"); the stamp's
# own "Số:" is followed by a hand-written number alone.
_SYMBOL = re.compile(r"/\s*\w")
MARGIN_INCHES = 0.03
STAMP_MAX_INCHES = 2.5  # the tallest coloured patch taken for an incoming-mail stamp
# Coloured ink: chroma (brightest minus darkest channel) and its share of the brightest channel at
# least these. Low: a heavily damaged scan's blur and JPEG wash a violet stamp out to chroma ~28;
# the paper's own tint (~0.08) stays under the share, and only light pixels near such ink change.
INK_CHROMA, INK_SATURATION = 20, 0.15
EDGE_INCHES = 0.01  # a stroke's soft edge, lighter and less coloured than its middle
PRINT_LEVEL = 0.5  # darker than this share of the paper's level in the brightest channel: print
# A pen's stroke as dark as print: chroma at least this, and this share of its brightest channel (a
# generated blue pen's core reads (40, 43, 74), (48, 54, 86) heavily damaged; black print, under a
# stamp too, has chroma under ~15).
PEN_CHROMA, PEN_SATURATION = 22, 0.25
# ... and not darker than this share of the paper: where the pen crossed print the mix is darker
# than the pen's core (~0.31 of the paper), and it is the print's.
PEN_LEVEL = 0.25
# Ink turned to this percentile of the prepared zone's grey (mostly paper): a brighter level left
# white patches on a noisy grey paper.
PAPER_PERCENTILE = 60


def header_stamps(rgb: np.ndarray, dpi: int) -> list[Box]:
    """Boxes of stamp-sized coloured ink (any hue) starting in the page's top band, in its left half."""
    if rgb.ndim != 3:
        return []
    h, w = rgb.shape[:2]
    return [b for b in find_stamps(rgb, dpi, any_hue=True)
            if b[1] < HEADER_BAND * h and (b[0] + b[2]) / 2 < w / 2]


def _centre(w: Word) -> tuple[float, float]:
    return (w.bbox[0] + w.bbox[2]) / 2, (w.bbox[1] + w.bbox[3]) / 2


def header_zone(words: list[Word], stamps: list[Box], width: int, dpi: int) -> Box | None:
    """The header's left column (page pixels) a stamp lies on: from the page's top to the document's
    number line (excluded) or the stamps' bottom, and from the left edge to the motto's column."""
    # An incoming-mail stamp is about 2 x 1.2 inches; a taller patch of coloured ink is a note or a
    # signature written down the margin (2.pdf: a blue note 4.3 inches tall beside the body text).
    stamps = [b for b in stamps if b[3] - b[1] <= STAMP_MAX_INCHES * dpi]
    if not stamps:
        return None
    top = min(b[1] for b in stamps)
    bottom = max(b[3] for b in stamps)
    margin = round(MARGIN_INCHES * dpi)
    lines: dict[int, list[Word]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w)
    number_top: int | None = None
    for ws in lines.values():
        ws = sorted(ws, key=lambda w: w.bbox[0])
        for i, w in enumerate(ws[:-1]):
            if _centre(w)[0] < width / 2 and NUMBER_WORD.match(fold(w.text)) \
                    and _SYMBOL.search(" ".join(x.text for x in ws[i + 1:i + 3])) \
                    and (number_top is None or w.bbox[1] < number_top):
                number_top = w.bbox[1]
    if number_top is not None and number_top <= top:
        return None  # the ink starts below the document's number line: it is not on the header
    # A header line the stamps' bottom cuts is read whole, down to the number line.
    for w in words:
        if w.bbox[1] < bottom < w.bbox[3] and _centre(w)[0] < width / 2:
            bottom = max(bottom, w.bbox[3] + margin)
    if number_top is not None:
        bottom = min(bottom, number_top - margin)
    right = round(width / 2)
    motto = False
    for w in words:
        if fold(w.text).strip(".,:") in MOTTO_FIRST_WORDS and w.bbox[0] > 0.3 * width and w.bbox[1] < bottom:
            right = min(right, w.bbox[0] - margin)
            motto = True
    if number_top is None and not motto:
        return None  # no header on this page (a continuation page's seal or note is not this step's)
    if bottom <= margin or right <= margin:
        return None
    return (0, 0, right, bottom)


def cleaned(rgb: np.ndarray, prep: Prepared, zone: Box, dpi: int) -> tuple[np.ndarray, Box]:
    """The zone of the prepared page with the stamp's and the pen's ink turned to paper, and its box
    in prepared pixels. Ink is taken by colour and kept by darkness: a pixel of coloured ink, or at its
    soft edge (EDGE_INCHES), that is lighter than print (PRINT_LEVEL of the paper in the brightest
    channel: stamp ink 150-200), and every pixel far from grey (PEN_*: a blue pen is as dark as print
    in the brightest channel) becomes paper; black print under them is dark in
    every channel, so grey, and stays."""
    h, w = prep.gray.shape
    px0, py0, px1, py1 = to_prepared(prep, zone)
    px0, py0, px1, py1 = max(0, px0), max(0, py0), min(w, px1), min(h, py1)
    gray = prep.gray[py0:py1, px0:px1].copy()
    x0, y0, x1, y1 = zone
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1, :3])
    # Colour measured against the paper's own: a heavily damaged scan's paper is beige (chroma ~40),
    # and print's soft edges on it took that tint; each channel divided by the paper's level (its
    # median over the zone, mostly paper) makes paper white and print grey again.
    paper_rgb = np.maximum(np.median(crop.reshape(-1, 3), axis=0), 1.0) if crop.size else np.full(3, 255.0)
    crop = np.clip(crop.astype(np.float32) * (255.0 / paper_rgb), 0, 255).astype(np.uint8)
    bright = crop.max(axis=2)
    paper_page = float(np.percentile(bright, 90)) if bright.size else 255.0
    chroma = bright.astype(np.int16) - crop.min(axis=2)
    coloured = ((chroma >= INK_CHROMA) & (chroma >= INK_SATURATION * bright)).astype(np.uint8)
    k = 2 * max(1, round(EDGE_INCHES * dpi)) + 1
    near = cv2.dilate(coloured, np.ones((k, k), np.uint8))
    pen = (chroma >= PEN_CHROMA) & (chroma >= PEN_SATURATION * bright) & (bright >= PEN_LEVEL * paper_page)
    lift = pen | ((near > 0) & (bright >= PRINT_LEVEL * paper_page))
    m = prep.matrix.astype(np.float64).copy()
    m[:, 2] += m[:, :2] @ np.array([x0, y0], dtype=np.float64) - np.array([px0, py0], dtype=np.float64)
    mask = cv2.warpAffine(lift.astype(np.uint8) * 255, m, (px1 - px0, py1 - py0), flags=cv2.INTER_LINEAR,
                          borderValue=0) >= 128
    paper = int(np.percentile(gray, PAPER_PERCENTILE)) if gray.size else 255
    gray[mask] = paper
    return gray, (px0, py0, px1, py1)


def reread_header_zone(words: list[Word], rgb: np.ndarray, prep: Prepared, *, dpi: int, eff_dpi: int,
                       width: int, height: int, language: str, psm: int, file: str,
                       timeout_s: float = 60) -> list[Word]:
    """`words` with the header's left column read again without the incoming stamp's ink, when a
    stamp lies on it; `words` unchanged otherwise."""
    stamps = header_stamps(rgb, dpi)
    zone = header_zone(words, stamps, width, dpi)
    if zone is None:
        return words
    gray, (px0, py0, px1, py1) = cleaned(rgb, prep, zone, dpi)
    if gray.shape[0] < 10 or gray.shape[1] < 10:
        return words
    pad = 40
    sheet = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=int(np.percentile(gray, 90)))
    tsv = tesseract.run_gray(sheet, ["-l", language, "--psm", str(psm), "--dpi", str(eff_dpi),
                                     "-c", "preserve_interword_spaces=0", "tsv"], timeout_s=timeout_s, file=file,
                             prefix="sohoa-hstamp-")
    read, _ = parse_tsv(tsv, None, sheet.shape[1], sheet.shape[0])
    base = 1 + max((w.line for w in words), default=0)
    zx0, zy0, zx1, zy1 = zone

    def inside(w: Word) -> bool:
        cx, cy = _centre(w)
        return zx0 <= cx < zx1 and zy0 <= cy < zy1

    new: list[Word] = []
    for w in read:
        x0, y0, x1, y1 = w.bbox
        box = prep.to_page((x0 - pad + px0, y0 - pad + py0, x1 - pad + px0, y1 - pad + py0), width, height)
        word = replace(w, bbox=box, line=base + w.line)
        if not inside(word):
            continue
        if any(box[0] < s[2] and s[0] < box[2] and box[1] < s[3] and s[1] < box[3] for s in stamps):
            word = replace(word, confidence=min(word.confidence, UNDER_MARK_CAP))
        new.append(word)
    return [w for w in words if not inside(w)] + new
