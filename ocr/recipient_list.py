"""The "Nơi nhận:" list read a second time, as a block of its own.

Decree 30 prints the recipients list in small type in the left column, level with the signature
block: the bold italic label "Nơi nhận:" close above the first item, then one item a line ("- Như
Điều 3;", "- UBND tỉnh (b/c);", … "- Lưu: VT, …"). Reading the whole page, Tesseract often takes the
label and the first item (or the whole short list) for one tall line and garbles both ("de Si cấp;"
for "Nơi nhận:" over "- Người được cấp;"), or runs the list into the signature block beside it.
Read alone, cropped to its column, the same pixels read cleanly: the list is a uniform block of
short left-aligned lines (Tesseract --psm 6).

Where the list is comes from the page's first reading, by its form, not by one template, anywhere
below the header (on a continuation page, anywhere: a decision's page 2 often holds only the last
article and the signature block): the label,
else the dashed items and the closing "Lưu" item in the left column, else the left-column lines level
with the signature block's first authority line. The re-read replaces the first reading's words in
the crop only when it read more text with confidence; nothing is re-read when no list is found.
`reread_list` is what the Tesseract engine calls (its `recipient_list` option).

Extraction reads the items from the lines: `same_line` joins the pieces of one item that the page's
reading cut at a wide word gap ("- UBND" … "cấp xã;"), `left_column` keeps the list's half of a line
the page's reading ran into the signature block, and `printed_items` puts back the list's fixed words
(the few bodies and phrases Decree 30 lists name) where a mark or two was misread."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import partial

import cv2
import numpy as np

from core.text import fold
from ocr._exec import tesseract
from ocr.labels import NOI_NHAN_LABEL
from ocr.model import Box, PageText, Word
from ocr.preprocess import Prepared
from ocr.quality import PageQuality
from ocr.segments import has_page_header, segments
from ocr.signature import authority_start
from ocr.tsv import parse_tsv, to_prepared

PSM = 6  # one uniform block of text: the list's lines, left-aligned, one size
# A line with a word below this confidence is read again at other scales, and the surest reading kept.
SURE_WORD = 0.8
OTHER_SCALES = (0.7, 1.4)
_ITEM = re.compile(r"^\s*[-–—+•*]")
_CLOSING = re.compile(r"^\W*luu\s*[:;.]")
# Fixed words of a "Nơi nhận" list misread by one mark or two (Decree 30 lists name the same few
# bodies and phrases): (pattern on the text as read, printed form). A list so repaired is held below
# the signing band by the extractor (a person confirms what was put back, not read).
PRINTED_WORDS = (
    (re.compile(r"\b(Chỉ|Chí|Chị) cục\b"), "Chi cục"), (re.compile(r"\bcục Thu[êềệ]\b"), "cục Thuế"),
    # "Như Điều 3" (the articles' executors), its "Điều" read with another tone or hat, its "Đ" as "D".
    (re.compile(r"\bNh[ưuứừửữự] [ĐD]i[eêềểễếệéèẻẽẹ]u (\d)"), r"Như Điều \1"),
    (re.compile(r"\bNh[ưuứừửữự] tr[eêềểễếệéèẻẽẹ]n\b"), "Như trên"),
    # "(b/c)", "(để b/c)": "báo cáo", the slash read as a letter or lost (or a gap), "c" as "e", "©", "C".
    # "(để b/c)" with "để" read under another mark ("đế", "đề", "dể").
    (re.compile(r"\((?:đ|d)[eéèẻẽẹêếềểễệ] (?=b/c\))"), "(để "),
    (re.compile(r"\s?\((để )?(?:[hbB6]{1,2}\s?[/íìil1|\\]?|[/íìil1|])\s?[cC€eéê©ç]\s?[)}\]][:.,]?(?=;|$)"), r" (\1b/c)"),
    # "CT, các PCT" (the chairman and the vice-chairmen): "các" read without its mark, "CT" as "CE".
    (re.compile(r"\bC[TEFI1lÍ], c[aáàảãạ]c PCT\b"), "CT, các PCT"),
    # "UBND tỉnh", "HĐND huyện", "UBND cấp xã": after a body's abbreviation, a word with the letters
    # of a unit kind (or "cấp") is that word, its mark misread ("UBND tính").
    *((re.compile(rf"(?<=\b(?:UBND|HĐND) ){w}\b"), printed) for w, printed in (
        ("t[iìíỉĩị]nh", "tỉnh"), ("huy[eêềếểễệ]n", "huyện"), ("x[aàáảãạ]", "xã"), ("ph[uư][oơờớởỡợ]ng", "phường"),
        ("qu[aàáảãạ]n", "quận"), ("c[aăâấầẩẫậắằẳẵặáàảãạ]p", "cấp"))),
    (re.compile(r"(?<=\bcấp )x[aàáảãạ]\b"), "xã"), (re.compile(r"\bChủ hộ [Kk]inh [Dd]oanh\b"), "Chủ hộ kinh doanh"),
    # The file copy, "Lưu: VT, <drafting unit>" (Decree 30 Appendix I): its colon read as ";" or ",",
    # "VT" (văn thư) read as "VĨ"/"V1"/"YT".
    # Its "L" lost in a bracket or a speck ("[.ưu: V1").
    (re.compile(r"(?:^|(?<=; ))(?:\S{1,2})?ưu\s*[:;,.]\s*(?=[VY])"), "Lưu: "),
    (re.compile(r"(?:^|(?<=; ))Lưu\s*[;,.]\s*(?=[VY])"), "Lưu: "), (re.compile(r"(?<=Lưu: )(?:V[ĨĩIl1]|Y[TĨ])\b"), "VT"),
    # "Lưu: VT, <unit>" closes the list: the comma before the unit read as ";", ":" or lost.
    (re.compile(r"(?<=Lưu: VT)\s*[,;:.]?\s*(?=[A-ZĐ][A-Za-zĐ]{0,9}\.?$)"), ", "),
)


# The abbreviations lists print for bodies and their heads (Decree 30 Appendix I and common practice):
# "UBND tỉnh", "TT HĐND", "CT, các PCT UBND", "UBMTTQ", "Lưu: VT". A token of an item that is none of
# them, nor a Vietnamese syllable, and one or two letters off exactly one of them, is that one
# misread: "UBXD", "LUBXD" for "UBND", "PCF" for "PCT".
LIST_ABBREVIATIONS = ("UBND", "HĐND", "UBMTTQVN", "UBMTTQ", "MTTQ", "PCT", "VPUB", "BCĐ", "ĐBQH", "TTĐT",
                      "BCH", "HĐTĐKT", "UBKT", "UBTV", "BTV", "TTHĐND", "TTr", "KBNN", "CT", "VT", "TT", "VP",
                      "TU", "TW", "HU", "TP", "PC")
# The drafting unit's code after "Lưu: VT," (Decree 30 Appendix I): the offices of a people's committee
# and a department, as their documents abbreviate them.
OFFICE_CODES = ("TNMT", "LĐTBXH", "VHTT", "TCKH", "VHXH", "KGVX", "GDĐT", "KTHT", "QLĐT", "NCPC", "TCHC",
                "KTTH", "KTN", "NNPTNT", "TCCB", "TTHC", "XDCB", "QLĐĐ", "VHTTDL", "TTTT", "KHĐT", "KHTC",
                "HCTH", "TĐKT", "HT")  # HT: hộ tịch, a commune's civil-status office
# Lower-case words the lists print ("Như trên", "UBND cấp xã", "Chi cục Thuế …", "Người được cấp"):
# a token of an item that is no Vietnamese syllable and one letter off exactly one of them is it.
LIST_SYLLABLES = ("như", "trên", "điều", "tỉnh", "huyện", "xã", "cấp", "các", "lưu", "thuế", "cục", "chi",
                  "người", "được", "chủ", "hộ", "kinh", "doanh", "để", "báo", "cáo", "phường", "quận", "thành",
                  "phố", "thị", "trấn", "sở", "phòng", "ban", "văn", "thường", "trực", "tịch", "phó", "đơn",
                  "vị", "liên", "quan", "cơ", "gửi", "bản", "điện", "tử", "thông", "tin", "cổng", "trang")
# Other abbreviations lists and addressees print, never taken for a misread of the ones above
# ("Trường THPT" is no "TTĐT").
_OTHER_ABBREVIATIONS = ("THPT", "THCS", "GD&ĐT", "TNHH", "MTV", "HTX", "BHXH", "BHYT", "HLHPN", "LĐLĐ", "ĐTN",
                        "CCB", "HND", "TTYT", "KCN", "PTNT", "KHCN", "CNTT", "BQL", "BCA", "BQP", "BTC", "BXD",
                        "VKSND", "TAND", "THADS", "QLTT", "CSGT", "TTHC", "ĐKKD", "GCN", "SGDĐT", "PGDĐT")
_KNOWN = frozenset(fold(a) for a in (*LIST_ABBREVIATIONS, *OFFICE_CODES, *_OTHER_ABBREVIATIONS))
_TOKEN = re.compile(r"[^\W\d_]+")


def _nearest(token: str, forms: Sequence[str], most: int) -> tuple[str, int] | None:
    """The one form (folded comparison) at the least edit distance from `token`, within `most`
    (one letter for a three-letter form), or None when there is none or two are as near."""
    from ocr._text import edit_distance

    t = fold(token)
    # Nearest first; of two as near, the one as long as the token ("PCF": "PCT", not "PC").
    scored = sorted((edit_distance(t, fold(f)), abs(len(fold(f)) - len(t)), f) for f in forms
                    if abs(len(fold(f)) - len(t)) <= most and (len(f) > 3 or len(t) <= 3))
    if not scored:
        return None
    d, gap, form = scored[0]
    limit = 1 if min(len(t), len(fold(form))) <= 3 else most
    if d > limit or (len(scored) > 1 and scored[1][:2] == (d, gap) and fold(scored[1][2]) != fold(form)):
        return None
    if d == 2 and _common(t, fold(form)) < len(fold(form)) - 1:
        return None  # two letters off only with all but one of the form's letters read, in order
    return form, d


def _common(a: str, b: str) -> int:
    """The length of the longest common subsequence of `a` and `b`."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def _abbreviation_fixed(token: str, forms: Sequence[str]) -> str | None:
    """An upper-case token of an item put back as the list abbreviation it is a misread of; a token
    run together from two ("PCFUBXND") as both."""
    if token in forms:
        return None
    same = [f for f in forms if fold(f) == fold(token)]
    if same:  # the letters of one, a mark misread ("LDTBXH", "HDND")
        return same[0] if len(same) == 1 else None
    if fold(token) in _KNOWN:
        return None
    near = _nearest(token, forms, 2)
    if near is not None and near[1] > 0:
        return near[0]
    if near is None and len(token) >= 6:
        splits = []
        for i in range(3, len(token) - 2):
            a, b = _nearest(token[:i], forms, 1), _nearest(token[i:], forms, 1)
            if a and b and a[1] + b[1] <= 2:
                splits.append((a[1] + b[1], f"{a[0]} {b[0]}"))
        if len(splits) == 1 or (len(splits) > 1 and sorted(splits)[0][0] < sorted(splits)[1][0]):
            return sorted(splits)[0][1]
    return None


