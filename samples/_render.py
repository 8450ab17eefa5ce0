"""Draw a Decree 30/2020 document on A4 pages at 300 dpi (clean, before scan damage)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from core.text import nfc
from samples._content import Content, Paragraph, vn_date_line

DPI = 300
PAGE_W, PAGE_H = 2480, 3508  # A4 at 300 dpi
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 354, 213, 236, 260  # 30/18/20/22 mm
TEXT_W = PAGE_W - MARGIN_L - MARGIN_R
# Header columns, fitted inside the margins with a 3.4 mm gutter between them: a header line wider than
# its column is set smaller, as clerks do, never run into the motto (it did, and no reader could split
# "NHA TRANGCỘNG HÒA").
LEFT_CX, LEFT_W = 760, 800  # issuing-body column: 360..1160
RIGHT_CX, RIGHT_W = 1730, 1060  # motto column: 1200..2260
SIGN_CX = 1760
INK = (22, 22, 26)
SEAL_RED = (214, 38, 48)
_NOTO, _DEJAVU = "/usr/share/fonts/truetype/noto/", "/usr/share/fonts/truetype/dejavu/"
_LIBERATION = "/usr/share/fonts/truetype/liberation2/"
# Typeface families (fonts-noto-core, fonts-dejavu-core, fonts-liberation2); "sans-bold" is the seal's
# lettering in all.
_FACES: dict[str, dict[str, str]] = {
    # Times New Roman's metrics: the face most real decisions are printed in.
    "liberation-serif": {"regular": _LIBERATION + "LiberationSerif-Regular.ttf",
                         "bold": _LIBERATION + "LiberationSerif-Bold.ttf",
                         "italic": _LIBERATION + "LiberationSerif-Italic.ttf",
                         "bolditalic": _LIBERATION + "LiberationSerif-BoldItalic.ttf"},
    # Noto Serif's high-contrast display cut: hairline serifs and thin joins that a scan breaks up.
    "noto-serif-display": {"regular": _NOTO + "NotoSerifDisplay-Regular.ttf", "bold": _NOTO + "NotoSerifDisplay-Bold.ttf",
                           "italic": _NOTO + "NotoSerifDisplay-Italic.ttf",
                           "bolditalic": _NOTO + "NotoSerifDisplay-BoldItalic.ttf"},
    "noto-serif": {"regular": _NOTO + "NotoSerif-Regular.ttf", "bold": _NOTO + "NotoSerif-Bold.ttf",
                   "italic": _NOTO + "NotoSerif-Italic.ttf", "bolditalic": _NOTO + "NotoSerif-BoldItalic.ttf"},
    "noto-sans": {"regular": _NOTO + "NotoSans-Regular.ttf", "bold": _NOTO + "NotoSans-Bold.ttf",
                  "italic": _NOTO + "NotoSans-Italic.ttf", "bolditalic": _NOTO + "NotoSans-BoldItalic.ttf"},
    "dejavu-serif": {"regular": _DEJAVU + "DejaVuSerif.ttf", "bold": _DEJAVU + "DejaVuSerif-Bold.ttf",
                     "italic": _DEJAVU + "DejaVuSerif-Italic.ttf", "bolditalic": _DEJAVU + "DejaVuSerif-BoldItalic.ttf"},
    "dejavu-sans": {"regular": _DEJAVU + "DejaVuSans.ttf", "bold": _DEJAVU + "DejaVuSans-Bold.ttf",
                    "italic": _DEJAVU + "DejaVuSans-Oblique.ttf", "bolditalic": _DEJAVU + "DejaVuSans-BoldOblique.ttf"},
}
_SEAL_FONT = _NOTO + "NotoSans-Bold.ttf"


def px(points: float) -> int:
    return round(points * DPI / 72)


@lru_cache(maxsize=256)
def font(style: str, points: float, face: str = "noto-serif") -> ImageFont.FreeTypeFont:
    # BASIC layout: text is NFC (precomposed), and output must not depend on whether raqm is present.
    path = _SEAL_FONT if style == "sans-bold" else _FACES[face][style]
    return ImageFont.truetype(path, px(points), layout_engine=ImageFont.Layout.BASIC)


def fitted(style: str, points: float, text: str, width: int, face: str = "noto-serif") -> ImageFont.FreeTypeFont:
    """The font at `points`, shrunk by half points until `text` fits `width`."""
    while points > 8 and font(style, points, face).getlength(text) > width:
        points -= 0.5
    return font(style, points, face)


@dataclass
class Seal:
    page: int
    cx: int
    cy: int
    radius: int
    text: str


@dataclass
class Pages:
    images: list[Image.Image] = field(default_factory=list)
    items: list[list[tuple[int, int, str]]] = field(default_factory=list)  # (baseline, x, text) per page
    y: int = 0
    highlight: tuple[str, ...] = ()  # words to mark with a highlighter once drawn
    highlights: list[tuple[int, tuple[float, float, float, float]]] = field(default_factory=list)  # (page, box)
    face: str = "noto-serif"
    body_points: float = 0.0  # > 0: body text at this size instead of the paragraphs' 14 pt
    line_spacing: float = 1.3

    def font(self, style: str, points: float) -> ImageFont.FreeTypeFont:
        return font(style, points, self.face)

    def fitted(self, style: str, points: float, text: str, width: int) -> ImageFont.FreeTypeFont:
        return fitted(style, points, text, width, self.face)

    def new_page(self) -> None:
        self.images.append(Image.new("RGB", (PAGE_W, PAGE_H), (255, 255, 255)))
        self.items.append([])
        number = len(self.images)
        self.y = MARGIN_T
        if number > 1:  # Decree 30: page numbers from page 2, centred in the top margin
            self.text_center(PAGE_W // 2, 150, str(number), self.font("regular", 13))
            self.y = MARGIN_T + 40

    @property
    def draw(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.images[-1])

    def text(self, x: float, baseline: int, text: str, f: ImageFont.FreeTypeFont, record: bool = True) -> None:
        self.draw.text((x, baseline), text, font=f, fill=INK, anchor="ls")
        if record:
            self.items[-1].append((baseline, round(x), text))

    def text_center(self, cx: int, baseline: int, text: str, f: ImageFont.FreeTypeFont) -> float:
        width = f.getlength(text)
        self.text(cx - width / 2, baseline, text, f)
        return width

    def ensure(self, height: int) -> None:
        if self.y + height > PAGE_H - MARGIN_B:
            self.new_page()


def _header(pages: Pages, c: Content, rng: random.Random) -> None:
    top = pages.y + px(13)
    first_style = "bold" if c.header_left_bold_first else "regular"
    # Lines after the first are the body itself (bold); a superior body on top is regular or bold.
    for i, line in enumerate(c.header_left):
        w_last = pages.text_center(LEFT_CX, top + 62 * i, line,
                                   pages.fitted(first_style if i == 0 else "bold", 13, line, LEFT_W))
    extra = 62 * (len(c.header_left) - 2)  # 0 for the classic two lines; one line moves nothing below
    rule_y = top + 84 + max(extra, -62)
    rule = max(w_last * 0.4, 220)  # the short rule under the issuing body
    pages.draw.line((LEFT_CX - rule / 2, rule_y, LEFT_CX + rule / 2, rule_y), fill=INK, width=3)

    motto = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    pages.text_center(RIGHT_CX, top, motto, pages.fitted("bold", 12.5, motto, RIGHT_W))
    w = pages.text_center(RIGHT_CX, top + 62, "Độc lập - Tự do - Hạnh phúc", pages.font("bold", 13.5))
    pages.draw.line((RIGHT_CX - w / 2, top + 84, RIGHT_CX + w / 2, top + 84), fill=INK, width=3)

    row = top + 170 + max(extra, 0)
    place_date = vn_date_line(c.place, c.issued, c.date_style)
    if c.handwritten:
        _handwritten_number(pages, c, row, rng)
        _handwritten_date(pages, c, row, place_date, rng)
    else:
        pages.text_center(LEFT_CX, row, f"Số: {c.number}", pages.fitted("regular", 13, f"Số: {c.number}", LEFT_W))
        pages.text_center(RIGHT_CX, row, place_date, pages.fitted("italic", 13.5, place_date, RIGHT_W))
    if c.title is None and c.summary:  # công văn: "V/v …" under the number, in the left column
        f = pages.font("regular", 12)
        y = row
        for wrapped in _wrap([(w, f) for w in c.summary.split()], LEFT_W - 40, 0):
            y += 54
            pages.text_center(LEFT_CX, y, " ".join(word for word, _ in wrapped), f)
        row = max(row, y - 60)
    pages.y = row + 150


DOTS = "…………"


def _handwritten_number(pages: Pages, c: Content, row: int, rng: random.Random) -> None:
    """"Số: ……/QĐ-UBND" printed, the number written by hand over the dots."""
    digits, _, symbol = c.number.partition("/")
    f = pages.fitted("regular", 13, f"Số: {DOTS}/{symbol}", LEFT_W)
    printed = f"Số: {DOTS}/{symbol}"
    x0 = LEFT_CX - f.getlength(printed) / 2
    pages.text(x0, row, printed, f, record=False)
    blank_x = x0 + f.getlength("Số: ")
    pages.items[-1].append((row, round(x0), f"Số: {c.number}"))
    handwrite(pages.draw, digits, blank_x + 6, row - 4, f.getlength(DOTS) - 12, round(f.size * 0.95), rng)


def _handwritten_date(pages: Pages, c: Content, row: int, place_date: str, rng: random.Random) -> None:
    """"…, ngày …… tháng 5 năm 2024" printed, the day written by hand over the dots."""
    head, _, tail = place_date.partition(" ngày ")
    day, _, rest = tail.partition(" ")
    printed = f"{head} ngày {DOTS} {rest}"
    f = pages.fitted("italic", 13.5, printed, RIGHT_W)
    x0 = RIGHT_CX - f.getlength(printed) / 2
    pages.text(x0, row, printed, f, record=False)
    pages.items[-1].append((row, round(x0), place_date))
    blank_x = x0 + f.getlength(f"{head} ngày ")
    handwrite(pages.draw, day, blank_x + 4, row - 4, f.getlength(DOTS) - 8, round(f.size * 0.95), rng)


# One-stroke digits in a unit box (x right, y down, 0..1), as a hand writes them.
_DIGIT_STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "0": [[(0.5, 0.0), (0.15, 0.2), (0.1, 0.6), (0.35, 1.0), (0.7, 0.95), (0.9, 0.5), (0.8, 0.1), (0.5, 0.0)]],
    "1": [[(0.25, 0.25), (0.6, 0.0), (0.55, 1.0)]],
    "2": [[(0.1, 0.25), (0.4, 0.0), (0.8, 0.1), (0.8, 0.4), (0.1, 1.0), (0.95, 0.95)]],
    "3": [[(0.15, 0.1), (0.6, 0.0), (0.8, 0.25), (0.4, 0.48), (0.85, 0.7), (0.6, 1.0), (0.1, 0.9)]],
    "4": [[(0.65, 1.0), (0.6, 0.0), (0.05, 0.7), (0.95, 0.7)]],
    "5": [[(0.85, 0.0), (0.25, 0.02), (0.2, 0.45), (0.7, 0.45), (0.85, 0.75), (0.55, 1.0), (0.1, 0.9)]],
    "6": [[(0.75, 0.0), (0.3, 0.3), (0.15, 0.75), (0.45, 1.0), (0.8, 0.8), (0.6, 0.5), (0.2, 0.65)]],
    "7": [[(0.05, 0.05), (0.9, 0.0), (0.45, 0.55), (0.35, 1.0)]],
    "8": [[(0.5, 0.48), (0.15, 0.25), (0.5, 0.0), (0.8, 0.25), (0.5, 0.48), (0.15, 0.75), (0.5, 1.0),
           (0.85, 0.75), (0.5, 0.48)]],
    "9": [[(0.8, 0.35), (0.5, 0.5), (0.2, 0.3), (0.5, 0.0), (0.8, 0.2), (0.7, 0.6), (0.55, 1.0)]],
    "/": [[(0.85, 0.0), (0.15, 1.0)]],
}


def _smooth(points: list[tuple[float, float]], steps: int = 6) -> list[tuple[float, float]]:
    """A Catmull-Rom curve through the points: a pen moves in curves, not corners."""
    if len(points) < 3:
        return points
    pts = [points[0], *points, points[-1]]
    out: list[tuple[float, float]] = []
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        for k in range(steps):
            t = k / steps
            x, y = (0.5 * (2 * p1[j] + (-p0[j] + p2[j]) * t + (2 * p0[j] - 5 * p1[j] + 4 * p2[j] - p3[j]) * t * t
                           + (-p0[j] + 3 * p1[j] - 3 * p2[j] + p3[j]) * t ** 3) for j in (0, 1))
            out.append((x, y))
    out.append(points[-1])
    return out


def handwrite(draw: ImageDraw.ImageDraw, digits: str, x: float, baseline: float, width: float, height: int,
              rng: random.Random, ink: int | tuple[int, int, int] | None = None) -> None:
    """Digits drawn as pen strokes (slanted, uneven size and spacing, blue or black ink) into a blank
    `width` wide ending at `baseline`; the writing grows past the blank when it needs to, as people do."""
    colour = rng.choice(((30, 50, 160), (25, 35, 120), (35, 35, 45)))
    ink = colour if ink is None else ink
    pen = max(2, round(height / 11))
    slant = rng.uniform(0.1, 0.3)
    w = height * rng.uniform(0.5, 0.62)
    total = len(digits) * w * 1.1
    x += max(0.0, (width - total) / 2) + rng.uniform(-6, 6)
    for ch in digits:
        h = height * rng.uniform(0.9, 1.12)
        top = baseline - h + rng.uniform(-4, 4)
        for stroke in _DIGIT_STROKES.get(ch, []):
            pts = [(x + (px_ + rng.uniform(-0.06, 0.06)) * w + (1 - py) * h * slant,
                    top + (py + rng.uniform(-0.04, 0.04)) * h) for px_, py in stroke]
            draw.line(_smooth(pts), fill=ink, width=pen, joint="curve")
        x += w * rng.uniform(1.0, 1.25)


def _wrap(words: list[tuple[str, ImageFont.FreeTypeFont]], width: float,
          first_indent: float) -> list[list[tuple[str, ImageFont.FreeTypeFont]]]:
    lines: list[list[tuple[str, ImageFont.FreeTypeFont]]] = [[]]
    used = first_indent
    for word, f in words:
        w = f.getlength(word)
        space = f.getlength(" ") if lines[-1] else 0
        if lines[-1] and used + space + w > width:
            lines.append([])
            used, space = 0, 0
        lines[-1].append((word, f))
        used += space + w
    return lines


def _size(p: Paragraph, body_points: float) -> float:
    """The paragraph's size, moved by as much as the family's body size differs from 14 pt."""
    return p.size + body_points - 14 if body_points else p.size


def _paragraph_height(p: Paragraph, face: str = "noto-serif", body_points: float = 0.0,
                      line_spacing: float = 1.3) -> int:
    f = font("regular" if p.style == "regular" else p.style, _size(p, body_points), face)
    words = [(w, f) for w in p.text.split()]
    return p.space_before + len(_wrap(words, TEXT_W, px(36) if p.indent else 0)) * round(f.size * line_spacing) + 8


def _paragraph(pages: Pages, p: Paragraph) -> None:
    style = {"regular": "regular", "bold": "bold", "italic": "italic"}[p.style]
    size = _size(p, pages.body_points)
    body_font = pages.font(style, size)
    lead_font = pages.font("bold", size)
    line_h = round(body_font.size * pages.line_spacing)
    pages.y += p.space_before
    if p.align == "center":
        for line in _wrap([(w, body_font) for w in p.text.split()], TEXT_W - 200, 0):
            pages.ensure(line_h)
            pages.y += line_h
            pages.text_center(MARGIN_L + TEXT_W // 2, pages.y, " ".join(w for w, _ in line), body_font)
        pages.y += 8
        return
    if "\t" in p.text:  # label/value pairs on one row at fixed tab stops
        pages.ensure(line_h)
        pages.y += line_h
        x = float(MARGIN_L + (px(36) if p.indent else 0))
        stops = {2: (0.55,), 3: (0.42, 0.72)}
        for k, part in enumerate(p.text.split("\t")):
            if k:  # next tab stop, or just after the previous part when that is too long
                x = max(MARGIN_L + TEXT_W * stops[len(p.text.split("\t"))][k - 1], x + px(14))
            pages.text(x, pages.y, part, body_font)
            x += body_font.getlength(part)
        pages.y += 8
        return
    words = [(w, lead_font if i < p.lead else body_font) for i, w in enumerate(p.text.split())]
    indent = px(36) if p.indent else 0
    lines = _wrap(words, TEXT_W, indent)
    for n, line in enumerate(lines):
        pages.ensure(line_h)
        pages.y += line_h
        x0 = MARGIN_L + (indent if n == 0 else 0)
        widths = [f.getlength(w) for w, f in line]
        gaps = len(line) - 1
        natural = body_font.getlength(" ")
        last = n == len(lines) - 1
        gap: float = natural if last or gaps == 0 or p.align != "justify" else (MARGIN_L + TEXT_W - x0 - sum(widths)) / gaps
        x = float(x0)
        for (word, f), w in zip(line, widths, strict=True):
            pages.text(x, pages.y, word, f, record=False)
            if pages.highlight and word.strip(".,;:") in pages.highlight:
                left, top, right, bottom = f.getbbox(word, anchor="ls")
                pages.highlights.append((len(pages.images) - 1, (x + left, pages.y + top, x + right, pages.y + bottom)))
            x += w + gap
        pages.items[-1].append((pages.y, x0, " ".join(w for w, _ in line)))
    pages.y += 8


Point = tuple[float, float]


def _bezier(p0: Point, p1: Point, p2: Point, p3: Point, steps: int = 24) -> list[Point]:
    out = []
    for i in range(steps + 1):
        t = i / steps
        a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t**3
        out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out


def _signature(pages: Pages, rng: random.Random, cx: int, cy: int) -> None:
    """A handwriting-like flourish: a few joined bezier loops and an underline stroke."""
    ink = rng.choice(((28, 48, 150), (35, 40, 110), (30, 30, 40)))
    width = rng.randint(4, 6)
    x = cx - rng.randint(230, 300)
    y = cy + rng.randint(-20, 20)
    points: list[tuple[float, float]] = []
    for _ in range(rng.randint(5, 7)):
        step = rng.randint(60, 110)
        p3 = (x + step, y + rng.randint(-50, 50))
        p1 = (x + rng.randint(-40, 70), y - rng.randint(90, 200))
        p2 = (p3[0] + rng.randint(-110, 10), p3[1] + rng.randint(60, 170))
        points += _bezier((x, y), p1, p2, p3)
        x, y = p3
    pages.draw.line(points, fill=ink, width=width, joint="curve")
    tail = _bezier((cx - 260, cy + 70), (cx - 80, cy + 40 + rng.randint(0, 40)),
                   (cx + 120, cy + 60), (cx + rng.randint(200, 280), cy + rng.randint(10, 50)))
    pages.draw.line(tail, fill=ink, width=width - 1, joint="curve")


_SIGN_LINE_H, _SIGN_GAP = 66, 360  # the gap leaves room for the signature and the seal


def _signature_height(c: Content) -> int:
    return max(40 + _SIGN_LINE_H * len(c.signer_lines) + _SIGN_GAP + _SIGN_LINE_H + 20, 60 + 50 * len(c.recipients))


def _signature_block(pages: Pages, c: Content, rng: random.Random) -> Seal:
    authority_font = pages.font("bold", 13.5)
    name_font = pages.font("bold", 14)
    small, small_label = pages.font("regular", 11), pages.font("bolditalic", 12)
    pages.ensure(_signature_height(c))
    top = pages.y + 40
    pages.text(MARGIN_L - 40, top + 50, "Nơi nhận:", small_label)
    for i, line in enumerate(c.recipients):
        pages.text(MARGIN_L - 40, top + 100 + 48 * i, line, small)
    y = top
    for line in c.signer_lines:
        y += _SIGN_LINE_H
        pages.text_center(SIGN_CX, y, line, authority_font)
    sig_cy = y + _SIGN_GAP // 2
    _signature(pages, rng, SIGN_CX, sig_cy)
    y += _SIGN_GAP + _SIGN_LINE_H
    pages.text_center(SIGN_CX, y, c.signer_name, name_font)
    pages.y = y + 20
    # Stamped over the left third of the signature, reaching up into the signer's title.
    return Seal(page=len(pages.images) - 1, cx=SIGN_CX - rng.randint(170, 230), cy=sig_cy - rng.randint(0, 30),
                radius=rng.randint(195, 215), text=c.seal_text)


def _seal_mask(seal: Seal, rng: random.Random) -> np.ndarray:
    """Ink coverage (0..1) of a round seal: rings, text around the rim and a star."""
    size = 2 * seal.radius + 20
    mask = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(mask)
    c, r = size / 2, seal.radius
    d.ellipse((c - r, c - r, c + r, c + r), outline=255, width=12)
    r_in = r - 72
    d.ellipse((c - r_in, c - r_in, c + r_in, c + r_in), outline=255, width=4)
    star = [(c + (55 if k % 2 == 0 else 22) * math.sin(math.pi * k / 5),
             c - (55 if k % 2 == 0 else 22) * math.cos(math.pi * k / 5)) for k in range(10)]
    d.polygon(star, fill=255)
    f = fitted("sans-bold", 9, seal.text, int(2 * math.pi * (r - 40) * 0.92))
    text = seal.text + " "
    text_r = r - 44  # centre line of the lettering
    total = f.getlength(text)
    angle = -math.pi / 2 - math.pi * (total / (2 * math.pi * text_r))  # start so the text is centred on top
    for ch in text:
        w = f.getlength(ch)
        mid = angle + (w / 2) / text_r
        half = round(f.size)
        glyph = Image.new("L", (half * 2, half * 2), 0)
        ImageDraw.Draw(glyph).text((half, half), ch, font=f, fill=255, anchor="mm")
        glyph = glyph.rotate(-math.degrees(mid) - 90, resample=Image.Resampling.BICUBIC)
        gx, gy = c + text_r * math.cos(mid), c + text_r * math.sin(mid)
        mask.paste(255, (round(gx - half), round(gy - half)), glyph)
        angle += w / text_r
    coverage = np.asarray(mask, dtype=np.float32) / 255.0
    # Stamp ink is never even: a smooth random field thins it in places.
    blotch = np.asarray(Image.fromarray(
        (np.random.default_rng(rng.randrange(2**32)).random((12, 12)) * 255).astype(np.uint8)
    ).resize((size, size), Image.Resampling.BICUBIC), dtype=np.float32) / 255.0
    return coverage * (0.55 + 0.4 * blotch)


def stamp(image: Image.Image, seal: Seal, rng: random.Random) -> None:
    """Multiply the red seal onto the page: printed text and signature stay visible under it."""
    coverage = _seal_mask(seal, rng) * 0.85
    size = coverage.shape[0]
    x0, y0 = seal.cx - size // 2, seal.cy - size // 2
    box = (x0, y0, x0 + size, y0 + size)
    region = np.asarray(image.crop(box), dtype=np.float32)
    ink = np.array(SEAL_RED, dtype=np.float32) / 255.0
    out = region * (1.0 - coverage[..., None] * (1.0 - ink))
    image.paste(Image.fromarray(out.clip(0, 255).astype(np.uint8)), box[:2])


def text_rows(items: list[tuple[int, int, str]]) -> list[str]:
    """Page text as visual rows: items whose baselines are within 24 px form one row, left to right."""
    rows: list[list[tuple[int, int, str]]] = []
    for item in sorted(items):
        if rows and item[0] - rows[-1][0][0] <= 24:
            rows[-1].append(item)
        else:
            rows.append([item])
    return [" ".join(" ".join(t.split()) for _, _, t in sorted(row, key=lambda i: i[1])) for row in rows]


def _highlight(image: Image.Image, box: tuple[float, float, float, float], rng: random.Random) -> None:
    """A clerk's highlighter stroke over a word: translucent yellow ink multiplied onto the page
    (the print stays legible under it, the way a real highlighter leaves it)."""
    x0, y0, x1, y1 = box
    cy = (y0 + y1) / 2
    half = max((y1 - y0) / 2 + 22, 42)  # at least 1/4 inch tall at 300 dpi: a stroke, not a speck
    left, right = round(x0 - rng.uniform(12, 20)), round(x1 + rng.uniform(12, 20))
    top, bottom = round(cy - half), round(cy + half)
    region = np.asarray(image.crop((left, top, right, bottom)), dtype=np.float32)
    ink = np.array((250, 232, 70), dtype=np.float32) / 255.0
    strength = np.clip(0.85 + np.random.default_rng(rng.randrange(2**32)).normal(0, 0.05, region.shape[:2]), 0, 1)
    out = region * (1.0 - strength[..., None] * (1.0 - ink))
    image.paste(Image.fromarray(out.clip(0, 255).astype(np.uint8)), (left, top))


def incoming_stamp(image: Image.Image, c: Content, rng: random.Random) -> tuple[int, int, int, int]:
    """A receiving office's "CÔNG VĂN ĐẾN" stamp in the top-left corner, its number and date written by
    hand: a number and a date on the page that are not the document's own. Returns its box."""
    assert c.incoming is not None
    number, received = c.incoming
    w, h = 560, 330
    mask = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(mask)
    d.rectangle((4, 4, w - 5, h - 5), outline=255, width=6)
    f_small, f_big = font("sans-bold", 9), font("sans-bold", 14)
    receiver = rng.choice(("VĂN PHÒNG HĐND VÀ UBND", "UBND " + c.header_left[-1], "SỞ TƯ PHÁP"))
    d.text((w / 2, 50), receiver, font=fitted("sans-bold", 9, receiver, w - 40), fill=255, anchor="ms")
    d.text((w / 2, 112), "CÔNG VĂN ĐẾN", font=f_big, fill=255, anchor="ms")
    for i, label in enumerate(("Số:", "Ngày:", "Chuyển:")):
        d.text((30, 180 + 62 * i), label, font=f_small, fill=255, anchor="ls")
    ink = rng.choice(((120, 40, 150), (200, 40, 60), (40, 60, 170)))
    hand = Image.new("L", (w, h), 0)
    hd = ImageDraw.Draw(hand)
    handwrite(hd, number, 150, 180, 250, 50, rng, ink=255)
    handwrite(hd, f"{received.day}/{received.month}/{received.year}", 150, 242, 330, 46, rng, ink=255)
    angle = rng.uniform(-4, 4)
    stamp_cov = np.asarray(mask.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False), dtype=np.float32) / 255
    hand_cov = np.asarray(hand.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False), dtype=np.float32) / 255
    x0, y0 = rng.randint(120, 420), rng.randint(10, 60)
    region = np.asarray(image.crop((x0, y0, x0 + w, y0 + h)), dtype=np.float32)
    stamp_ink = np.array(ink, dtype=np.float32) / 255.0
    pen_ink = np.array((30, 45, 140), dtype=np.float32) / 255.0
    out = region * (1.0 - (stamp_cov * 0.8)[..., None] * (1.0 - stamp_ink))
    out = out * (1.0 - hand_cov[..., None] * (1.0 - pen_ink))
    image.paste(Image.fromarray(out.clip(0, 255).astype(np.uint8)), (x0, y0))
    return x0, y0, x0 + w, y0 + h


