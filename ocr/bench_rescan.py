"""The development real pages re-scanned in simulation: real layouts under the damage archives add.

    from ocr.bench_rescan import RESCANS, rescan_pages
    pages = rescan_pages(Path("tests/data/real-scans/1.pdf"), "dpi100-untagged")

Generated template families no longer reproduce the failures the real held-out pages show, and the
development real pages are few and tuned on. Each development page rendered again under one named
degradation (RESCANS) gives more varied development data with real layouts and the same truth
(ocr.bench_fields --augment). The damage itself lives in samples/_damage.py (one home per rule);
this module only names the recipes. Every recipe is deterministic: the random draws are seeded by the
recipe, the file name and the page number.

A page is never upscaled: the effective resolution is min(target, the page's own). A page whose file
gives no resolution (a phone photo as a JPEG) is taken as A4 over its shorter side."""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ocr.pages import PageImage, load_pages

A4_SHORT_INCHES = 8.27


@dataclass(frozen=True)
class Rescan:
    """One simulated re-scan: the effective resolution, whether the file says it, and the damage."""

    dpi: int
    tagged: bool  # the file carries its resolution; else the reader must find it from the text
    kind: str  # "scan" (samples._damage.apply_damage), "phone" (phone_capture), "photocopy"
    skew_deg: float = 0.0
    noise_sigma: float = 0.0
    blur_sigma: float = 0.0
    illumination: float = 0.0
    tint: tuple[int, int, int] = (255, 255, 255)
    jpeg_quality: int = 90


RESCANS: dict[str, Rescan] = {
    # An office scanner set to 150 dpi, the sheet a little crooked (±1.5°), JPEG q65, slight lamp falloff.
    "dpi150": Rescan(150, True, "scan", skew_deg=1.5, noise_sigma=3.0, illumination=0.06,
                     tint=(250, 248, 240), jpeg_quality=65),
    # The same at 100 dpi, softer, JPEG q55, and a file that does not say its resolution.
    "dpi100-untagged": Rescan(100, False, "scan", skew_deg=1.0, noise_sigma=3.0, blur_sigma=0.5,
                              illumination=0.06, tint=(250, 248, 240), jpeg_quality=55),
    # 100 dpi with the tag (the reader is told, nothing to guess).
    "dpi100": Rescan(100, True, "scan", skew_deg=1.0, noise_sigma=3.0, blur_sigma=0.5,
                     illumination=0.06, tint=(250, 248, 240), jpeg_quality=55),
    # Mild blur and JPEG q50 at 200 dpi: a shaky flatbed, a harsh archive export.
    "blur-jpeg50": Rescan(200, True, "scan", skew_deg=0.8, noise_sigma=4.0, blur_sigma=0.9,
                          illumination=0.05, tint=(248, 246, 238), jpeg_quality=50),
    # A phone photo: perspective, uneven light, a hand's shadow, chat-app JPEG; ~150 dpi, no tag.
    "phone": Rescan(150, False, "phone"),
    # A greyscale photocopy (darker paper, a dark band at one edge, speckle) scanned at 150 dpi.
    "photocopy": Rescan(150, True, "photocopy"),
}
DEFAULT_RESCANS = ("dpi150", "dpi100-untagged", "phone", "photocopy")
# Bump when a recipe or the damage it uses changes: cached readings of the old images are stale.
RESCAN_VERSION = 1


def effective_dpi(page: PageImage) -> int:
    """The page's resolution as the file says it, or for a file that says nothing, A4 over the
    page's shorter side (never more than the default the loader assumed)."""
    short = min(page.image.size) / A4_SHORT_INCHES
    return page.dpi if page.dpi_from_file else min(page.dpi, max(round(short), 50))


def rescan_image(page: PageImage, name: str, rng: np.random.Generator) -> tuple[Image.Image, int]:
    """The page rendered under the recipe `name`, and its effective resolution."""
    from samples._damage import DamageLevel, apply_damage, phone_capture, photocopy

    recipe = RESCANS[name]
    src = effective_dpi(page)
    dpi = min(recipe.dpi, src)
    arr = np.asarray(page.image.convert("RGB"))
    if recipe.kind == "scan":
        level = DamageLevel(recipe.skew_deg, recipe.noise_sigma, recipe.blur_sigma, recipe.illumination,
                            recipe.tint, recipe.jpeg_quality, dpi)
        out = apply_damage(arr, level, rng, src_dpi=src, dpi=dpi)[0]
    elif recipe.kind == "phone":
        out = phone_capture(arr, rng, dpi=dpi, src_dpi=src)[0]
    elif recipe.kind == "photocopy":
        out = photocopy(arr, rng, src_dpi=src, dpi=dpi)
    else:
        raise ValueError(f"unknown re-scan kind {recipe.kind!r}")
    return Image.fromarray(out), dpi


def rescan_pages(scan: Path, name: str, *, seed: int = 0,
                 loader: Callable[[Path], list[PageImage]] = load_pages) -> list[PageImage]:
    """Every page of `scan` re-scanned under RESCANS[name], loaded back as intake loads a file: a PNG
    per page (the damage has already put its JPEG artefacts in), with the resolution tag or without."""
    if name not in RESCANS:
        raise ValueError(f"unknown re-scan {name!r}; known: {', '.join(RESCANS)}")
    out: list[PageImage] = []
    for page in loader(scan):
        rng = np.random.default_rng([seed, list(RESCANS).index(name), zlib.crc32(scan.name.encode()), page.number])
        image, dpi = rescan_image(page, name, rng)
        buf = io.BytesIO()
        image.save(buf, "PNG", **({"dpi": (dpi, dpi)} if RESCANS[name].tagged else {}))
        loaded = load_pages(buf.getvalue())[0]
        out.append(PageImage(loaded.image, loaded.dpi, page.number, loaded.dpi_from_file))
    return out
