"""The built-in engine: OpenCV preprocessing, then `tesseract … --psm N tsv` through ocr._exec."""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from ocr._exec import tesseract
from ocr.engine import register_engine
from ocr.model import PageText, Word
from ocr.preprocess import Prepared, prepare
from ocr.quality import PageQuality

DEFAULT_PSM = 4  # measured best on Decree-30 pages (see ocr/bench.py and the report in docs)


@dataclass(frozen=True)
class TesseractEngine:
    name: str = "tesseract"
    psm: int = DEFAULT_PSM
    timeout_s: float = 180.0
    seal: bool = True
    upscale: bool = True
    deskew: bool = True
    denoise: bool = True

    def recognise(self, image: np.ndarray | Image.Image, *, dpi: int, language: str = "vie",
                  file: str = "<page>") -> PageText:
        if isinstance(image, Image.Image):
            width, height = image.size
        else:
            height, width = np.asarray(image).shape[:2]
        prep = prepare(image, dpi, seal=self.seal, upscale=self.upscale, deskew=self.deskew, denoise=self.denoise)
        eff_dpi = round(dpi * prep.scale)
        fd, tmp = tempfile.mkstemp(prefix="sohoa-ocr-", suffix=".png")
        os.close(fd)
        try:
            # PNG compression 1: the file is read once, by tesseract, within a second.
            cv2.imwrite(tmp, prep.gray, [cv2.IMWRITE_PNG_COMPRESSION, 1])
            tsv = tesseract.run(tmp, ["-l", language, "--psm", str(self.psm), "--dpi", str(eff_dpi),
                                      "-c", "preserve_interword_spaces=0", "tsv"],
                                timeout_s=self.timeout_s, file=file)
        finally:
            os.unlink(tmp)
        words, text = parse_tsv(tsv, prep, width, height)
        mean = round(sum(w.confidence for w in words) / len(words), 4) if words else 0.0
        return PageText(number=1, width=width, height=height, dpi=dpi, words=tuple(words), text=text,
                        mean_confidence=mean,
                        quality=PageQuality(dpi=dpi, blur=0.0, contrast=0.0, ink_ratio=0.0, blank=not words))


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
        left, top, w, h = int(r[6]), int(r[7]), int(r[8]), int(r[9])
        box = (left, top, left + w, top + h)
        if prep is not None:
            box = prep.to_page(box, width, height)
        index = keys.setdefault((block, par, line), len(keys))
        words.append(Word(text=text, confidence=round(max(0.0, min(1.0, conf / 100.0)), 4), bbox=box, line=index, block=block))
    lines: dict[int, list[str]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w.text)
    return words, "\n".join(" ".join(ws) for _, ws in sorted(lines.items()))


register_engine("tesseract", TesseractEngine)
