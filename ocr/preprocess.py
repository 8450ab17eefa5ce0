"""Page clean-up before Tesseract. Every step was kept because it measured better (see ocr/bench.py).

No global binarisation: Otsu/adaptive thresholds break Vietnamese diacritics (measured)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from ocr.quality import as_rgb_array, edge_width, estimate_skew, percentiles_u8

UPSCALE_BELOW_DPI = 200  # x2 helps 150 dpi pages; at 200 dpi it hurt real scans (docs/ocr.md)
# A page below UPSCALE_BELOW_DPI is scaled up to UPSCALE_TO_DPI, by at least x2 and at most x4:
# x2 at 100-200 dpi, x2.9 at 70 dpi. Measured on real development pages shrunk to 70 and 100 dpi,
# up to 200 dpi read better than up to 250 or 300 (docs/ocr.md).
UPSCALE_TO_DPI = 200
# Bicubic. Measured again at ~70 dpi (docs/ocr.md, "Real pages as small images"): Lanczos, bilinear,
# targets 230-300 dpi, contrast stretch, gamma, unsharp, a blur before or a 5x5 median after the
# upscale, and Tesseract's Sauvola/adaptive thresholds were none better over the development pages;
# together, a stretch and Sauvola were (below, SMALL_PAGE_DPI).
UPSCALE_INTERPOLATION = cv2.INTER_CUBIC
MIN_UPSCALE, MAX_UPSCALE = 2.0, 4.0
# A page below this effective resolution (a small image: ~70-100 dpi) is, after the upscale,
# stretched so its ink is black and its paper white (`stretch_levels`), and Tesseract finds its lines
# with Sauvola's local threshold at k = SMALL_PAGE_SAUVOLA_K (tesseract_engine). The upscaled letters
# are soft: Tesseract's global Otsu cut them fat (threshold ~200 of 255 on a 70 dpi page, ~150-190 at
# the true resolution), and the fat letters of two lines touched, so the lines merged and one was read
# as garbage or lost. Measured on development pages only (docs/ocr.md). 150-dpi scans are not touched.
SMALL_PAGE_DPI = 120
SMALL_PAGE_SAUVOLA_K = 0.7
MIN_SKEW_DEG, MAX_SKEW_DEG = 0.1, 10.0
# A small page is not denoised before the upscale. Non-local means there (h 16, 3x3 patches) read the
# development JPEGs' ringing as fewer tone marks, but its gain (JPEG q60 8.02 -> 7.41 %, q85 5.38 ->
# 5.05 % WER on four pages) is inside the bench's one-point run-to-run spread, and it turned the
# 87-dpi handwritten "813" of a real development letter into "845" (docs/ocr.md).
# A small page whose strokes are soft for their size (ocr.quality.edge_width above
# SHARPEN_ABOVE_EDGE_WIDTH; clean development pages at ~70 dpi measure 0.29-0.35 whether JPEG q85 or
# q60, grey or skewed, a softer scan (laocai-31.3.2026_BB_kiemtra) 0.405, the four transcribed pages
# blurred 0.7 px 0.45-0.49; at 0.40 that softer scan was sharpened and read far worse) is sharpened after the upscale (unsharp
# mask of width SHARPEN_SIGMA upscaled pixels, strength SHARPEN_AMOUNT) and its levels stretched to a
# white point SOFT_WHITE_POINT of the way from the ink to the paper: the blur spreads each stroke into
# the paper around it, the letters came out fat, touched across lines and tone marks merged with
# their letters. Tuned on the development pages only (docs/ocr.md).
SHARPEN_ABOVE_EDGE_WIDTH = 0.43
SHARPEN_SIGMA = 2.0
SHARPEN_AMOUNT = 1.5
SOFT_WHITE_POINT = 0.8


# Uneven light (a phone photo's shadow and falloff, a photocopy's dark band along the lid): the
# paper's own level is estimated at PAPER_DPI as the grey closing over PAPER_KERNEL pixels (~0.14 in,
# wider than any stroke, narrower than the light's changes) and the page divided by it, so the paper
# is white everywhere and ink keeps its darkness relative to the paper around it. Tesseract's global
# Otsu threshold otherwise cut a shadowed region to black or a lit one's faint ink to white: a phone
# capture of a development letter lost its whole body and signature block. Only a page whose paper
# level varies by UNEVEN_PAPER or more (p95-p5 of the paper over its p95, a 5 % margin left out) is
# flattened: the development scans measure 0.004-0.06, their simulated phone captures 0.31-0.50, the
# real phone photo among them (laocai-Mau-giay-phep) 0.45, photocopies with a dark band 0.05-0.08.
PAPER_DPI = 50
PAPER_KERNEL = 7
UNEVEN_PAPER = 0.15


def paper_level(gray: np.ndarray, dpi: int) -> np.ndarray:
    """The paper's grey level around each pixel of `gray` (uint8, ink dark), at PAPER_DPI: the grey
    closing removes the ink, a median smooths what is left. Returns the small image."""
    h, w = gray.shape
    f = min(1.0, PAPER_DPI / max(dpi, 1))
    small = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA) if f < 1 else gray
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (PAPER_KERNEL, PAPER_KERNEL))
    paper = cv2.dilate(cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel), np.ones((3, 3), np.uint8))
    return np.asarray(cv2.medianBlur(paper, 5))


def paper_unevenness(gray: np.ndarray, dpi: int) -> float:
    """How much the paper's level varies across the page: (p95 - p5) / p95 of `paper_level`, a 5 %
    margin left out (a photo's table or a scanner's lid at the edge is no paper). 0 = even light."""
    paper = paper_level(gray, dpi)
    h, w = paper.shape
    core = paper[h // 20:h - h // 20, w // 20:w - w // 20]
    if core.size == 0:
        return 0.0
    lo, hi = percentiles_u8(np.ascontiguousarray(core), (5, 95))
    return float((hi - lo) / max(hi, 1.0))


def flatten_paper(rgb: np.ndarray, dpi: int) -> np.ndarray:
    """`rgb` divided by its paper level (estimated on the brightest channel, which the OCR reads):
    the paper white everywhere, shadow and falloff gone, ink dark against it, colours kept (a red
    seal stays red for the steps that look for it)."""
    r, g, b = cv2.split(np.ascontiguousarray(rgb[..., :3]))
    paper = paper_level(cv2.max(cv2.max(r, g), b), dpi)
    h, w = rgb.shape[:2]
    gain = 255.0 / np.maximum(cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32), 1.0)
    return np.asarray(cv2.merge([cv2.multiply(c, gain, dtype=cv2.CV_8U) for c in (r, g, b)]))


def needs_flattening(rgb: np.ndarray, dpi: int) -> bool:
    """The page's light is uneven enough to flatten (UNEVEN_PAPER)."""
    r, g, b = cv2.split(np.ascontiguousarray(rgb[..., :3]))
    return paper_unevenness(cv2.max(cv2.max(r, g), b), dpi) >= UNEVEN_PAPER


