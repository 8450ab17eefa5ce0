"""What a scanner and an old sheet of paper do to a clean page (colour kept: the seal stays red)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class DamageLevel:
    skew_deg: float
    noise_sigma: float
    blur_sigma: float
    illumination: float  # brightness lost at the darkest corner
    tint: tuple[int, int, int]  # paper colour
    jpeg_quality: int
    dpi: int


LEVELS: dict[str, DamageLevel] = {
    "none": DamageLevel(0.0, 0.0, 0.0, 0.0, (255, 255, 255), 100, 300),
    "light": DamageLevel(0.3, 3.0, 0.0, 0.04, (252, 250, 244), 92, 300),
    "medium": DamageLevel(1.2, 7.0, 0.6, 0.10, (247, 242, 228), 75, 200),
    "heavy": DamageLevel(2.5, 12.0, 0.9, 0.20, (240, 232, 210), 50, 150),
}


def apply_damage(page: np.ndarray, level: str | DamageLevel, rng: np.random.Generator, *, src_dpi: int = 300,
                 dpi: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The damaged RGB page and the 2x3 affine matrix mapping clean pixels to damaged ones. `level` is
    a name of LEVELS or a DamageLevel of its own (the real pages re-scanned, ocr.bench_rescan)."""
    spec = LEVELS[level] if isinstance(level, str) else level
    if not isinstance(level, str):
        level = "custom"
    dpi = dpi or spec.dpi
    scale = dpi / src_dpi
    img = page
    if scale != 1:
        h, w = page.shape[:2]
        img = cv2.resize(page, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    h, w = img.shape[:2]
    angle = float(rng.choice((-1, 1)) * spec.skew_deg * rng.uniform(0.7, 1.0))
    shift: np.ndarray = rng.uniform(-0.004, 0.004, size=2) * (w, h) if level != "none" else np.zeros(2)
    rot = np.asarray(cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), dtype=np.float64)
    rot[:, 2] += shift
    if angle or shift.any():
        img = cv2.warpAffine(img, rot, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                             borderValue=(255, 255, 255))
    matrix = rot @ np.array([[scale, 0, 0], [0, scale, 0], [0, 0, 1]], dtype=np.float64)
    if level == "none":
        return img, matrix

    out = img.astype(np.float32) * (np.array(spec.tint, dtype=np.float32) / 255.0)
    # Uneven lamp / a page not flat on the glass: a linear gradient in a random direction plus a vignette.
    yy, xx = np.mgrid[0:h:8, 0:w:8].astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(theta) * xx / w + np.sin(theta) * yy / h)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    vignette = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2
    light = 1.0 - spec.illumination * (0.7 * ramp + 0.3 * vignette)
    out *= cv2.resize(light, (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
    if spec.blur_sigma:
        out = cv2.GaussianBlur(out, (0, 0), spec.blur_sigma)
    if spec.noise_sigma:
        out += rng.standard_normal((h, w, 1), dtype=np.float32) * spec.noise_sigma
    out8 = np.clip(out, 0, 255).astype(np.uint8)
    # Re-compression by the scanner's firmware.
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(out8, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, spec.jpeg_quality])
    if not ok:
        raise RuntimeError("JPEG re-compression failed")
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if decoded is None:
        raise RuntimeError("JPEG re-compression could not be decoded")
    return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), matrix