def render_pages(c: Content, rng: random.Random) -> tuple[list[Image.Image], list[list[str]], Seal]:
    """Clean 300 dpi pages, their text rows, and where the seal was stamped."""
    pages = Pages(highlight=tuple(w.strip(".,;:") for w in c.highlighted), face=c.face, body_points=c.body_points,
                  line_spacing=c.line_spacing)
    pages.new_page()
    # Handwriting and stamps draw from their own generator: the classic pages keep their bytes.
    hand = random.Random(f"hand|{c.number}|{c.issued}")
    _header(pages, c, hand)
    title_font = pages.font("bold", 14)
    if c.title is not None:
        pages.y += 58
        pages.text_center(MARGIN_L + TEXT_W // 2, pages.y, c.title, pages.fitted("bold", 14, c.title, TEXT_W))
        if c.summary and c.summary_width:  # a long summary on two or three centred lines
            f = pages.font("bold", 14)
            for n, wrapped in enumerate(_wrap([(w, f) for w in c.summary.split()], c.summary_width, 0)):
                pages.y += 74 if n == 0 else 64
                pages.text_center(MARGIN_L + TEXT_W // 2, pages.y, " ".join(word for word, _ in wrapped), f)
            cx = MARGIN_L + TEXT_W // 2
            pages.draw.line((cx - 180, pages.y + 40, cx + 180, pages.y + 40), fill=INK, width=3)
            pages.y += 12
        elif c.summary:
            pages.y += 74
            pages.text_center(MARGIN_L + TEXT_W // 2, pages.y, c.summary,
                              pages.fitted("bold", 14, c.summary, TEXT_W))
            rule = 360
            cx = MARGIN_L + TEXT_W // 2
            pages.draw.line((cx - rule / 2, pages.y + 28, cx + rule / 2, pages.y + 28), fill=INK, width=3)
    if c.recipient_line:
        pages.y += 70
        pages.text_center(MARGIN_L + TEXT_W // 2, pages.y, c.recipient_line,
                          pages.fitted("regular", 14, c.recipient_line, TEXT_W - 100))
    pages.y += round(title_font.size) // 2
    for n, paragraph in enumerate(c.body):
        paragraph = Paragraph(**{**paragraph.__dict__, "text": nfc(paragraph.text)})
        # Decree 30 practice: the signature never stands alone on a page; the last paragraph goes with it.
        if n == len(c.body) - 1 and pages.y + _paragraph_height(paragraph, c.face, c.body_points, c.line_spacing) + _signature_height(c) \
                > PAGE_H - MARGIN_B:
            pages.new_page()
        _paragraph(pages, paragraph)
    seal = _signature_block(pages, c, rng)
    stamp(pages.images[seal.page], seal, rng)
    if c.incoming:
        incoming_stamp(pages.images[0], c, hand)
    if pages.highlights:  # own generator: documents without injected errors keep their bytes
        pen = random.Random(f"highlight|{c.number}")
        for page, box in pages.highlights:
            _highlight(pages.images[page], box, pen)
    return pages.images, [text_rows(items) for items in pages.items], seal
