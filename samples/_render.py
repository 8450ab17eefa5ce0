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
_FONT_DIR = "/usr/share/fonts/truetype/noto/"
_FONT_FILES = {"regular": "NotoSerif-Regular.ttf", "bold": "NotoSerif-Bold.ttf",
               "italic": "NotoSerif-Italic.ttf", "bolditalic": "NotoSerif-BoldItalic.ttf",
               "sans-bold": "NotoSans-Bold.ttf"}


def px(points: float) -> int:
    return round(points * DPI / 72)


@lru_cache(maxsize=64)
def font(style: str, points: float) -> ImageFont.FreeTypeFont:
    # BASIC layout: text is NFC (precomposed), and output must not depend on whether raqm is present.
    return ImageFont.truetype(_FONT_DIR + _FONT_FILES[style], px(points), layout_engine=ImageFont.Layout.BASIC)


def fitted(style: str, points: float, text: str, width: int) -> ImageFont.FreeTypeFont:
    """The font at `points`, shrunk by half points until `text` fits `width`."""
    while points > 8 and font(style, points).getlength(text) > width:
        points -= 0.5
    return font(style, points)


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

    def new_page(self) -> None:
        self.images.append(Image.new("RGB", (PAGE_W, PAGE_H), (255, 255, 255)))
        self.items.append([])
        number = len(self.images)
        self.y = MARGIN_T
        if number > 1:  # Decree 30: page numbers from page 2, centred in the top margin
            self.text_center(PAGE_W // 2, 150, str(number), font("regular", 13))
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


def _header(pages: Pages, c: Content) -> None:
    top = pages.y + px(13)
    first_style = "bold" if c.header_left_bold_first else "regular"
    left1, left2 = c.header_left
    f1 = fitted(first_style, 13, left1, LEFT_W)
    f2 = fitted("bold", 13, left2, LEFT_W)
    pages.text_center(LEFT_CX, top, left1, f1)
    w2 = pages.text_center(LEFT_CX, top + 62, left2, f2)
    rule = max(w2 * 0.4, 220)  # the short rule under the issuing body
    pages.draw.line((LEFT_CX - rule / 2, top + 84, LEFT_CX + rule / 2, top + 84), fill=INK, width=3)

    motto = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    pages.text_center(RIGHT_CX, top, motto, fitted("bold", 12.5, motto, RIGHT_W))
    w = pages.text_center(RIGHT_CX, top + 62, "Độc lập - Tự do - Hạnh phúc", font("bold", 13.5))
    pages.draw.line((RIGHT_CX - w / 2, top + 84, RIGHT_CX + w / 2, top + 84), fill=INK, width=3)

    row = top + 170
    pages.text_center(LEFT_CX, row, f"Số: {c.number}", fitted("regular", 13, f"Số: {c.number}", LEFT_W))
    place_date = vn_date_line(c.place, c.issued)
    pages.text_center(RIGHT_CX, row, place_date, fitted("italic", 13.5, place_date, RIGHT_W))
    pages.y = row + 150


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


def _paragraph_height(p: Paragraph) -> int:
    f = font("regular" if p.style == "regular" else p.style, p.size)
    words = [(w, f) for w in p.text.split()]
    return p.space_before + len(_wrap(words, TEXT_W, px(36) if p.indent else 0)) * round(f.size * 1.3) + 8


def _paragraph(pages: Pages, p: Paragraph) -> None:
    style = {"regular": "regular", "bold": "bold", "italic": "italic"}[p.style]
    body_font = font(style, p.size)
    lead_font = font("bold", p.size)
    line_h = round(body_font.size * 1.3)
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
    authority_font = font("bold", 13.5)
    name_font = font("bold", 14)
    small, small_label = font("regular", 11), font("bolditalic", 12)
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


def render_pages(c: Content, rng: random.Random) -> tuple[list[Image.Image], list[list[str]], Seal]:
    """Clean 300 dpi pages, their text rows, and where the seal was stamped."""
    pages = Pages(highlight=tuple(w.strip(".,;:") for w in c.highlighted))
    pages.new_page()
    _header(pages, c)
    title_font = font("bold", 14)
    pages.y += 58
    pages.text_center(MARGIN_L + TEXT_W // 2, pages.y, c.title, fitted("bold", 14, c.title, TEXT_W))
    if c.summary:
        pages.y += 74
        pages.text_center(MARGIN_L + TEXT_W // 2, pages.y, c.summary, fitted("bold", 14, c.summary, TEXT_W))
        rule = 360
        cx = MARGIN_L + TEXT_W // 2
        pages.draw.line((cx - rule / 2, pages.y + 28, cx + rule / 2, pages.y + 28), fill=INK, width=3)
    pages.y += round(title_font.size) // 2
    for n, paragraph in enumerate(c.body):
        paragraph = Paragraph(**{**paragraph.__dict__, "text": nfc(paragraph.text)})
        # Decree 30 practice: the signature never stands alone on a page; the last paragraph goes with it.
        if n == len(c.body) - 1 and pages.y + _paragraph_height(paragraph) + _signature_height(c) > PAGE_H - MARGIN_B:
            pages.new_page()
        _paragraph(pages, paragraph)
    seal = _signature_block(pages, c, rng)
    stamp(pages.images[seal.page], seal, rng)
    if pages.highlights:  # own generator: documents without injected errors keep their bytes
        pen = random.Random(f"highlight|{c.number}")
        for page, box in pages.highlights:
            _highlight(pages.images[page], box, pen)
    return pages.images, [text_rows(items) for items in pages.items], seal
