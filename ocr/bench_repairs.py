"""What the word-list corrector (ocr.correct) does to the words it is handed, against a transcription
(printed by `python -m ocr.bench repairs [--generated N]`; a measurement, never a pass/fail test).

The words before correction are the engine's with the correction and every later step turned off
(TesseractEngine options: correct, key_lines, marks, signer_lines, list_items), i.e. the words the pipeline hands
to `ocr.correct.correct`; the words after are that function's output on them. Both are aligned with
the truth text on their folded spelling (marks, đ/d, case and surrounding punctuation ignored): a word
is aligned where the two sequences agree letter for letter once folded, so every aligned word differs
from the printed one by its marks alone. Of the aligned words: `read_wrong` were read with a wrong
mark, `right_to_wrong` were right and the corrector made them wrong, `wrong_to_right` the reverse,
`wrong_to_other_wrong` were wrong and written otherwise wrong; `slips` tabulates the read-wrong words
by kind of slip (read -> printed)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from core.text import fold, nfc
from ocr.correct import _TONES, correct
from ocr.model import PageText, Word

# The engine's options that stop it at the words handed to the corrector: the correction itself and
# the steps after it (second recogniser on key and signer lines and on the list's rows, confidence caps
# under marks).
BEFORE_CORRECTION = {"correct": False, "key_lines": False, "marks": False, "signer_lines": False,
                     "list_items": False}
# The letter shapes besides the tone: a word read with one of them wrong is a slip of its own kind.
_SHAPES = {"\u0302": "hat (â ê ô)", "\u0306": "breve (ă)", "\u031b": "horn (ơ ư)"}


def _core(token: str) -> str:
    """The token without the punctuation around it ("(phố," -> "phố")."""
    return re.sub(r"^\W+|\W+$", "", nfc(token))


def _key(token: str) -> str:
    return re.sub(r"\W", "", fold(nfc(token)))


def _tone(word: str) -> str:
    marks = [_TONES[c] for c in unicodedata.normalize("NFD", word) if c in _TONES]
    return marks[0] if marks else "ngang"


def slip_kind(read: str, printed: str) -> str:
    """How `read` differs from `printed` (same letters once folded): "tone hỏi read for ngang",
    "hat (â ê ô) lost", "đ read for d" …, several joined by "; "."""
    a, b = unicodedata.normalize("NFD", read.lower()), unicodedata.normalize("NFD", printed.lower())
    parts = []
    if _tone(a) != _tone(b):
        parts.append(f"tone {_tone(a)} read for {_tone(b)}")
    for mark, name in _SHAPES.items():
        if a.count(mark) > b.count(mark):
            parts.append(f"{name} read where there is none")
        elif a.count(mark) < b.count(mark):
            parts.append(f"{name} lost")
    if a.count("đ") > b.count("đ"):
        parts.append("đ read for d")
    elif a.count("đ") < b.count("đ"):
        parts.append("d read for đ")
    return "; ".join(parts) or "other"


@dataclass
class RepairTally:
    aligned: int = 0
    read_wrong: int = 0
    right_to_wrong: int = 0
    wrong_to_right: int = 0
    wrong_to_other_wrong: int = 0
    slips: Counter[str] = field(default_factory=Counter)
    # (outcome, read, written, printed) for every aligned word the corrector changed
    changes: list[tuple[str, str, str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"aligned": self.aligned, "read_wrong": self.read_wrong, "right_to_wrong": self.right_to_wrong,
                "wrong_to_right": self.wrong_to_right, "wrong_to_other_wrong": self.wrong_to_other_wrong,
                "slips": dict(self.slips.most_common()),
                "changes": [" | ".join(c) for c in self.changes]}


def tally_repairs(before: Sequence[str], after: Sequence[str], truth: Sequence[str],
                  tally: RepairTally | None = None) -> RepairTally:
    """Count what correction did: `before[i]` and `after[i]` are one word as read and as corrected,
    `truth` the transcription's words in reading order. Added to `tally` when given."""
    if len(before) != len(after):
        raise ValueError("before and after must pair word for word")
    tally = tally if tally is not None else RepairTally()
    pairs = [(_core(b), _core(a)) for b, a in zip(before, after, strict=True) if _key(b)]
    printed = [_core(t) for t in truth if _key(t)]
    matcher = SequenceMatcher(None, [_key(r) for r, _ in pairs], [_key(t) for t in printed], autojunk=False)
    for tag, i1, i2, j1, _ in matcher.get_opcodes():
        if tag != "equal":
            continue
        for k in range(i2 - i1):
            (read, written), want = pairs[i1 + k], printed[j1 + k]
            read_ok, written_ok = read.lower() == want.lower(), written.lower() == want.lower()
            tally.aligned += 1
            if not read_ok:
                tally.read_wrong += 1
                tally.slips[slip_kind(read, want)] += 1
            if read.lower() == written.lower():
                continue
            if read_ok:
                outcome = "right_to_wrong"
                tally.right_to_wrong += 1
            elif written_ok:
                outcome = "wrong_to_right"
                tally.wrong_to_right += 1
            else:
                outcome = "wrong_to_other_wrong"
                tally.wrong_to_other_wrong += 1
            tally.changes.append((outcome, read, written, want))
    return tally


