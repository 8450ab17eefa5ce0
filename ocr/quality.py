"""Per-page quality figures (Decree 137 Art. 4.2.a: full content; blank, blurred or low-resolution
pages are flagged, never silently accepted).

The resolution is read from the page, not the file: a 576x960 JPEG of an A4 sheet says nothing (and is
loaded as 300 dpi) but is about 70 dpi. `text_dpi` measures the height of the text lines in pixels;
Decree-30 body text is 13-14 pt, so that height in inches is known, and pixels over inches is the
effective resolution. `assess` keeps the file's figure when the page agrees with it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import cv2
import numpy as np
from PIL import Image

MIN_DPI = 200
TOO_SMALL_DPI = 100  # below this the letters are a few pixels tall: read after upscaling, but re-scan
BLUR_THRESHOLD = 100.0  # variance of the Laplacian at 200 dpi; sharp print scans measure 500-3000
MIN_CONTRAST = 0.35
BLANK_INK_RATIO = 0.0015
BLANK_MIN_SPREAD = 25  # grey levels between paper and the darkest pixels below which nothing is written
RESCAN_FLAGS = ("low_resolution", "too_small", "blurry", "low_contrast", "cut")
# A cut page (text runs off an edge: the paper was placed askew or partly off the glass, or a photo
# framed too tightly). Measured at 200 dpi: a letter is a component 0.04-0.4 in tall and at most
# 1 in wide; it "touches" an edge when it lies within CUT_EDGE_PX of it (`cut_edges`). Scanner
# borders and table frames are single components far larger than a letter, so they never count.
CUT_EDGE_PX = 3
CUT_RUN_LETTERS = 3  # letters beside the touching one, within CUT_RUN_INCHES of the edge
CUT_RUN_INCHES = 0.5
CUT_MIN_LINES = 4  # rows that run off the left or right edge
CUT_MIN_SLICED = 10  # letters sliced by the top or bottom edge
_LETTER_INCHES = (0.04, 0.4)
# Text-line height in inches: sqrt(12 * variance) of each line's row profile of ink (the height of a
# band of even ink with the same spread; ascenders, descenders and Vietnamese tone marks included).
# Measured on development pages at known resolution, 75-300 dpi (docs/ocr.md): 0.125-0.133 in on
# real scans (Times New Roman 13-14 pt), 0.136-0.150 in on generated pages (Noto/DejaVu 14 pt), the
# same within 3 % at every resolution of one page. Set nearer the real pages, every one of them
# within 15 %.
LINE_BAND_INCHES = 0.133
MIN_TEXT_LINES = 12  # line measurements needed to trust the estimate (a title page has fewer)
DPI_AGREEMENT = 1.25  # the file's figure stands when the page's is within this factor (estimates err < 15 %)
_MEASURE_WIDTH = 1000  # pixels: the estimate works on the page scaled down to at most this width
# Edge width (`edge_width`): how soft the strokes are for their size. Measured on the page brought
# to EDGE_WIDTH_DPI by its effective resolution (the text height sets the scale, so a 300-dpi scan
# and a 70-dpi thumbnail of it measure alike), as sqrt(gradient energy / Laplacian energy) around
# the ink: in pixels, independent of the page's contrast and of how much is written. Development
# pages at ~70 dpi (docs/ocr.md): 0.29-0.30 clean (JPEG q85 or q60, grey sheet), 0.32-0.33 skewed
# 1.5 degrees, 0.33-0.35 a 100-dpi image, 0.45-0.49 after a Gaussian blur of 0.7 px; their scans
# at true resolution 0.29-0.30.
EDGE_WIDTH_DPI = 70


@dataclass(frozen=True)
class PageQuality:
    dpi: int
    blur: float  # variance of the Laplacian, measured at 200 dpi (higher = sharper)
    contrast: float  # 0..1, spread between dark ink and paper
    ink_ratio: float  # share of dark pixels
    blank: bool
    # "low_resolution", "too_small", "blurry", "low_contrast", "blank", "seal_only" (nothing but a seal,
    # e.g. bled through from the other side), "upside_down", "sideways" (the page was read turned)
    flags: tuple[str, ...] = ()
    cut_edges: tuple[str, ...] = ()  # "left" | "right" | "top" | "bottom": text runs off that edge
    file_dpi: int = 0  # what the file said (or the default assumed when it said nothing)
    estimated_dpi: int = 0  # measured from the text lines; 0 when too little text to measure
    edge_width: float = 0.0  # stroke edge width at EDGE_WIDTH_DPI (`edge_width`, higher = softer); 0: blank
    # `dpi` is the effective resolution used for the OCR: the file's when the page agrees, else the page's.

    @property
    def ok(self) -> bool:
        return not self.flags

    @property
    def score(self) -> float:
        """0..1, the weakest of resolution (vs 300 dpi), sharpness (vs 3x the blur threshold) and
        contrast (vs 0.6): one number to sort a batch's pages by, worst first."""
        if self.blank:
            return 0.0
        return round(min(1.0, self.dpi / 300, self.blur / (3 * BLUR_THRESHOLD), self.contrast / 0.6), 3)

    @property
    def rescan(self) -> bool:
        """A person should scan this page again: too coarse, blurred or faded to read reliably."""
        return any(f in self.flags for f in RESCAN_FLAGS)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["flags"] = list(self.flags)
        d["cut_edges"] = list(self.cut_edges)
        d["score"] = self.score
        d["rescan"] = self.rescan
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PageQuality:
        return cls(dpi=int(d["dpi"]), blur=float(d["blur"]), contrast=float(d["contrast"]),
                   ink_ratio=float(d.get("ink_ratio", 0.0)), blank=bool(d["blank"]), flags=tuple(d.get("flags", ())),
                   cut_edges=tuple(d.get("cut_edges", ())),
                   file_dpi=int(d.get("file_dpi", 0)), estimated_dpi=int(d.get("estimated_dpi", 0)),
                   edge_width=float(d.get("edge_width", 0.0)))

    def turned(self, rotation: int) -> PageQuality:
        """The record with the orientation the OCR found (degrees the page was turned to read it)."""
        flag = {180: "upside_down", 90: "sideways", 270: "sideways"}.get(rotation % 360)
        if not flag or flag in self.flags:
            return self
        return replace(self, flags=(*self.flags, flag))


