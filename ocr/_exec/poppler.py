"""The ONE seam that runs poppler's page tools: pdfinfo, pdfimages, pdftoppm and pdftotext.

OCR rasterises pages for Tesseract here, `sohoa sign` rasterises a PDF scan into the JPEG pages
it signs, and verification reads the marker's text back here (signing/ may import ocr/). Programs
run through core.tools; a tool that is missing or times out is EngineFailed (exit 7), a PDF the
tool refuses is UnreadableInput (exit 3), both naming the file. pdfsig, a checker of its own, has
its own seam (signing/_exec/pdfsig.py)."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core import tools
from ocr.errors import EngineFailed, UnreadableInput

PDFINFO_CMD = "pdfinfo"
PDFTOPPM_CMD = "pdftoppm"
PDFIMAGES_CMD = "pdfimages"
PDFTOTEXT_CMD = "pdftotext"
HINT = "install poppler-utils"
#: Time limits in seconds, read at call time (tests shorten them to inject a hanging tool).
INFO_TIMEOUT_S = 60.0
RASTER_TIMEOUT_S = 120.0
RENDER_TIMEOUT_S = 300.0
TEXT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class PdfPage:
    number: int
    width_pt: float
    height_pt: float
    image_dpi: int | None  # the resolution of the largest embedded image, when there is one


def _run(cmd: list[str], *, timeout_s: float, file: str, locale: str = "C") -> tools.ToolRun:
    """Run one poppler tool to its end; its exit status is the caller's to read."""
    try:
        return tools.run(cmd, timeout_s=timeout_s, env={"LC_ALL": locale}, check=False, hint=HINT)
    except tools.ToolError as exc:
        raise EngineFailed(file, str(exc)) from exc


def _reason(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    low = text.lower()
    if "incorrect password" in low or "encrypt" in low:
        return "encrypted PDF (password required)"
    if not text:
        return "not a readable PDF"
    return "corrupt or unreadable PDF: " + text.splitlines()[-1][:300]


def info(path: Path, *, file: str, timeout_s: float | None = None) -> list[PdfPage]:
    """Page sizes (points) and, where pages are scans, their native image resolution."""
    timeout_s = INFO_TIMEOUT_S if timeout_s is None else timeout_s
    proc = _run([PDFINFO_CMD, "-f", "1", "-l", "100000", str(path)], timeout_s=timeout_s, file=file)
    if proc.returncode != 0:
        raise UnreadableInput(file, _reason(proc.stderr))
    out = proc.text
    sizes: dict[int, tuple[float, float]] = {}
    for m in re.finditer(r"^Page\s+(\d+)\s+size:\s+([\d.]+)\s+x\s+([\d.]+)", out, re.M):
        sizes[int(m.group(1))] = (float(m.group(2)), float(m.group(3)))
    if not sizes:
        count = re.search(r"^Pages:\s+(\d+)", out, re.M)
        s = re.search(r"^Page size:\s+([\d.]+)\s+x\s+([\d.]+)", out, re.M)
        if not count or not s or int(count.group(1)) == 0:
            raise UnreadableInput(file, "PDF has no pages")
        sizes = {n: (float(s.group(1)), float(s.group(2))) for n in range(1, int(count.group(1)) + 1)}
    dpis = _image_dpis(path, file=file, timeout_s=timeout_s)
    return [PdfPage(n, w, h, dpis.get(n)) for n, (w, h) in sorted(sizes.items())]


def _image_dpis(path: Path, *, file: str, timeout_s: float) -> dict[int, int]:
    proc = _run([PDFIMAGES_CMD, "-list", str(path)], timeout_s=timeout_s, file=file)
    if proc.returncode != 0:
        return {}
    best: dict[int, tuple[int, int]] = {}  # page -> (pixels, dpi)
    for line in proc.text.splitlines()[2:]:
        parts = line.split()
        if len(parts) < 14 or parts[2] != "image":
            continue
        try:
            page, w, h, xppi = int(parts[0]), int(parts[3]), int(parts[4]), float(parts[12])
        except ValueError:
            continue
        if w * h > best.get(page, (0, 0))[0]:
            best[page] = (w * h, round(xppi))
    return {p: dpi for p, (_, dpi) in best.items() if dpi > 0}


def rasterise(path: Path, page: int, dpi: int, *, file: str, timeout_s: float | None = None) -> bytes:
    """One page as PPM bytes (colour kept: seal removal needs the red). PPM, not PNG: the zlib
    compression of a 300-dpi A4 PNG took 4–10 s a page here, the uncompressed PPM 0.2 s.

    Annotations are hidden: notes, stamps and "SAO Y" signatures added to the PDF later lie on top of
    the scan and are not part of the paper document (1.pdf and 3.pdf of the real scans have them).
    The PDF's own text layer is never read: it is not rendered for scanned pages (render mode 3)."""
    timeout_s = RASTER_TIMEOUT_S if timeout_s is None else timeout_s
    with tempfile.TemporaryDirectory(prefix="sohoa-ppm-") as tmp:
        out = Path(tmp) / "p"
        proc = _run([PDFTOPPM_CMD, "-f", str(page), "-l", str(page), "-r", str(dpi), "-singlefile",
                     "-hide-annotations",
                     str(path), str(out)], timeout_s=timeout_s, file=file)
        ppm = out.with_suffix(".ppm")
        if proc.returncode != 0 or not ppm.exists():
            raise UnreadableInput(file, f"page {page}: " + _reason(proc.stderr))
        return ppm.read_bytes()


def render_jpegs(path: Path, out_dir: Path, *, dpi: int, file: str, timeout_s: float | None = None) -> list[Path]:
    """Every page as a JPEG file in `out_dir`, in page order (the pages `sohoa sign` signs: a PDF
    scan is re-rendered, never signed as it came)."""
    timeout_s = RENDER_TIMEOUT_S if timeout_s is None else timeout_s
    prefix = out_dir / "page"
    proc = _run([PDFTOPPM_CMD, "-r", str(dpi), "-jpeg", "-jpegopt", "quality=92", str(path), str(prefix)],
                timeout_s=timeout_s, file=file)
    if proc.returncode != 0:
        raise UnreadableInput(file, _reason(proc.stderr))
    pages = sorted(out_dir.glob("page-*.jpg"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    if not pages:
        raise UnreadableInput(file, "PDF has no pages")
    return pages


def text(path: Path, *, file: str, first: int | None = None, last: int | None = None,
         timeout_s: float | None = None) -> str:
    """The PDF's text layer (pdftotext, UTF-8), for reading a signed result's marker back."""
    timeout_s = TEXT_TIMEOUT_S if timeout_s is None else timeout_s
    cmd = [PDFTOTEXT_CMD, "-enc", "UTF-8"]
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    proc = _run([*cmd, str(path), "-"], timeout_s=timeout_s, file=file, locale="C.UTF-8")
    if proc.returncode != 0:
        raise UnreadableInput(file, _reason(proc.stderr))
    return proc.text
