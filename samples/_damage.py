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


def apply_damage(page: np.ndarray, level: str, rng: np.random.Generator, *, src_dpi: int = 300,
                 dpi: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The damaged RGB page and the 2x3 affine matrix mapping clean pixels to damaged ones."""
    spec = LEVELS[level]
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
