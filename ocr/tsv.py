"""Tesseract's TSV output read into words, and boxes carried between the page and the prepared image.

The engine (ocr.tesseract_engine) and the second readings that run Tesseract on a crop themselves
(ocr.key_lines, ocr.recipient_list) read its output the same way; this module is below them all."""

from __future__ import annotations

import csv

import numpy as np

from ocr.model import Word
from ocr.preprocess import Prepared


def to_prepared(prep: Prepared, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """A page box in the prepared (upscaled, deskewed) image's pixels: the box around its corners."""
    x0, y0, x1, y1 = box
    pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=np.float64) @ prep.matrix.T
    return (int(np.floor(pts[:, 0].min())), int(np.floor(pts[:, 1].min())),
            int(np.ceil(pts[:, 0].max())), int(np.ceil(pts[:, 1].max())))


def parse_tsv(tsv: str, prep: Prepared | None, width: int, height: int) -> tuple[list[Word], str]:
    """Words (boxes in page pixels) and the page text, lines ordered as Tesseract read them."""
    rows = csv.reader(tsv.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(rows, None)
    if not header or header[:1] != ["level"]:
        return [], ""
    keys: dict[tuple[int, int, int], int] = {}
    words: list[Word] = []
    for r in rows:
        if len(r) < 12 or r[0] != "5":
            continue
        text = r[11].strip()
        try:
            conf = float(r[10])
        except ValueError:
            continue
        if not text or conf < 0:
            continue
        block, par, line = int(r[2]), int(r[3]), int(r[4])
        left, top, bw, bh = int(r[6]), int(r[7]), int(r[8]), int(r[9])
        box = (left, top, left + bw, top + bh)
        if prep is not None:
            box = prep.to_page(box, width, height)
        index = keys.setdefault((block, par, line), len(keys))
        words.append(Word(text=text, confidence=round(max(0.0, min(1.0, conf / 100.0)), 4), bbox=box, line=index, block=block))
    lines: dict[int, list[str]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w.text)
    return words, "\n".join(" ".join(ws) for _, ws in sorted(lines.items()))


def lines_text(words: list[Word]) -> str:
    """The page text of words, one line a row, in their line order (as parse_tsv joins them)."""
    lines: dict[int, list[str]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w.text)
    return "\n".join(" ".join(ws) for _, ws in sorted(lines.items()))