def as_rgb_array(image: np.ndarray | Image.Image) -> np.ndarray:
    """The page's pixels as an RGB uint8 array (H, W, 3), whatever it came as (here, in the lowest module
    that reads a page's pixels: preprocessing and the second readings import it from here)."""
    if isinstance(image, Image.Image):
        # An RGB page is read as it is: convert("RGB") would first copy it (19 ms at 300 dpi), to the
        # same pixels. Every page ocr.pages loads is RGB.
        return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    arr = np.asarray(image)
    if arr.ndim == 2:
        return cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB)
    if arr.shape[2] == 4:
        return cv2.cvtColor(arr, cv2.COLOR_RGBA2RGB)
    return arr


def _max_channel(image: np.ndarray | Image.Image) -> np.ndarray:
    """Brightest channel: black print stays dark, red seals and blue pens fade (ink="max" of the OCR)."""
    arr = as_rgb_array(image) if isinstance(image, Image.Image) else np.asarray(image)
    if arr.ndim == 2:
        return arr
    r, g, b = cv2.split(np.ascontiguousarray(arr[..., :3]))
    return cv2.max(cv2.max(r, g), b)


def estimate_skew(gray: np.ndarray) -> float:
    """Text-line angle in degrees (positive = counter-clockwise), from a horizontal-smear of the ink."""
    h, w = gray.shape
    # Work at ~1000 px wide: fast, and text lines still separate.
    f = min(1.0, 1000 / max(w, 1))
    small = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA) if f < 1 else gray
    ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    # Join the letters of a line into one long blob, then fit each blob.
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(9, small.shape[1] // 60), 1))
    blobs = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, kernel)
    contours, _ = cv2.findContours(blobs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    angles: list[float] = []
    weights: list[float] = []
    min_len = small.shape[1] * 0.15
    for c in contours:
        (_, _), (rw, rh), a = cv2.minAreaRect(c)
        if rw < rh:
            rw, rh, a = rh, rw, a - 90
        if rw < min_len or rh > rw / 5 or rh < 2:
            continue
        # minAreaRect angle convention differs between versions; fold into (-45, 45].
        while a > 45:
            a -= 90
        while a <= -45:
            a += 90
        angles.append(a)
        weights.append(rw)
    if len(angles) < 3:
        return 0.0
    order = np.argsort(angles)
    a_sorted, w_sorted = np.asarray(angles)[order], np.asarray(weights)[order]
    cum = np.cumsum(w_sorted)
    median = float(a_sorted[np.searchsorted(cum, cum[-1] / 2)])
    # Image y grows downwards: a rect angle of +a means the line descends to the right.
    return -median


def text_dpi(image: np.ndarray | Image.Image) -> int | None:
    """The page's effective resolution from the height of its text lines, or None when there are
    fewer than MIN_TEXT_LINES lines to measure (blank, a photo, a title alone).

    Ink (Otsu) of the deskewed page, without components too large to be letters (rules, frames,
    seals); in six vertical strips, every run of inked rows is a text line, and sqrt(12 * variance)
    of its row profile is its band height. The median band over LINE_BAND_INCHES is the dpi."""
    gray = _max_channel(image)
    h, w = gray.shape
    f = min(1.0, _MEASURE_WIDTH / max(w, 1))
    if f < 1:
        gray = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    h, w = gray.shape
    if h < 32 or w < 32:
        return None
    ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    angle = estimate_skew(gray)
    if 0.2 <= abs(angle) <= 10:
        rot = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
        ink = cv2.warpAffine(ink, rot, (w, h), flags=cv2.INTER_NEAREST)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = (stats[:, cv2.CC_STAT_HEIGHT] < h / 25) & (stats[:, cv2.CC_STAT_WIDTH] < w / 4) \
        & (stats[:, cv2.CC_STAT_AREA] >= 2)
    keep[0] = False
    letters = keep[labels]
    bands: list[float] = []
    strips = 6
    for k in range(strips):
        profile = letters[:, k * w // strips:(k + 1) * w // strips].sum(axis=1).astype(np.float64)
        rows = np.flatnonzero(profile > 0)
        if not len(rows):
            continue
        cuts = np.flatnonzero(np.diff(rows) > 1)
        for start, end in zip(np.r_[rows[0], rows[cuts + 1]], np.r_[rows[cuts], rows[-1]], strict=True):
            p = profile[start:end + 1]
            if len(p) < 3 or p.sum() < 20 * f:  # a speck or a stray mark, not a line of letters
                continue
            y = np.arange(len(p))
            mean = float((p * y).sum() / p.sum())
            bands.append(float(np.sqrt(12 * (p * (y - mean) ** 2).sum() / p.sum())) / f)
    if len(bands) < MIN_TEXT_LINES:
        return None
    return round(float(np.median(bands)) / LINE_BAND_INCHES)


def edge_width(gray: np.ndarray, dpi: int) -> float:
    """How soft the page's stroke edges are, in pixels at EDGE_WIDTH_DPI (higher = blurrier; 0.0 when
    nothing is written). `gray`: the page (uint8, ink dark) at `dpi`, its effective resolution.

    A page above EDGE_WIDTH_DPI is first shrunk to it (area average); a coarser one is measured as it
    is. Around the ink (pixels darker than halfway from the ink's 1st percentile to the paper's
    median, grown by one pixel), sqrt(mean |gradient|^2 / mean Laplacian^2): for an edge blurred by a
    Gaussian of width s this grows with s, and contrast and ink amount cancel out."""
    if dpi > EDGE_WIDTH_DPI:
        f = EDGE_WIDTH_DPI / dpi
        gray = cv2.resize(gray, (max(1, round(gray.shape[1] * f)), max(1, round(gray.shape[0] * f))),
                          interpolation=cv2.INTER_AREA)
    ink_level, paper = percentiles_u8(gray, (1, 50))
    if paper - ink_level < BLANK_MIN_SPREAD or min(gray.shape) < 8:
        return 0.0
    ink = (gray < paper - (paper - ink_level) / 2).astype(np.uint8)
    near = cv2.dilate(ink, np.ones((3, 3), np.uint8)) > 0
    g = gray.astype(np.float32)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)[near] / 8  # Sobel's 3x3 weighs a unit slope 8
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)[near] / 8
    lap = cv2.Laplacian(g, cv2.CV_32F)[near]
    curvature = float(np.mean(lap * lap))
    if curvature <= 0:
        return 0.0
    return float(np.sqrt(float(np.mean(gx * gx + gy * gy)) / curvature))


