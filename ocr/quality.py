"""Per-page quality figures (Decree 137 Art. 4.2.a: full content; blank, blurred or low-resolution
pages are flagged, never silently accepted)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image

MIN_DPI = 200
BLUR_THRESHOLD = 100.0  # variance of the Laplacian at 200 dpi; sharp print scans measure 500-3000
MIN_CONTRAST = 0.35
BLANK_INK_RATIO = 0.0015
BLANK_MIN_SPREAD = 25  # grey levels between paper and the darkest pixels below which nothing is written
RESCAN_FLAGS = ("low_resolution", "blurry", "low_contrast")


@dataclass(frozen=True)
class PageQuality:
    dpi: int
    blur: float  # variance of the Laplacian, measured at 200 dpi (higher = sharper)
    contrast: float  # 0..1, spread between dark ink and paper
    ink_ratio: float  # share of dark pixels
    blank: bool
    flags: tuple[str, ...] = ()  # "low_resolution", "blurry", "low_contrast", "blank"

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
        d["score"] = self.score
        d["rescan"] = self.rescan
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PageQuality:
        return cls(dpi=int(d["dpi"]), blur=float(d["blur"]), contrast=float(d["contrast"]),
                   ink_ratio=float(d.get("ink_ratio", 0.0)), blank=bool(d["blank"]), flags=tuple(d.get("flags", ())))


def assess(image: np.ndarray | Image.Image, dpi: int) -> PageQuality:
    if isinstance(image, Image.Image):
        gray = np.asarray(image.convert("L"))
    else:
        arr = np.asarray(image)
        gray = arr if arr.ndim == 2 else cv2.cvtColor(arr[..., :3], cv2.COLOR_RGB2GRAY)
    # Normalise to 200 dpi so the blur figure means the same at any resolution.
    f = 200 / max(dpi, 1)
    if abs(f - 1) > 0.05:
        gray = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    h, w = gray.shape
    # Ignore a 3% frame: scanner borders and punch holes are not content.
    my, mx = max(1, h * 3 // 100), max(1, w * 3 // 100)
    core = gray[my:h - my, mx:w - mx] if h > 2 * my and w > 2 * mx else gray
    lo, hi = np.percentile(core, (1, 99))
    paper = float(np.percentile(core, 50))
    # Ink is what is clearly darker than the paper *on this page*: a fixed threshold would call a
    # faded page blank instead of low-contrast (and a faded page must be re-scanned, not dropped).
    spread = paper - float(np.percentile(core, 0.5))
    ink = core < paper - max(BLANK_MIN_SPREAD / 2, spread / 2)
    ink_ratio = float(ink.mean())
    blank = ink_ratio < BLANK_INK_RATIO or spread < BLANK_MIN_SPREAD
    contrast = float(hi - lo) / 255.0
    lap = cv2.Laplacian(core, cv2.CV_64F)
    # Blur is measured where there is ink; paper texture would dilute it.
    if ink.any() and not blank:
        mask = cv2.dilate(ink.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        blur = float(lap[mask].var())
    else:
        blur = float(lap.var())
    flags: list[str] = []
    if dpi < MIN_DPI:
        flags.append("low_resolution")
    if blank:
        flags.append("blank")
    else:
        if blur < BLUR_THRESHOLD:
            flags.append("blurry")
        if contrast < MIN_CONTRAST:
            flags.append("low_contrast")
    return PageQuality(dpi=dpi, blur=round(blur, 1), contrast=round(contrast, 3), ink_ratio=round(ink_ratio, 5),
                       blank=blank, flags=tuple(flags))