def paired_words(before: Sequence[Word], after: Sequence[Word]) -> tuple[list[str], list[str], int]:
    """The page's words as read and as corrected, line by line; a line whose word count the corrector
    changed (a missed space split, fragments joined) is left out. Returns (before, after, lines left out)."""
    def lines(words: Iterable[Word]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for w in words:
            out.setdefault(w.line, []).append(w.text)
        return out

    read, written = lines(before), lines(after)
    a: list[str] = []
    b: list[str] = []
    skipped = 0
    for n in sorted(read):
        if len(written.get(n, [])) != len(read[n]):
            skipped += 1
            continue
        a += read[n]
        b += written[n]
    return a, b, skipped


def _page_tally(pages: Sequence[PageText], truth: str, tally: RepairTally) -> int:
    before: list[str] = []
    after: list[str] = []
    skipped = 0
    for page in pages:
        a, b, s = paired_words(page.words, correct(page.words))
        before += a
        after += b
        skipped += s
    tally_repairs(before, after, truth.split(), tally)
    return skipped


def measure_repairs(truth_dir: Path, scans_dir: Path, generated: int = 0, **engine_options: Any) -> dict[str, Any]:
    """The tallies on every `<file>-p<N>.truth.txt` page of `truth_dir` and on the first `generated`
    documents of the tuning families (ocr.calibrate's set "dev-families"; never the held-out family)."""
    import tempfile

    from ocr import load_pages, ocr_pages
    from ocr.calibrate import _render, _spec
    from ocr.engine import get_engine
    from samples import HELD_OUT_FAMILY

    engine = get_engine("tesseract", **{**engine_options, **BEFORE_CORRECTION})
    real, skipped = RepairTally(), 0
    pages = []
    for truth_file in sorted(Path(truth_dir).glob("*-p*.truth.txt")):
        stem = truth_file.name[: -len(".truth.txt")]
        name, _, number = stem.rpartition("-p")
        page = next(p for p in load_pages(Path(scans_dir) / f"{name}.pdf") if p.number == int(number))
        result = ocr_pages([page], engine=engine, workers=1)
        skipped += _page_tally(result.pages, truth_file.read_text(encoding="utf-8"), real)
        pages.append(stem)
    out: dict[str, Any] = {"real": {"pages": pages, "lines_left_out": skipped, **real.to_dict()}}
    if generated:
        gen, skipped = RepairTally(), 0
        families: Counter[str] = Counter()
        for i in range(generated):
            spec = _spec("dev-families", i)
            if spec["family"] == HELD_OUT_FAMILY:
                raise AssertionError("the held-out family is never measured here")
            with tempfile.TemporaryDirectory() as tmp:
                doc_pages, truth = _render(spec, Path(tmp))
            result = ocr_pages(doc_pages, engine=engine, workers=1)
            text = "\n".join("\n".join(rows) for rows in truth["text"])
            skipped += _page_tally(result.pages, text, gen)
            families[spec["family"]] += 1
        out["generated"] = {"documents": generated, "families": dict(families), "lines_left_out": skipped,
                            **gen.to_dict()}
        both = RepairTally()
        for t in (real, gen):
            for k in ("aligned", "read_wrong", "right_to_wrong", "wrong_to_right", "wrong_to_other_wrong"):
                setattr(both, k, getattr(both, k) + getattr(t, k))
            both.slips += t.slips
        out["all"] = {k: v for k, v in both.to_dict().items() if k != "changes"}
    return out