A4_LONG_SIDE_INCHES = 11.69


def effective_dpi(file_dpi: int, estimated: int | None, *, file_says: bool = True,
                  size: tuple[int, int] | None = None) -> int:
    """The resolution to read the page at: the file's when it said one and the page agrees within
    DPI_AGREEMENT, the page's when the file said nothing or something else (a 72 dpi tag on a 100 dpi
    photo, no tag on a 70 dpi JPEG). When the page cannot be measured, the file's figure; an untagged
    image then counts as at most an A4 sheet's worth of pixels (`size`, width x height), never 300 dpi
    for a thumbnail."""
    if not estimated:
        if not file_says and size:
            return max(1, min(file_dpi, round(max(size) / A4_LONG_SIDE_INCHES)))
        return file_dpi
    if file_says and file_dpi / DPI_AGREEMENT <= estimated <= file_dpi * DPI_AGREEMENT:
        return file_dpi
    return estimated


def _seal_only(image: np.ndarray | Image.Image, dpi: int) -> bool:
    """Red ink and almost nothing else: a seal, or a seal bled through from the other side."""
    rgb = as_rgb_array(image) if isinstance(image, Image.Image) else np.asarray(image)
    if rgb.ndim != 3:
        return False
    f = min(1.0, 150 / max(dpi, 1))
    if f < 1:
        rgb = cv2.resize(np.ascontiguousarray(rgb[..., :3]), None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    red = ((hue <= 12) | (hue >= 160)) & (sat >= 40) & (val >= 60)
    gray = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)
    paper = percentiles_u8(gray, (50,))[0]
    dark = (gray < paper - 60) & ~red
    return bool(red.mean() > 0.002 and dark.mean() < BLANK_INK_RATIO / 3)