def _token_fixed(m: re.Match[str], filing: bool) -> str:
    from ocr.correct import is_syllable

    token = m.group(0)
    if token.isupper() and len(token) >= 3:
        # "Lưu: VT, <code>": after the file copy's "VT" (two letters, never changed), the office's code.
        return _abbreviation_fixed(token, OFFICE_CODES if filing else LIST_ABBREVIATIONS) or token
    if token.islower() and len(token) >= 3 and not is_syllable(token):
        near = _nearest(token, LIST_SYLLABLES, 1)
        return near[0] if near else token
    return token


def list_words_fixed(value: str) -> str:
    """`value` (items joined by "; ") with tokens that are no word put back as the list's printed
    abbreviations and words (LIST_ABBREVIATIONS; OFFICE_CODES after "Lưu: VT,"; LIST_SYLLABLES).
    A token that is a syllable or a known abbreviation is never changed."""
    # An abbreviation run into the next word ("UBXDtỉnh"), a word into its bracket ("tỉnh(b/c)").
    value = re.sub(r"(?<=[A-ZĐ]{3})(?=[a-zđà-ỹ]{2,})|(?<=[^\W\d_]{2})(?=\()", " ", value)
    items = []
    for item in value.split("; "):
        filing = bool(re.match(r"^\W{0,2}\w?ưu\b", item, re.IGNORECASE))  # "Lưu: VT, …", its "L" a speck or lost
        items.append(_TOKEN.sub(partial(_token_fixed, filing=filing), item))
    return "; ".join(items)


