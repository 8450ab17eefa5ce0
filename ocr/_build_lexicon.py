"""Regenerate ocr/data/vi_lexicon.tsv.gz, the syllable and syllable-pair counts used by ocr.correct.

    python -m ocr._build_lexicon ../shared/seeds      # legal texts (Decrees 45/2020, 137/2024 and letters)
    python -m ocr._build_lexicon --words words.txt    # ocr/data/vi_words.txt.gz from pyvi's word list

Sources, all administrative Vietnamese: the given text folders, the administrative-units catalogue
(core/data/*.csv: province, district and commune names), the fixed header and title phrases of
ocr._lexicon and the document types of schemas/. Only well-formed syllables are counted (ocr.correct's
syllable structure). Counts are kept as published text has them; nothing is hand-weighted.
The real-scan ground truth (tests/data/real-scans) is deliberately NOT a source: it measures us."""

from __future__ import annotations

import csv
import gzip
import re
import sys
from collections import Counter
from pathlib import Path

from core.text import nfc
from ocr._lexicon import PHRASES
from ocr.correct import is_syllable

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).with_name("data") / "vi_lexicon.tsv.gz"
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def _texts(folders: list[Path]) -> list[str]:
    texts = []
    for folder in folders:
        texts += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.glob("*.txt"))]
    names: set[str] = set()  # each place name once: 10,000 communes would otherwise swamp "xã"
    for path in sorted((ROOT / "core" / "data").glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                names.update(v for k, v in row.items() if k and "name" in k and v)
    texts += sorted(names)
    texts += _tesseract_words()
    texts += list(PHRASES)
    try:
        from schemas.document_types import DOCUMENT_TYPES
        for t in DOCUMENT_TYPES.values():
            texts += [str(k) for k in t.title_keywords]
    except ImportError:
        pass
    return texts


def _tesseract_words() -> list[str]:
    """The word list inside Debian's vie.traineddata (general Vietnamese), one occurrence each."""
    from ocr._exec import tesseract

    return tesseract.dictionary_words(Path("/usr/share/tesseract-ocr/5/tessdata/vie.traineddata"))


def build(folders: list[Path]) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    uni: Counter[str] = Counter()
    bi: Counter[tuple[str, str]] = Counter()
    for text in _texts(folders):
        text = nfc(text)
        for line in re.split(r"[\n.;:!?()\[\]\"“”]+", text):
            prev = None
            for tok in re.split(r"\s+", line):
                m = _TOKEN.fullmatch(tok.strip(",'‘’*_-–"))
                word = m.group(0).lower() if m else None
                if word and is_syllable(word):
                    uni[word] += 1
                    if prev:
                        bi[(prev, word)] += 1
                    prev = word
                else:
                    prev = None
    return uni, bi


WORDS_OUT = Path(__file__).with_name("data") / "vi_words.txt.gz"
WORDS_HEADER = (
    "# Vietnamese words of two syllables or more, one a line (lower case, NFC): the word list of pyvi 0.1.1\n"
    "# (pyvi/models/words.txt, Copyright (c) 2016 Viet-Trung Tran, MIT License), entries whose syllables\n"
    "# are all well-formed. Used by ocr.correct as evidence that two syllables belong together.\n")


def build_words(word_list: Path) -> int:
    """ocr/data/vi_words.txt.gz from pyvi's models/words.txt (`pip download --no-deps pyvi==0.1.1`,
    unzip the wheel): `python -m ocr._build_lexicon --words .../pyvi/models/words.txt`."""
    words = set()
    for line in word_list.read_text(encoding="utf-8").splitlines():
        parts = nfc(line.strip()).lower().split()
        if len(parts) >= 2 and all(is_syllable(p) for p in parts):
            words.add(" ".join(parts))
    with gzip.open(WORDS_OUT, "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write(WORDS_HEADER)
        fh.writelines(w + "\n" for w in sorted(words))
    print(f"{WORDS_OUT}: {len(words)} words")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--words"] and len(argv) == 2:
        return build_words(Path(argv[1]))
    folders = [Path(a) for a in argv] or [ROOT.parent / "shared" / "seeds"]
    uni, bi = build(folders)
    OUT.parent.mkdir(exist_ok=True)
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as fh:
        for w, n in sorted(uni.items(), key=lambda x: (-x[1], x[0])):
            fh.write(f"{w}\t{n}\n")
        fh.write("\n")
        for (a, b), n in sorted(bi.items(), key=lambda x: (-x[1], x[0])):
            fh.write(f"{a} {b}\t{n}\n")
    print(f"{OUT}: {len(uni)} syllables, {len(bi)} pairs from {sum(uni.values())} tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
