"""A clean generated A4 page and the same page at another resolution: the pages the resolution and
blur tests read (one home, so both measure the same page)."""

from __future__ import annotations

from PIL import Image

A4_WIDTH_IN = 210 / 25.4


def clean_a4_page() -> Image.Image:
    import samples

    pages, _ = samples.render_document("quyet_dinh", seed=4, damage="none")
    return pages[0].convert("RGB")


def a4_at(page: Image.Image, dpi: int) -> Image.Image:
    """The page resized to an A4 sheet's width at `dpi` (Lanczos), without resolution metadata."""
    width = round(A4_WIDTH_IN * dpi)
    return page.resize((width, round(page.height * width / page.width)), Image.Resampling.LANCZOS)