# Phrases the lists print (Decree 30 Appendix I, and the results' own lists): an item whose words
# fold to one of them is it, each word's marks misread ("Ngưởi được cắp").
LIST_PHRASES = ("Như Điều", "Như trên", "Người được cấp", "Chủ hộ kinh doanh", "Chi cục Thuế", "UBND cấp xã",
                "UBND tỉnh", "UBND huyện", "UBND xã", "CT, các PCT", "Thường trực", "để báo cáo", "Lưu: VT,")
_PHRASE_KEYS = sorted(((fold(p).split(), p.split()) for p in LIST_PHRASES), key=lambda k: -len(k[0]))


def list_phrases_fixed(value: str) -> str:
    """`value` (items joined by "; ") with runs of words that fold to a LIST_PHRASES phrase in its print."""
    items = []
    for item in value.split("; "):
        tokens = item.split()
        folded = [fold(t) for t in tokens]
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for key, printed in _PHRASE_KEYS:
                if folded[i:i + len(key)] == key:
                    out += printed
                    i += len(key)
                    break
            else:
                out.append(tokens[i])
                i += 1
        items.append(" ".join(out))
    return "; ".join(items)


def printed_items(value: str) -> str:
    """`value` (items joined by "; ") with the list's fixed words in their printed form."""
    # Twice: a phrase put back ("Lưu: VT, " from "[.ưu: V1; ") shows which words are an office's code.
    for _ in range(2):
        value = list_phrases_fixed(list_words_fixed(value))
        for pattern, printed in PRINTED_WORDS:
            value = pattern.sub(printed, value)
    return value


