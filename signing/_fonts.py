"""NotoSans for the marker: renders Vietnamese correctly (DejaVuSans is measured too wide) and
reportlab embeds it as a subset with a ToUnicode map, so text extraction returns the diacritics."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

REGULAR = "SohoaNotoSans"
BOLD = "SohoaNotoSans-Bold"
_SEARCH = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/noto"),
    Path("/usr/local/share/fonts"),
)


def _find(file_name: str) -> Path:
    override = os.environ.get("SOHOA_MARKER_FONT_DIR")
    dirs = ((Path(override),) if override else ()) + _SEARCH
    for d in dirs:
        p = d / file_name
        if p.is_file():
            return p
    raise FileNotFoundError(f"{file_name} not found in {', '.join(map(str, dirs))}: install fonts-noto-core")


@cache
def register() -> tuple[str, str]:
    """Register once per process (parsing the TTF is the slow part); returns (regular, bold) names."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(REGULAR, str(_find("NotoSans-Regular.ttf"))))
    pdfmetrics.registerFont(TTFont(BOLD, str(_find("NotoSans-Bold.ttf"))))
    return REGULAR, BOLD
