"""The built-in engine: OpenCV preprocessing, then `tesseract … --psm N tsv` through ocr._exec."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
from PIL import Image

from ocr._exec import tesseract
from ocr.correct import correct
from ocr.errors import EngineFailed
from ocr.header_body import reread_header
from ocr.header_stamp import reread_header_zone
from ocr.holder_lines import confirm_holder_words
from ocr.key_lines import reread_words
from ocr.layout import ColumnZone, column_zones, reorder
from ocr.line_vote import doubtful_lines, merge_lines
from ocr.list_items import reread_items
from ocr.marks import UNDER_MARK_CAP, Mark, covered, find_marks
from ocr.model import PageText, Word
from ocr.preprocess import (
    SMALL_PAGE_SAUVOLA_K,
    UPSCALE_BELOW_DPI,
    Prepared,
    flatten_paper,
    needs_flattening,
    prepare,
    small_page,
)
from ocr.quality import PageQuality, as_rgb_array
from ocr.recipient_list import reread_list
from ocr.segments import union
from ocr.signer_lines import confirm_words
from ocr.stamp_ink import suppress_stamp_ink
from ocr.tsv import lines_text, parse_tsv, to_prepared

_log = logging.getLogger(__name__)
OSD_MIN_CONFIDENCE = 2.0  # Tesseract's own scale; below it the guess is as good as a coin
DEFAULT_PSM = 4  # psm 3 reads real scans as well but loses signature blocks on generated pages (docs/ocr.md)


@dataclass(frozen=True)
class TesseractEngine:
    name: str = "tesseract"
    psm: int = DEFAULT_PSM
    timeout_s: float = 180.0
    seal: bool = False  # remove_red leaves the seal's outline; ink="max" clears it better (docs/ocr.md)
    upscale: bool = True
    upscale_below_dpi: int = UPSCALE_BELOW_DPI
    deskew: bool = True
    border: bool = True  # the scanner's dark frame painted white (ocr.preprocess.clear_border)
    denoise: bool = True
    ink: str = "max"  # brightest channel: coloured ink (seals, blue pens) fades, black print stays
    layout: bool = True  # column-aware reading order (ocr.layout)
    correct: bool = True  # Vietnamese post-correction (ocr.correct)
    marks: bool = True  # words under seals and signatures get a capped confidence (ocr.marks)
    orientation: bool = True  # pages that read badly are checked with OSD (--psm 0) and turned
    # Decree-30 zones read again one column at a time (one more tesseract call): the signature zone.
    # "header-left" (issuing body, number) and "header" (also motto and date) are options: measured,
    # they fixed a few misreads but made Tesseract less sure of header words (docs/ocr.md).
    columns: tuple[str, ...] = ("signature",)
    # The number and date lines read again by a second recogniser (ocr.key_lines): handwritten
    # fill-ins; agreement raises the words' confidence, disagreement caps it (docs/ocr.md).
    key_lines: bool = True
    # The signature block's and the recipients list's lines read again by the second recogniser
    # (ocr.signer_lines): after the seal cap, words both engines read alike are evidence (>= 0.9),
    # words only Tesseract read so are capped at 0.6 (docs/ocr.md).
    signer_lines: bool = True
    # The "Nơi nhận:" list read again from its crop alone at a few scales, each line kept from the
    # surest reading (ocr.recipient_list): the page's reading runs the label into the first item.
    recipient_list: bool = True
    # The holder's labelled lines (name, birth date, ID number, a household business's number and
    # name) read again by the second recogniser (ocr.holder_lines): words both engines read alike
    # are evidence (>= 0.9), words only Tesseract read so are capped at 0.6 (docs/ocr.md).
    holder_lines: bool = True
    # The recipients list's rows Tesseract garbled (a token no word) read again by the second
    # recogniser; a span it read as words replaces Tesseract's non-words, capped at 0.6 (ocr.list_items).
    list_items: bool = True
    # The header's issuing-body lines with a doubtful token read again by the second recogniser, as
    # the list's rows are; its words taken for Tesseract's non-words, capped at 0.6 (ocr.header_body).
    header_body: bool = True
    # Red and magenta stamp ink (the seal, an incoming-mail stamp) taken off the page before every
    # reading but the marks' (ocr.stamp_ink): the brightest channel leaves the seal's outline grey,
    # and Tesseract joined it to the letters it crosses. Blue ink (hand-written fill-ins) is kept.
    # The rejoin across the ring is the ring's measured width and never joins an accent; a blue
    # signature the seal covered is taken off with it (docs/ocr.md). Off by default: on the
    # development real pages, the set a default is chosen on, it reads 138 of 154 fields right
    # against 139 off (3.pdf gains its signer, bgddt-qd-5 loses it where the ring cuts "THỨ").
    stamp_ink: bool = False
    # The header's left column read again with an incoming-mail stamp's ink (any hue, its pen's
    # number and day too) turned to paper, when such a stamp lies on it (ocr.header_stamp); words the
    # stamp touched keep at most marks.UNDER_MARK_CAP. Issuing body on dev-ministry 56/64 -> 62/64,
    # dev-families 26/30 -> 29/30, real development pages unchanged (docs/ocr-passes.md, tenth pass).
    header_stamp: bool = True
    # A small image (below SMALL_PAGE_DPI effective) read a second time, upscaled with Lanczos instead
    # of bicubic, and each line kept from the reading the lexicon finds likelier (ocr.line_vote): the
    # two upscales misread different lines (ringing as tone marks, lost marks). One more tesseract
    # call on small pages only (docs/ocr.md, "Real pages as small images").
    small_second_reading: bool = True
    # A page whose light is uneven (a phone photo's shadow, a photocopy's dark band) divided by its
    # paper's level before every reading (ocr.preprocess.flatten_paper); even pages are left as they
    # are, at the cost of measuring it (~10 ms a page).
    flatten: bool = True

    def recognise(self, image: np.ndarray | Image.Image, *, dpi: int, language: str = "vie",
                  file: str = "<page>") -> PageText:
        # One RGB array for every step below: each step converting a PIL page itself cost 12 ms a
        # call (a copy of 26 MB at 300 dpi), and the second recogniser reads up to ~15 crops a page.
        image = as_rgb_array(image)
        if self.flatten and needs_flattening(image, dpi):
            image = flatten_paper(image, dpi)
        height, width = image.shape[:2]
        page = suppress_stamp_ink(image, dpi)[0] if self.stamp_ink else image
        prep = prepare(page, dpi, seal=self.seal, upscale=self.upscale, deskew=self.deskew, denoise=self.denoise, ink=self.ink,
                       upscale_below_dpi=self.upscale_below_dpi, border=self.border)
        eff_dpi = round(dpi * prep.scale)
        # A small image's soft upscaled letters: lines found with Sauvola's local threshold (preprocess).
        threshold = ["-c", "thresholding_method=2", "-c", f"thresholding_kfactor={SMALL_PAGE_SAUVOLA_K}"] \
            if small_page(dpi, upscale=self.upscale, upscale_below_dpi=self.upscale_below_dpi) else []
        tsv = self._read(prep.gray, eff_dpi, language, file, threshold)
        words, text = parse_tsv(tsv, prep, width, height)
        if self.small_second_reading and threshold:
            words, text = self._second_small(page, dpi, words, width, height, eff_dpi, language, file, threshold)
        if self.columns:
            words = self._read_columns(prep, words, width, height, eff_dpi, language, file, threshold)
        if self.header_stamp:
            words = _second_reading("the header under a stamp", reread_header_zone, words, image, prep, dpi=dpi,
                                    eff_dpi=eff_dpi, width=width, height=height, language=language, psm=self.psm,
                                    file=file, timeout_s=self.timeout_s)
        if self.recipient_list:
            words = _second_reading("the recipients list", reread_list, words, prep, width, height, file=file,
                                    dpi=eff_dpi, language=language)
        if self.layout:
            words, text = _reorder_upright(words, prep, width, height)
        if self.correct:
            words = correct(words)
            text = lines_text(words)
        if self.key_lines:
            words = _second_reading("the number and date lines", reread_words, words, page, width, height,
                                    file=file)
            text = lines_text(words)
        if self.marks:
            words = under_marks(words, find_marks(image, dpi))
        if self.signer_lines:
            words = _second_reading("the signature block", confirm_words, words, page, width, height, file=file)
            text = lines_text(words)  # a name line read only by the second recogniser may have been added
        if self.holder_lines:
            words = _second_reading("the holder's lines", confirm_holder_words, words, page, width, height,
                                    file=file)
        if self.list_items:
            words = _second_reading("the recipients list's rows", reread_items, words, page, width, height, file=file)
            text = lines_text(words)
        if self.header_body:
            words = _second_reading("the header's issuing body", reread_header, words, page, width, height, file=file)
            text = lines_text(words)
        mean = round(sum(w.confidence for w in words) / len(words), 4) if words else 0.0
        return PageText(number=1, width=width, height=height, dpi=dpi, words=tuple(words), text=text,
                        mean_confidence=mean,
                        quality=PageQuality(dpi=dpi, blur=0.0, contrast=0.0, ink_ratio=0.0, blank=not words))

    def _read(self, gray: np.ndarray, eff_dpi: int, language: str, file: str, threshold: Sequence[str],
              prefix: str = "sohoa-ocr-") -> str:
        """Tesseract's TSV of a prepared grey image, with this engine's page segmentation and limits."""
        return tesseract.run_gray(gray, ["-l", language, "--psm", str(self.psm), "--dpi", str(eff_dpi),
                                         "-c", "preserve_interword_spaces=0", *threshold, "tsv"],
                                  timeout_s=self.timeout_s, file=file, prefix=prefix)

    def _second_small(self, page: np.ndarray, dpi: int, words: list[Word], width: int, height: int, eff_dpi: int,
                      language: str, file: str, threshold: Sequence[str]) -> tuple[list[Word], str]:
        """The small page's doubtful lines (ocr.line_vote.doubtful_lines) read again from a Lanczos
        upscale, stacked on one sheet (one tesseract call, its cost the lines' share of the page); each
        kept or replaced by the reading the lexicon finds likelier (ocr.line_vote.merge_lines)."""
        lines = _lines_by_number(words, doubtful_lines(words))
        if not lines:
            return words, lines_text(words)
        prep = prepare(page, dpi, seal=self.seal, upscale=self.upscale, deskew=self.deskew, denoise=self.denoise,
                       ink=self.ink, upscale_below_dpi=self.upscale_below_dpi, border=self.border,
                       interpolation=cv2.INTER_LANCZOS4)
        h, w = prep.gray.shape
        boxes: list[tuple[int, int, int, int]] = []  # each line's band, page pixels
        crops: list[tuple[int, int, int, int]] = []  # ... and its crop, prepared pixels
        for line in lines:
            x0, y0, x1, y1 = union(wd.bbox for wd in line)
            margin = max(4, round(0.25 * _median_height(tuple(line))))
            bx0, by0, bx1, by1 = to_prepared(prep, (x0 - 2 * margin, y0 - margin, x1 + 2 * margin, y1 + margin))
            box = (max(0, bx0), max(0, by0), min(w, bx1), min(h, by1))
            if box[2] - box[0] > 10 and box[3] - box[1] > 10:
                boxes.append((x0, y0, x1, y1))
                crops.append(box)
        if not crops:
            return words, lines_text(words)
        sheet, origins = _stacked(prep.gray, crops)
        try:
            tsv = self._read(sheet, eff_dpi, language, file, threshold, prefix="sohoa-ocr2-")
        except EngineFailed as exc:
            _log.warning("%s: second reading of the small page skipped (%s)", file, exc)
            return words, lines_text(words)
        second: list[Word] = []
        for wd in parse_tsv(tsv, None, sheet.shape[1], sheet.shape[0])[0]:
            cx0, cy0, cx1, cy1 = wd.bbox
            mid = (cy0 + cy1) / 2
            for (x0, y0, _, _), (oy, oh, ox), band in zip(crops, origins, boxes, strict=True):
                if oy <= mid < oy + oh:
                    box = prep.to_page((cx0 - ox + x0, cy0 - oy + y0, cx1 - ox + x0, cy1 - oy + y0), width, height)
                    # A neighbour line caught in the crop's margin is not this line's reading.
                    if band[1] <= (box[1] + box[3]) / 2 <= band[3]:
                        second.append(replace(wd, bbox=box))
                    break
        merged = merge_lines(words, second)
        return merged, lines_text(merged)

    def _read_columns(self, prep: Prepared, words: list[Word], width: int, height: int, eff_dpi: int,
                      language: str, file: str, threshold: Sequence[str] = ()) -> list[Word]:
        """The words of each two-column zone read again column by column: the crops are stacked on
        one white sheet, so the whole page costs one more tesseract call whatever its zone count."""
        zones = [z for z in column_zones(words, width, height)
                 if z.kind in self.columns or f"{z.kind}-left" in self.columns]
        if not zones:
            return words
        crops: list[tuple[ColumnZone, bool, tuple[int, int, int, int]]] = []  # zone, left?, prepared-pixel box
        h, w = prep.gray.shape
        for zone in zones:
            if sum(wd.bbox[0] < zone.cut < wd.bbox[2] for wd in zone.words) > 1:
                continue  # words across the cut: table rows or wide lines, not two columns
            margin = max(8, round(0.25 * _median_height(zone.words)))
            for left, (x0, x1) in ((True, (0, zone.cut)), (False, (zone.cut, width))):
                if not left and zone.kind not in self.columns:
                    continue  # "header-left": the issuing body and number only
                bx0, by0, bx1, by1 = to_prepared(prep, (x0, zone.top - margin, x1, zone.bottom + margin))
                box = (max(0, bx0), max(0, by0), min(w, bx1), min(h, by1))
                if box[2] - box[0] > 10 and box[3] - box[1] > 10:
                    crops.append((zone, left, box))
        if not crops:
            return words
        sheet, origins = _stacked(prep.gray, [box for _, _, box in crops])
        sheet_h, sheet_w = sheet.shape
        try:
            tsv = self._read(sheet, eff_dpi, language, file, threshold, prefix="sohoa-cols-")
        except EngineFailed as exc:
            # The page has been read once already; the column pass only improves it.
            _log.warning("%s: column pass skipped (%s)", file, exc)
            return words
        sheet_words, _ = parse_tsv(tsv, None, sheet_w, sheet_h)
        base = 1 + max((wd.line for wd in words), default=0)
        read: list[list[Word]] = [[] for _ in crops]
        for wd in sheet_words:
            cx0, cy0, cx1, cy1 = wd.bbox
            mid = (cy0 + cy1) / 2
            for k, ((zone, _, (x0, y0, _, _)), (oy, oh, ox)) in enumerate(zip(crops, origins, strict=True)):
                if oy <= mid < oy + oh:
                    box = prep.to_page((cx0 - ox + x0, cy0 - oy + y0, cx1 - ox + x0, cy1 - oy + y0), width, height)
                    # A neighbour row caught in the margin is the first pass's to keep.
                    if zone.top <= (box[1] + box[3]) / 2 <= zone.bottom:
                        read[k].append(replace(wd, bbox=box, line=base + wd.line))
                    break
        # Each column keeps the reading with more text read confidently: the column pass wins where the
        # first one merged rows across the gutter, the first wins where a crop lost a line.
        out = list(words)
        for k, (zone, left, _) in enumerate(crops):
            first = [wd for wd in out if _in_column(wd, zone, left)]
            if _weight(read[k]) >= 0.8 * _weight(first):
                out = [wd for wd in out if not _in_column(wd, zone, left)] + read[k]
        return out


def _stacked(gray: np.ndarray, crops: Sequence[tuple[int, int, int, int]], gap: int = 60
             ) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """The crops (boxes in `gray`) one under another on a white sheet, `gap` apart, and for each the
    sheet y where it starts, its height and its x offset."""
    sheet_w = max(b[2] - b[0] for b in crops) + 2 * gap
    sheet_h = sum(b[3] - b[1] for b in crops) + gap * (len(crops) + 1)
    sheet = np.full((sheet_h, sheet_w), 255, dtype=np.uint8)
    origins: list[tuple[int, int, int]] = []
    y = gap
    for x0, y0, x1, y1 in crops:
        sheet[y:y + y1 - y0, gap:gap + x1 - x0] = gray[y0:y1, x0:x1]
        origins.append((y, y1 - y0, gap))
        y += y1 - y0 + gap
    return sheet, origins


def _lines_by_number(words: Sequence[Word], numbers: Sequence[int]) -> list[list[Word]]:
    """The words of each line numbered in `numbers`, in that order."""
    by_line: dict[int, list[Word]] = {k: [] for k in numbers}
    for wd in words:
        if wd.line in by_line:
            by_line[wd.line].append(wd)
    return [ws for ws in by_line.values() if ws]


def _second_reading(what: str, step: Callable[..., list[Word]], words: list[Word], *args: Any,
                    file: str, **kwargs: Any) -> list[Word]:
    """`step(words, *args, file=file, **kwargs)`, or `words` unchanged when its engine fails. The page has
    been read once already: a second reading only checks or improves lines of it, and without it the
    confidences stay as the first reading left them, so doubtful fields go to a person."""
    try:
        return step(words, *args, file=file, **kwargs)
    except EngineFailed as exc:
        _log.warning("%s: second reading of %s skipped (%s)", file, what, exc)
        return words


def _in_column(word: Word, zone: ColumnZone, left: bool) -> bool:
    x, y = (word.bbox[0] + word.bbox[2]) / 2, (word.bbox[1] + word.bbox[3]) / 2
    return zone.top <= y <= zone.bottom and (x < zone.cut) == left


def _reorder_upright(words: list[Word], prep: Prepared, width: int, height: int) -> tuple[list[Word], str]:
    """Reading order computed on the deskewed page: on a page scanned 2.5° askew a long line's box is
    60 px tall, and the next line's first word ("Hòa", wrapped) fell into its row. Words keep their
    boxes in scan pixels (the review pages highlight them on the scan)."""
    if not prep.angle:
        return reorder(words, width, height)
    scale = prep.scale or 1.0
    upright: dict[tuple[str, tuple[int, int, int, int]], tuple[int, int, int, int]] = {}
    turned = []
    for w in words:
        x0, y0, x1, y1 = to_prepared(prep, w.bbox)
        # The prepared box of a rotated box is a little larger than the word; its centre is exact.
        cx, cy, hw, hh = (x0 + x1) / 2 / scale, (y0 + y1) / 2 / scale, (w.bbox[2] - w.bbox[0]) / 2, (w.bbox[3] - w.bbox[1]) / 2
        box = (round(cx - hw), round(cy - hh), round(cx + hw), round(cy + hh))
        upright[(w.text, box)] = w.bbox
        turned.append(replace(w, bbox=box))
    ordered, text = reorder(turned, width, height)
    return [replace(w, bbox=upright[(w.text, w.bbox)]) for w in ordered], text


def _median_height(words: Sequence[Word]) -> float:
    heights = sorted(w.bbox[3] - w.bbox[1] for w in words)
    return float(heights[len(heights) // 2]) if heights else 0.0


def _weight(words: list[Word]) -> float:
    """Letters and digits read, weighted by confidence."""
    return sum(w.confidence * sum(c.isalnum() for c in w.text) for w in words)


def orientation(image: np.ndarray | Image.Image, *, dpi: int, timeout_s: float = 60, file: str = "<page>") -> int:
    """Degrees clockwise to turn the page upright, from Tesseract's OSD (--psm 0); 0 when unsure."""
    rgb = as_rgb_array(image)
    h, w = rgb.shape[:2]
    f = min(1.0, 1500 / max(h, w))  # OSD needs ~150 dpi at most; it is the slow part otherwise
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if f < 1:
        gray = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    fd, tmp = tempfile.mkstemp(prefix="sohoa-osd-", suffix=".png")
    os.close(fd)
    try:
        cv2.imwrite(tmp, gray, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        try:
            out = tesseract.run(tmp, ["--psm", "0", "--dpi", str(max(70, round(dpi * f)))], timeout_s=timeout_s, file=file)
        except EngineFailed:
            return 0  # "Too few characters": OSD has nothing to say, the page stays as it is
    finally:
        os.unlink(tmp)
    rotate = re.search(r"Rotate:\s*(\d+)", out)
    conf = re.search(r"Orientation confidence:\s*([\d.]+)", out)
    if not rotate or not conf or float(conf.group(1)) < OSD_MIN_CONFIDENCE:
        return 0
    return int(rotate.group(1)) % 360


def under_marks(words: list[Word], marks: list[Mark]) -> list[Word]:
    """A word read through a seal or a signature keeps at most UNDER_MARK_CAP confidence."""
    if not marks:
        return words
    return [replace(w, confidence=min(w.confidence, UNDER_MARK_CAP)) if covered(w.bbox, marks) else w for w in words]