def _segments(words: Sequence[Word], width: int, height: int) -> list:

    page = PageText(number=2, width=width, height=height, dpi=300, words=tuple(words), text="",
                    mean_confidence=0.0, quality=PageQuality(dpi=300, blur=0.0, contrast=0.0, ink_ratio=0.0,
                                                             blank=not words))
    return segments(page)  # page 2: no header column split


def left_column(words: Sequence[Word], width: int) -> list[Word]:
    """The words of a list line in the list's column, the left half of the page (Decree 30 sets the
    list and the signature block side by side, each in its half): a line the page's reading ran
    across both ("- Như Điều 3;", specks of the seal, "KT. CHỦ TỊCH" level with it) loses what lies
    in the right half."""
    return [w for w in sorted(words, key=lambda w: w.bbox[0]) if (w.bbox[0] + w.bbox[2]) / 2 < 0.5 * width]


def find_list(words: Sequence[Word], width: int, height: int) -> Box | None:
    """The box (page pixels) of the recipients list and the empty column margin around it, or None.

    The crop runs from the page's left edge to the gutter before the signature block (or the middle
    of the page), from above the list's first line (room for a label the first reading lost) to
    below its last."""

    segs = [s for s in _segments(words, width, height) if s.text.strip()]
    if not segs:
        return None
    below_header = [s for s in segs if s.top > _header_end(segs, height)]
    left = sorted((s for s in below_header if s.box[2] < 0.5 * width), key=lambda s: s.top)
    if not left:
        return None
    authority = sorted((s for s in below_header if s.box[0] > 0.4 * width and authority_start(s)), key=lambda s: s.top)
    seed = next((s for s in left if NOI_NHAN_LABEL.match(s.folded)), None)
    if seed is None:
        # Dashed items the first reading found, the list's closing item among them or beside a signature block.
        items = [s for s in left if _ITEM.match(s.text) or _CLOSING.match(s.folded)]
        for s in items:
            run = [x for x in items if 0 <= x.top - s.top < 8 * s.line_height]
            beside = any(abs(a.top - s.top) < 6 * s.line_height for a in authority)
            if len(run) >= 2 and (beside or any(_CLOSING.match(x.folded) for x in run)):
                seed = s
                break
    if seed is None and authority:
        # The list level with the signature block's first line, however badly it was read.
        top = authority[0].top
        seed = next((s for s in left if abs(s.top - top) < 2 * authority[0].line_height), None)
    if seed is None:
        return None
    lh = max(seed.line_height, 8)
    # The list's lines: down from the seed while they follow one another in the left column; a line
    # reaching past the middle of the page is body text, not the list.
    run = [seed]
    for s in left:
        if s.top <= seed.top or s.top - run[-1].bottom > 2.0 * lh:
            continue
        run.append(s)
    run = [s for s in run if not _wide(s, width)]
    if not run:
        return None
    above = [s for s in segs if s.bottom <= seed.top + 0.3 * lh and s.bottom > seed.top - 4 * lh]
    top = max([seed.top - 3.2 * lh, *(s.bottom + 0.2 * lh for s in above if _wide(s, width))])
    bottom = max(s.bottom for s in run) + 0.8 * lh
    x1 = max(s.box[2] for s in run)
    lefts_beside = [s.box[0] for s in segs if s.box[0] > x1 and top <= (s.top + s.bottom) / 2 <= bottom]
    cut = min([0.5 * width, *(x - 0.3 * lh for x in lefts_beside)])
    if cut <= x1:
        return None
    return (0, max(0, round(top)), round(cut), min(height, round(bottom)))