def cut_evidence(ink: np.ndarray, dpi: int = 200) -> dict[str, int]:
    """How much text runs off each edge (`ink`: boolean mask of the whole page, frame included, at
    `dpi`). Left and right: the text rows that run off it, a row counting when a letter touches the
    edge and CUT_RUN_LETTERS letters of the same row lie within CUT_RUN_INCHES of the edge (a line
    cut by the border, not a speck, a punch hole, a scanner's edge line). Top and bottom: the
    letters touching it (a line of text sliced through)."""
    h, w = ink.shape
    none = {"left": 0, "right": 0, "top": 0, "bottom": 0}
    if h < 64 or w < 64:
        return none
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    if n <= 1:
        return none
    x, y = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_TOP]
    cw, ch = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    lo, hi = (round(v * dpi) for v in _LETTER_INCHES)
    letter = (ch >= lo) & (ch <= hi) & (cw <= dpi) & (stats[1:, cv2.CC_STAT_AREA] >= lo)
    x, y, cw, ch = x[letter], y[letter], cw[letter], ch[letter]
    reach, line = CUT_RUN_INCHES * dpi, max(1, round(0.1 * dpi))
    out = dict(none)
    centre = y + ch / 2
    for edge, near, far in (("left", x, x + cw), ("right", w - (x + cw), w - x)):
        rows: set[int] = set()
        for i in np.flatnonzero(near <= CUT_EDGE_PX):
            same_row = (np.abs(centre - centre[i]) <= max(int(ch[i]), line) / 2) & (near <= reach) & (far > far[i])
            if int(same_row.sum()) >= CUT_RUN_LETTERS:
                rows.add(int(centre[i] // line))
        out[edge] = len(rows)
    out["top"] = int((y <= CUT_EDGE_PX).sum())
    out["bottom"] = int((y + ch >= h - CUT_EDGE_PX).sum())
    return out


def cut_edges(ink: np.ndarray, dpi: int = 200) -> tuple[str, ...]:
    """The edges the page's text runs off (see `cut_evidence`)."""
    evidence = cut_evidence(ink, dpi)
    return tuple(edge for edge, count in evidence.items()
                 if count >= (CUT_MIN_LINES if edge in ("left", "right") else CUT_MIN_SLICED))


def percentiles_u8(values: np.ndarray, qs: tuple[float, ...]) -> tuple[float, ...]:
    """`np.percentile(values, qs)` (linear method) of a uint8 array, equal to it bit for bit, from a
    256-bin histogram: no sort of the page's millions of pixels (0.1 s a call on a 200-dpi page)."""
    if values.dtype != np.uint8 or values.size == 0:
        return tuple(float(v) for v in np.atleast_1d(np.percentile(values, qs)))
    counts = np.cumsum(cv2.calcHist([np.ascontiguousarray(values)], [0], None, [256], [0, 256]).ravel().astype(np.int64))
    n = int(counts[-1])
    out = []
    for q in qs:
        virtual = q / 100 * (n - 1)
        below = int(np.floor(virtual))
        above = min(below + 1, n - 1)
        a = float(np.searchsorted(counts, below, side="right"))  # the value of the below-th smallest pixel
        b = float(np.searchsorted(counts, above, side="right"))
        t = virtual - below
        # numpy's _lerp, so that the result is the same float
        diff = b - a
        out.append(b - diff * (1 - t) if t >= 0.5 else a + diff * t)
    return tuple(out)


def assess(image: np.ndarray | Image.Image, dpi: int, *, dpi_from_file: bool = True,
           measure_dpi: bool = True) -> PageQuality:
    """Quality of one page. `dpi` is what the file said (`dpi_from_file`) or the default assumed when
    it said nothing; with `measure_dpi` the page's own resolution (text_dpi) decides (effective_dpi)."""
    if isinstance(image, Image.Image):
        gray = np.asarray(image.convert("L"))
    else:
        arr = np.asarray(image)
        gray = arr if arr.ndim == 2 else cv2.cvtColor(arr[..., :3], cv2.COLOR_RGB2GRAY)
    file_dpi = dpi
    bright = _max_channel(image)  # the channel the OCR reads; once for the resolution and the edges
    estimated = text_dpi(bright) if measure_dpi else None
    dpi = effective_dpi(file_dpi, estimated, file_says=dpi_from_file, size=(gray.shape[1], gray.shape[0]))
    # Normalise to 200 dpi so the blur figure means the same at any resolution.
    f = 200 / max(dpi, 1)
    if abs(f - 1) > 0.05:
        gray = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    h, w = gray.shape
    # Ignore a 3% frame: scanner borders and punch holes are not content.
    my, mx = max(1, h * 3 // 100), max(1, w * 3 // 100)
    core = gray[my:h - my, mx:w - mx] if h > 2 * my and w > 2 * mx else gray
    lo, hi, paper, darkest = percentiles_u8(core, (1, 99, 50, 0.5))
    # Ink is what is clearly darker than the paper *on this page*: a fixed threshold would call a
    # faded page blank instead of low-contrast (and a faded page must be re-scanned, not dropped).
    spread = paper - darkest
    ink = core < paper - max(BLANK_MIN_SPREAD / 2, spread / 2)
    ink_ratio = float(ink.mean())
    blank = ink_ratio < BLANK_INK_RATIO or spread < BLANK_MIN_SPREAD
    # Only a page with little ink can be a seal alone (a seal covers ~1 % of an A4 page).
    seal_only = ink_ratio < 10 * BLANK_INK_RATIO and _seal_only(image, dpi)
    blank = blank or seal_only
    contrast = float(hi - lo) / 255.0
    lap = cv2.Laplacian(core, cv2.CV_64F)
    # Blur is measured where there is ink; paper texture would dilute it.
    if ink.any() and not blank:
        mask = cv2.dilate(ink.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        blur = float(lap[mask].var())
    else:
        blur = float(lap.var())
    # Edges on the brightest channel, the one the OCR reads (a seal's red is not a soft stroke).
    edges = 0.0 if blank else round(edge_width(bright, dpi), 3)
    flags: list[str] = []
    # Text running off an edge: the whole page, its frame included (the 3 % frame above is exactly
    # where a cut shows). Ink as above, against this page's paper.
    cut = () if blank else cut_edges(gray < paper - max(BLANK_MIN_SPREAD / 2, spread / 2))
    if dpi < MIN_DPI:
        flags.append("low_resolution")
    if dpi < TOO_SMALL_DPI:
        flags.append("too_small")
    if blank:
        flags.append("blank")
        if seal_only:
            flags.append("seal_only")
    else:
        if blur < BLUR_THRESHOLD:
            flags.append("blurry")
        if contrast < MIN_CONTRAST:
            flags.append("low_contrast")
        if cut:
            flags.append("cut")
    return PageQuality(dpi=dpi, blur=round(blur, 1), contrast=round(contrast, 3), ink_ratio=round(ink_ratio, 5),
                       blank=blank, flags=tuple(flags), cut_edges=cut, file_dpi=file_dpi,
                       estimated_dpi=estimated or 0, edge_width=edges)
