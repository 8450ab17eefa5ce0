"""A second recogniser: AsterOCR, a Vietnamese text-line recogniser (CTC, about 10 M parameters).

Its ONNX network and 227-character alphabet ship inside the `asterocr` wheel (asterocr/assets/);
nothing is downloaded at run time. We use only those two files and run the network ourselves
through ocr._exec.onnx, so we get per-character probabilities and positions (the package's own
`predict` returns a bare string). It reads ONE line: `read_line` crops a line box from a page;
`AsterEngine` implements the OcrEngine protocol for an image that is a line crop already.

    reading = read_line(page_image, (x0, y0, x1, y1))   # LineReading(text, confidence, words)
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from ocr._exec import onnx
from ocr.errors import EngineFailed
from ocr.model import Box, PageText, Word
from ocr.quality import PageQuality, as_rgb_array

INPUT_HEIGHT = 32  # the network reads strips 32 px high; width is free (a multiple of 4)
FRAME_PX = 4  # one output frame per 4 input columns
# Its positional encoding has 256 frames: a wider strip fails inside onnxruntime. Longer lines are
# read in pieces cut at the palest column (a gap between words, usually).
MAX_WIDTH = 256 * FRAME_PX


@dataclass(frozen=True)
class LineReading:
    text: str  # NFC, single spaces
    confidence: float  # geometric mean of the characters' probabilities (0 for an empty reading)
    words: tuple[Word, ...] = ()  # boxes in page pixels, from the characters' frames; line = block = 0
    # Each character with its left and right edge in page pixels (its frames widened by half a pitch):
    # where a printed label ends and a blank starts, when a word box spans both.
    chars: tuple[tuple[str, int, int], ...] = ()


@cache
def assets() -> Path:
    spec = importlib.util.find_spec("asterocr")
    if spec is None or not spec.submodule_search_locations:
        raise EngineFailed("<aster>", "the asterocr package is not installed (make venv installs it)")
    return Path(next(iter(spec.submodule_search_locations))) / "assets"


@cache
def alphabet() -> tuple[str, ...]:
    """Index -> character; index 0 is the CTC blank."""
    chars = json.loads((assets() / "vocab.json").read_text(encoding="utf-8"))["chars"]
    return tuple("" if i == 0 else str(c) for i, c in enumerate(chars))


def _input_width(rgb: np.ndarray) -> int:
    h, w = rgb.shape[:2]
    return (max(32, int(w * INPUT_HEIGHT / max(1, h))) + 3) // 4 * 4


def _strip(rgb: np.ndarray) -> np.ndarray:
    """The network's input (1, 3, 32, W), normalised as the package's ONNX pipeline does."""
    resized = Image.fromarray(rgb).resize((_input_width(rgb), INPUT_HEIGHT), Image.Resampling.BILINEAR)
    arr = (np.asarray(resized, dtype=np.float32) / 255.0 - 0.5) / 0.5
    return np.transpose(arr, (2, 0, 1))[np.newaxis, ...]


def _pieces(width: int, ink: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) column ranges of at most MAX_WIDTH, multiples of FRAME_PX, cut at pale columns."""
    out, start = [], 0
    while width - start > MAX_WIDTH:
        lo, hi = start + MAX_WIDTH * 3 // 4, start + MAX_WIDTH
        window = ink[lo:hi]
        cut = (lo + int(np.argmin(window))) // FRAME_PX * FRAME_PX
        out.append((start, cut))
        start = cut
    out.append((start, width))
    return out


@dataclass(frozen=True)
class Glyph:
    """One character the network emitted: its probability at its peak frame, the frames it spans."""

    char: str
    prob: float
    first: int
    last: int


def _decode(log_probs: np.ndarray) -> list[Glyph]:
    """Greedy CTC decoding: one Glyph per emitted character."""
    frames = log_probs[:, 0, :] if log_probs.ndim == 3 else log_probs
    best = frames.argmax(axis=-1)
    probs = np.exp(frames.max(axis=-1))
    chars = alphabet()
    out: list[Glyph] = []
    prev = -1
    for t, idx in enumerate(best.tolist()):
        if idx != prev and idx != 0:
            out.append(Glyph(chars[idx] if idx < len(chars) else "", float(probs[t]), t, t))
        elif idx == prev and idx != 0 and out:
            out[-1] = replace(out[-1], prob=max(out[-1].prob, float(probs[t])), last=t)
        prev = idx
    return [g for g in out if g.char]