def phone_capture(page: np.ndarray, rng: np.random.Generator, *, dpi: int,
                  src_dpi: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """A phone photo of the sheet lying on a table: the page at `dpi` effective (its width in pixels
    over 8.27 inches), seen at an angle (perspective), the shadow of the hand holding the phone across
    part of it, uneven light, sensor noise and a chat app's JPEG. Returns the RGB photo and the 3x3
    homography from clean page pixels to photo pixels."""
    scale = dpi / src_dpi
    h0, w0 = page.shape[:2]
    w, h = round(w0 * scale), round(h0 * scale)
    img = cv2.resize(page, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    img *= np.array((250, 246, 236), dtype=np.float32) / 255.0
    # The table around the sheet, and the sheet's corners pulled about by the viewing angle.
    pad_x, pad_y = round(w * rng.uniform(0.05, 0.1)), round(h * rng.uniform(0.04, 0.08))
    out_w, out_h = w + 2 * pad_x, h + 2 * pad_y
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    jitter = rng.uniform(-1, 1, size=(4, 2)) * (w * 0.035, h * 0.025)
    near = rng.uniform(0.0, 0.05) * w  # the edge nearer the camera looks wider
    dst = src + (pad_x, pad_y) + jitter.astype(np.float32)
    dst[2, 0] += near
    dst[3, 0] -= near
    homography = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    table = np.array(rng.choice([(92, 70, 52), (140, 120, 98), (60, 60, 64), (170, 165, 150)]), dtype=np.float32)
    canvas = np.empty((out_h, out_w, 3), dtype=np.float32)
    canvas[:] = table
    canvas += rng.standard_normal((out_h, out_w, 1)).astype(np.float32) * 6
    warped = cv2.warpPerspective(img, homography, (out_w, out_h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    inside = cv2.warpPerspective(np.ones((h, w), dtype=np.float32), homography, (out_w, out_h),
                                 flags=cv2.INTER_LINEAR)[..., None]
    photo = warped + canvas * (1.0 - inside)
    # Light: brighter towards one side, and the soft shadow of a hand or phone over a corner.
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(theta) * xx / out_w + np.sin(theta) * yy / out_h
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    light = 1.0 - rng.uniform(0.08, 0.2) * ramp
    cx, cy = rng.choice([0, out_w]) + rng.uniform(-0.1, 0.1) * out_w, rng.uniform(0.3, 1.0) * out_h
    radius = rng.uniform(0.35, 0.6) * out_w
    dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
    shadow = np.clip((radius - dist) / (0.25 * radius), 0, 1)
    light *= 1.0 - rng.uniform(0.25, 0.45) * shadow
    photo *= light[..., None]
    photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(0.4, 0.8))
    photo += rng.standard_normal(photo.shape[:2] + (1,)).astype(np.float32) * rng.uniform(3, 7)
    out8 = np.clip(photo, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(out8, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 82))])
    if not ok:
        raise RuntimeError("JPEG compression of the phone photo failed")
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if decoded is None:
        raise RuntimeError("JPEG of the phone photo could not be decoded")
    full = homography @ np.diag([scale, scale, 1.0])
    return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), full


def photocopy(page: np.ndarray, rng: np.random.Generator, *, src_dpi: int = 300,
              dpi: int | None = None) -> np.ndarray:
    """A greyscale photocopy of the page as archives hold many: grey levels only (the seal turns
    grey), the paper darker than white and uneven (toner haze, a darker band where the lid did not
    close), the ink a little heavier, black speckle from dust on the glass, then scanned at `dpi`
    and saved as JPEG. Returns an RGB array (three equal channels)."""
    scale = (dpi or src_dpi) / src_dpi
    img = page
    if scale != 1:
        h, w = page.shape[:2]
        img = cv2.resize(page, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    h, w = grey.shape
    # Contrast pushed up by the copier (ink heavier), then the paper level brought down to ~200-215.
    paper = rng.uniform(200, 215)
    grey = np.clip((grey - 40.0) * 1.15, 0, 255) * (paper / 255.0)
    # A darker band along one long edge (the lid not closed on a bound sheet), fading inwards.
    xx = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    if rng.random() < 0.5:
        xx = 1.0 - xx
    band = np.clip((0.12 - xx) / 0.12, 0, 1) * rng.uniform(40, 70)
    grey -= band
    # Dust and toner speckle: sparse dark dots of one to two pixels.
    count = int(h * w * rng.uniform(2e-4, 4e-4))
    ys, xs = rng.integers(0, h, count), rng.integers(0, w, count)
    grey[ys, xs] = rng.uniform(0, 80, count)
    big = rng.random(count) < 0.3
    grey[np.clip(ys[big] + 1, 0, h - 1), xs[big]] = grey[ys[big], xs[big]]
    grey += rng.standard_normal((h, w), dtype=np.float32) * 5
    grey = cv2.GaussianBlur(grey, (0, 0), 0.5)
    out8 = np.clip(grey, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", out8, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 71))])
    if not ok:
        raise RuntimeError("JPEG compression of the photocopy failed")
    decoded = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    if decoded is None:
        raise RuntimeError("JPEG of the photocopy could not be decoded")
    return np.asarray(cv2.cvtColor(decoded, cv2.COLOR_GRAY2RGB))