@dataclass(frozen=True)
class Prepared:
    gray: np.ndarray  # uint8, what Tesseract sees
    scale: float  # prepared pixels per page pixel
    angle: float  # degrees the page was rotated by (0 when not deskewed)
    matrix: np.ndarray  # 2x3 affine: page pixels -> prepared pixels

    def to_page(self, box: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int]:
        """A box in prepared pixels back in page pixels (clipped to the page)."""
        inv = cv2.invertAffineTransform(self.matrix)
        x0, y0, x1, y1 = box
        pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=np.float64) @ inv.T
        xs, ys = pts[:, 0], pts[:, 1]
        return (max(0, int(np.floor(xs.min()))), max(0, int(np.floor(ys.min()))),
                min(width, int(np.ceil(xs.max()))), min(height, int(np.ceil(ys.max()))))


def remove_red(rgb: np.ndarray) -> np.ndarray:
    """Seal ink (saturated, fairly bright red) becomes white; dark text printed under it stays.

    Stamp ink is multiplied onto the page, so text under a seal is dark (low value) and survives the
    value threshold; only the lighter red of the seal itself is cleared."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    red = ((h <= 12) | (h >= 160)) & (s >= 60) & (v >= 90)
    if not red.any():
        return rgb
    out = rgb.copy()
    out[red] = (255, 255, 255)
    return out


BORDER_DARK = 90  # grey level below which a region touching the edge may be the scanner's lid or table
BORDER_MIN_SPAN = 0.25  # ... and it is a border only if it runs along this much of an edge


def clear_border(gray: np.ndarray) -> np.ndarray:
    """The dark frame a scanner or a photo leaves around the sheet (lid, table, shadow of a bound
    edge) painted white: Tesseract reads its edge as letters ("|||", "ll1"). Only dark regions that
    touch the image edge and run along a quarter of it count, so text near the edge is never a border."""
    h, w = gray.shape
    f = min(1.0, 800 / max(h, w))
    small = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA) if f < 1 else gray
    dark = (small < BORDER_DARK).astype(np.uint8)
    if not (dark[0].any() or dark[-1].any() or dark[:, 0].any() or dark[:, -1].any()):
        return gray  # nothing dark on the edge: the common case costs one resize
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    sh, sw = small.shape
    edge = set(labels[0]) | set(labels[-1]) | set(labels[:, 0]) | set(labels[:, -1])
    border = [k for k in edge if k and (stats[k, cv2.CC_STAT_WIDTH] >= BORDER_MIN_SPAN * sw
                                        or stats[k, cv2.CC_STAT_HEIGHT] >= BORDER_MIN_SPAN * sh)]
    if not border:
        return gray
    mask: np.ndarray = np.isin(labels, border).astype(np.uint8) * 255
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))  # the frame's soft inner edge too
    mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
    out = gray.copy()
    out[mask > 0] = 255
    return out


def stretch_levels(gray: np.ndarray, white: float = 1.0) -> np.ndarray:
    """Levels stretched linearly: the darkest 1 % (the ink's level) becomes black, the median (the
    paper's) white. Nothing darker than the paper is clipped, so a faint tone mark keeps its grey (a
    white point below the paper's, tried, erased marks: "Đào" read "Đảo"). `white` < 1 puts the white
    point that share of the way from the ink to the paper (a blurred page only: SOFT_WHITE_POINT)."""
    ink, paper = percentiles_u8(gray, (1, 50))
    if paper - ink < 16:
        return gray  # blank or nearly: nothing to stretch
    lut = np.clip((np.arange(256) - ink) * 255.0 / (white * (paper - ink)), 0, 255).astype(np.uint8)
    return cv2.LUT(gray, lut)


def unsharp(gray: np.ndarray, sigma: float, amount: float) -> np.ndarray:
    """gray + amount * (gray - its Gaussian blur of `sigma` px), clipped to 0..255."""
    return cv2.addWeighted(gray, 1 + amount, cv2.GaussianBlur(gray, (0, 0), sigma), -amount, 0)


def soft_page(gray: np.ndarray, dpi: int) -> bool:
    """Strokes soft for their size (`gray`: the page at its effective `dpi`, before any upscale)."""
    return edge_width(gray, dpi) > SHARPEN_ABOVE_EDGE_WIDTH


def small_page(dpi: int, *, upscale: bool = True, upscale_below_dpi: int = UPSCALE_BELOW_DPI) -> bool:
    """A page read as a small image (see SMALL_PAGE_DPI): stretched levels, Sauvola line finding."""
    return upscale and dpi < min(SMALL_PAGE_DPI, upscale_below_dpi)


def prepare(image: np.ndarray | Image.Image, dpi: int, *, seal: bool = True, upscale: bool = True,
            deskew: bool = True, denoise: bool = True, ink: str = "gray",
            upscale_below_dpi: int = UPSCALE_BELOW_DPI, border: bool = True,
            interpolation: int = UPSCALE_INTERPOLATION) -> Prepared:
    """The page as Tesseract reads it. `interpolation`: the upscale's (a small page's second reading,
    ocr.line_vote, uses Lanczos)."""
    rgb = as_rgb_array(image)
    if seal:
        rgb = remove_red(rgb)
    if ink == "max":
        r, g, b = cv2.split(rgb)
        gray = cv2.max(cv2.max(r, g), b)  # numpy's max(axis=2) is ~10x slower on a page
    elif ink == "red":
        gray = np.ascontiguousarray(rgb[..., 0])
    else:
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if border:
        gray = clear_border(gray)

    scale = 1.0
    if upscale and dpi < upscale_below_dpi:
        small = small_page(dpi, upscale=upscale, upscale_below_dpi=upscale_below_dpi)
        soft = small and soft_page(gray, dpi)
        scale = min(MAX_UPSCALE, max(MIN_UPSCALE, round(UPSCALE_TO_DPI / max(dpi, 1), 2)))
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interpolation)
        if soft:
            gray = stretch_levels(unsharp(gray, SHARPEN_SIGMA, SHARPEN_AMOUNT), SOFT_WHITE_POINT)
        elif small:
            gray = stretch_levels(gray)
    matrix = np.array([[scale, 0, 0], [0, scale, 0]], dtype=np.float64)
    angle = 0.0
    if deskew:
        est = estimate_skew(gray)
        if MIN_SKEW_DEG <= abs(est) <= MAX_SKEW_DEG:
            angle = est
            h, w = gray.shape
            rot = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
            gray = cv2.warpAffine(gray, rot, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
            matrix = np.vstack([rot, [0, 0, 1]]) @ np.vstack([matrix, [0, 0, 1]])
            matrix = matrix[:2]
    if denoise:
        gray = cv2.medianBlur(gray, 3)
    return Prepared(gray=gray, scale=scale, angle=angle, matrix=matrix)