def _words(glyphs: list[Glyph], to_page: Callable[[float], float], top: int, bottom: int) -> list[Word]:
    """Characters grouped into words at spaces; a word's box spans its characters' frames widened by
    half a character pitch each side (a CTC peak is narrower than the glyph it stands for)."""
    groups: list[list[Glyph]] = [[]]
    for g in glyphs:
        if g.char == " ":
            if groups[-1]:
                groups.append([])
        else:
            groups[-1].append(g)
    groups = [g for g in groups if g]
    if not groups:
        return []
    letters = [c for group in groups for c in group]
    pitch = (letters[-1].last - letters[0].first + 1) / max(1, len(letters))
    words = []
    for group in groups:
        f0, f1 = group[0].first - pitch / 2, group[-1].last + 1 + pitch / 2
        x0, x1 = round(to_page(max(0.0, f0) * FRAME_PX)), round(to_page(f1 * FRAME_PX))
        conf = float(np.prod([c.prob for c in group]))
        words.append(Word("".join(c.char for c in group), round(conf, 4), (x0, top, max(x0 + 1, x1), bottom), 0, 0))
    return words


def recognise_strip(rgb: np.ndarray, *, model: Path | None = None, file: str = "<line>") -> list[Glyph]:
    """The characters of one text-line image (RGB array), in order, spaces included."""
    if rgb.shape[0] < 4 or rgb.shape[1] < 4:
        return []
    tensor = _strip(rgb)
    sess = onnx.session(model or assets() / "asternet.onnx", file=file)
    ink = -tensor[0].mean(axis=(0, 1))  # darker column, more ink
    glyphs: list[Glyph] = []
    for start, end in _pieces(tensor.shape[3], ink):
        try:
            log_probs = sess.run(None, {sess.get_inputs()[0].name: np.ascontiguousarray(tensor[:, :, :, start:end])})[0]
        except Exception as exc:  # onnxruntime's own error types
            raise EngineFailed(file, f"second recogniser failed: {exc}") from None
        offset = start // FRAME_PX
        piece = [replace(g, first=g.first + offset, last=g.last + offset) for g in _decode(np.asarray(log_probs))]
        if glyphs and piece and glyphs[-1].char != " " and piece[0].char != " ":
            glyphs.append(Glyph(" ", 1.0, offset, offset))  # the cut was a gap between words
        glyphs += piece
    return glyphs