def _header_end(segs: Sequence, height: int) -> float:
    """Where the list may start: under a first page's header (its top fifth), or right under a
    continuation page's page number."""

    return 0.2 * height if has_page_header(segs, height) else 0.03 * height


def _wide(s: object, width: int) -> bool:
    return s.box[2] > 0.55 * width  # type: ignore[attr-defined]


def _weight(words: Sequence[Word]) -> float:
    """Letters and digits read, weighted by confidence."""
    return sum(w.confidence * sum(c.isalnum() for c in w.text) for w in words)


def _inside(w: Word, box: Box) -> bool:
    x, y = (w.bbox[0] + w.bbox[2]) / 2, (w.bbox[1] + w.bbox[3]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _read(crop: np.ndarray, scale: float, *, dpi: int, language: str, timeout_s: float,
          file: str) -> list[list[Word]]:
    """The crop's lines as read at `scale`, word boxes in the crop's own pixels."""

    img = crop if scale == 1.0 else cv2.resize(crop, None, fx=scale, fy=scale,
                                                interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    tsv = tesseract.run_gray(img, ["-l", language, "--psm", str(PSM), "--dpi", str(round(dpi * scale)),
                                   "-c", "preserve_interword_spaces=0", "tsv"], timeout_s=timeout_s, file=file,
                             prefix="sohoa-list-")
    read, _ = parse_tsv(tsv, None, img.shape[1], img.shape[0])
    lines: dict[int, list[Word]] = {}
    for wd in read:
        b = wd.bbox
        box = (round(b[0] / scale), round(b[1] / scale), round(b[2] / scale), round(b[3] / scale))
        lines.setdefault(wd.line, []).append(replace(wd, bbox=box))
    return list(lines.values())


def _specks(line: Sequence[Word]) -> int:
    """Words that are no text: a lone letter or mark ("Ị", "'", "~-"); a dash opening an item is text."""
    return sum(1 for w in line if w.text not in ("-", "–", "+")
               and sum(c.isalpha() for c in w.text) < 2 and not any(c.isdigit() for c in w.text))


def _line_score(line: Sequence[Word], whole: bool = True) -> tuple[bool, int, int, float]:
    """A whole line (not a piece of one) read with every word sure beats one with a doubtful word;
    then more letters read with confidence; then fewer specks; then the weakest word's confidence."""
    lettered = [w for w in line if any(c.isalnum() for c in w.text)] or list(line)
    weakest = min(w.confidence for w in lettered)
    return whole and weakest >= SURE_WORD, round(_weight(line)), -_specks(line), weakest


def _width(line: Sequence[Word]) -> int:
    """The width of a line's text, specks left and right of it aside."""
    core = [w for w in line if sum(c.isalnum() for c in w.text) >= 2] or list(line)
    return max(w.bbox[2] for w in core) - min(w.bbox[0] for w in core)


def _span(line: Sequence[Word]) -> tuple[int, int]:
    return min(w.bbox[1] for w in line), max(w.bbox[3] for w in line)


def _overlap(a: Sequence[Word], b: Sequence[Word]) -> bool:
    """One printed line read twice: either reading's middle lies within the other's span (lines of
    small type overlap their neighbours by their marks, never to their middles)."""
    (a0, a1), (b0, b1) = _span(a), _span(b)
    return b0 <= (a0 + a1) / 2 <= b1 or a0 <= (b0 + b1) / 2 <= a1


def _best_lines(readings: list[list[list[Word]]]) -> list[list[Word]]:
    """Per printed line, the surest of its readings: Tesseract misreads a clean line at one scale
    and reads it right at another ("- Lưu: VT, TCKH." as "5iLLU)2 VI; LC"), and runs two lines
    into one garbled line in one reading but not in another. Lines are taken surest first; a line
    overlapping one already taken is another reading of it."""
    lines = [ln for r in readings for ln in r if ln]
    # A sure piece of a line ("Người" of "- Người được cấp;") must not beat the whole line's reading.
    widest = [max(_width(o) for o in lines if _overlap(ln, o)) for ln in lines]
    scored = sorted(zip(lines, widest, strict=True), key=lambda p: _line_score(p[0], _width(p[0]) >= 0.85 * p[1]),
                    reverse=True)
    taken: list[list[Word]] = []
    for line, _ in scored:
        if not any(_overlap(line, t) for t in taken):
            taken.append(line)
    return sorted(taken, key=lambda ln: _span(ln)[0])


def reread_list(words: list[Word], prep: Prepared, width: int, height: int, *, dpi: int, language: str = "vie",
                timeout_s: float = 60, file: str = "<page>") -> list[Word]:
    """`words` with the recipients list's lines each taken from the surest of its readings: the
    page's, and its crop's alone at a few scales. Unchanged when the page has no list. `dpi`: the
    prepared image's resolution."""

    box = find_list(words, width, height)
    if box is None:
        return words
    h, w = prep.gray.shape
    x0, y0, x1, y1 = to_prepared(prep, box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 20 or y1 - y0 < 20:
        return words
    margin = 20
    crop = cv2.copyMakeBorder(prep.gray[y0:y1, x0:x1], margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=255)
    def read_at(scale: float) -> list[list[Word]]:
        return _read(crop, scale, dpi=dpi, language=language, timeout_s=timeout_s, file=file)

    crop_readings = [read_at(1.0)]
    if any(_line_score(ln)[3] < SURE_WORD for ln in crop_readings[0]):
        crop_readings += [read_at(s) for s in OTHER_SCALES]
    cw = crop.shape[1]
    base_line = 1 + max((wd.line for wd in words), default=0)
    block = 1 + max((wd.block for wd in words), default=0)
    region = (box[0], box[1], box[2], box[3])
    # A line of text crossing the gutter (a centred title or summary line, body text) is no line of
    # the list: it keeps the page's reading whole, and no reading of the crop stands in for its left part.
    across = [s for s in _segments(words, width, height)
              if s.box[0] < box[2] < s.box[2] and s.bottom > box[1] and s.top < box[3]]
    kept = {id(wd) for s in across for wd in s.words}
    old = [wd for wd in words if _inside(wd, region) and id(wd) not in kept]
    first: dict[int, list[Word]] = {}
    for wd in old:
        first.setdefault(wd.line, []).append(wd)
    readings = [list(first.values())]
    n = 0
    for reading in crop_readings:
        lines = []
        for ln in reading:
            if max(wd.bbox[2] for wd in ln) >= cw - margin - 2:
                continue  # a line cut at the crop's edge: not a reading of it
            moved = [replace(wd, bbox=prep.to_page((wd.bbox[0] - margin + x0, wd.bbox[1] - margin + y0,
                                                    wd.bbox[2] - margin + x0, wd.bbox[3] - margin + y0), width, height),
                             line=base_line + n, block=block) for wd in ln]
            n += 1
            if all(_inside(wd, region) for wd in moved) and not any(_overlap(moved, list(s.words)) for s in across):
                lines.append(moved)
        readings.append(lines)
    best = _best_lines(readings)
    return [wd for wd in words if not _inside(wd, region) or id(wd) in kept] + [wd for ln in best for wd in ln]