def line_probs(image: np.ndarray | Image.Image, bbox: Box, *, model: Path | None = None,
               file: str = "<line>") -> np.ndarray:
    """The network's per-frame character probabilities for the crop `bbox` (page pixels, clipped):
    T x C, each row a distribution over the alphabet (column 0 the CTC blank); a wide crop read in
    pieces and the frames put end to end. Empty (0 x C) for a crop too small to read."""
    rgb = as_rgb_array(image)
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = max(0, bbox[0]), max(0, bbox[1]), min(w, bbox[2]), min(h, bbox[3])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return np.zeros((0, len(alphabet())), dtype=np.float32)
    tensor = _strip(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
    sess = onnx.session(model or assets() / "asternet.onnx", file=file)
    ink = -tensor[0].mean(axis=(0, 1))
    rows = []
    for start, end in _pieces(tensor.shape[3], ink):
        try:
            out = sess.run(None, {sess.get_inputs()[0].name: np.ascontiguousarray(tensor[:, :, :, start:end])})[0]
        except Exception as exc:  # onnxruntime's own error types
            raise EngineFailed(file, f"second recogniser failed: {exc}") from None
        frames = np.asarray(out)
        rows.append(frames[:, 0, :] if frames.ndim == 3 else frames)
    return np.exp(np.concatenate(rows, axis=0)).astype(np.float64)


def read_line(image: np.ndarray | Image.Image, bbox: Box, *, model: Path | None = None, file: str = "<line>") -> LineReading:
    """Read the text inside `bbox` (page pixels, clipped to the page) as one line."""
    rgb = as_rgb_array(image)
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = max(0, bbox[0]), max(0, bbox[1]), min(w, bbox[2]), min(h, bbox[3])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return LineReading("", 0.0)
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    glyphs = recognise_strip(crop, model=model, file=file)
    scale = _input_width(crop) / (x1 - x0)
    words = _words(glyphs, lambda x: x0 + x / scale, y0, y1)
    letters = [g for g in glyphs if g.char != " "]
    conf = float(np.exp(np.mean(np.log(np.maximum([g.prob for g in letters], 1e-6))))) if letters else 0.0
    pitch = (letters[-1].last - letters[0].first + 1) / len(letters) if letters else 1.0
    chars = tuple((g.char, round(x0 + max(0.0, g.first - pitch / 2) * FRAME_PX / scale),
                   round(x0 + (g.last + 1 + pitch / 2) * FRAME_PX / scale)) for g in letters)
    return LineReading(" ".join(wd.text for wd in words), round(conf, 4), tuple(words), chars)


def digit_candidates(image: np.ndarray | Image.Image, bbox: Box, *, beam: int = 8, model: Path | None = None,
                     file: str = "<line>") -> list[tuple[str, float]]:
    """The likeliest digit strings inside `bbox`, best first, each with its probability: CTC prefix
    beam search over the ten digits and the blank, each frame's probabilities renormalised over
    those eleven (a stylised "1" the greedy reading takes for "4" still has a probability here, and
    candidates from several crops can be summed)."""
    rgb = as_rgb_array(image)
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = max(0, bbox[0]), max(0, bbox[1]), min(w, bbox[2]), min(h, bbox[3])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return []
    tensor = _strip(np.ascontiguousarray(rgb[y0:y1, x0:x1]))[:, :, :, :MAX_WIDTH]
    sess = onnx.session(model or assets() / "asternet.onnx", file=file)
    try:
        log_probs = np.asarray(sess.run(None, {sess.get_inputs()[0].name: np.ascontiguousarray(tensor)})[0])
    except Exception as exc:  # onnxruntime's own error types
        raise EngineFailed(file, f"second recogniser failed: {exc}") from None
    frames = log_probs[:, 0, :] if log_probs.ndim == 3 else log_probs
    chars = alphabet()
    keep = [0] + [i for i, c in enumerate(chars) if c.isdigit()]
    digits = [chars[i] for i in keep[1:]]
    allowed = np.exp(frames[:, keep] - frames[:, keep].max(axis=-1, keepdims=True))
    allowed /= allowed.sum(axis=-1, keepdims=True)
    beams: dict[str, tuple[float, float]] = {"": (1.0, 0.0)}  # prefix -> (ends in blank, ends in its last digit)
    for row in allowed.tolist():
        nxt: dict[str, list[float]] = {}
        for prefix, (pb, pnb) in beams.items():
            total = pb + pnb
            cell = nxt.setdefault(prefix, [0.0, 0.0])
            cell[0] += total * row[0]
            for k, c in enumerate(digits, start=1):
                pk = row[k]
                if pk < 1e-4:
                    continue
                ext = nxt.setdefault(prefix + c, [0.0, 0.0])
                if prefix and prefix[-1] == c:
                    ext[1] += pb * pk  # a repeated digit needs a blank between
                    cell[1] += pnb * pk  # the same digit held over another frame
                else:
                    ext[1] += total * pk
        beams = dict(sorted(((p, (v[0], v[1])) for p, v in nxt.items()), key=lambda kv: -(kv[1][0] + kv[1][1]))[:beam])
    return [(p, round(b + nb, 6)) for p, (b, nb) in beams.items() if p]


@dataclass(frozen=True)
class AsterEngine:
    """The OcrEngine protocol for an image holding one text line (a crop): the whole image is read
    as that line. Picklable: it names its model; the session is made in the process that reads."""

    name: str = "aster"
    model: str | None = None  # another ONNX file with the same alphabet; None: the one in the wheel

    def recognise(self, image: np.ndarray | Image.Image, *, dpi: int, language: str = "vie") -> PageText:
        rgb = as_rgb_array(image)
        h, w = rgb.shape[:2]
        reading = read_line(rgb, (0, 0, w, h), model=Path(self.model) if self.model else None)
        return PageText(number=1, width=w, height=h, dpi=dpi, words=reading.words, text=reading.text,
                        mean_confidence=reading.confidence,
                        quality=PageQuality(dpi=dpi, blur=0.0, contrast=0.0, ink_ratio=0.0, blank=not reading.words))

