"""CTC decoding constrained to a line grammar: the handwritten digits of a printed blank, read in
the light of the whole line.

The second recogniser (ocr.aster_engine) gives, for every frame of a line strip, a probability for
each of its characters. Its greedy reading of a number line with a handwritten number is often
garbage ("+4/34/UBND-XNTTHN"): the printed label and symbol are there, the handwriting in between
comes out as any character. Read against a grammar instead -- anything, the label "Số", dots or a
colon, one to six DIGITS, dots, "/", anything -- the same frames give a distribution over the
digit strings that can stand in the blank: every alignment of the line with the grammar is summed
(CTC forward algorithm over the grammar's automaton, beam-pruned), grouped by the digits captured.
The printed labels anchor the blank, so no crop of the blank has to be found first.

Labels match case- and mark-insensitively (core.text.fold: "Số", "SỐ", "so" alike), so a label
read with the wrong tone still anchors. A grammar is a tuple of elements:

    Lit("ngày")   the letters, in order (each by its folded form)
    Opt("à")      one optional letter ("ngy" for a "ngày" whose "à" the handwriting covered)
    Fill(".:")    zero or more of these characters (dot leaders, spaces, a colon)
    Digits("day", 1, 2)   one or two digits, captured as "day"
    LETTER        one letter, any
    ANY           zero or more of any character

    posterior = decode(frames, date_grammar())   # {(("day", "18"), ("month", "10"), ...): p, ...}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from core.text import fold


@dataclass(frozen=True)
class Lit:
    text: str


@dataclass(frozen=True)
class Opt:
    text: str  # one character, may be absent


@dataclass(frozen=True)
class Fill:
    chars: str


@dataclass(frozen=True)
class Digits:
    slot: str
    least: int
    most: int


@dataclass(frozen=True)
class Letter:
    pass  # one letter, any (a symbol's first letter after its "/")


@dataclass(frozen=True)
class Any_:
    pass


ANY = Any_()
LETTER = Letter()
Element = Lit | Opt | Fill | Digits | Letter | Any_
Values = tuple[tuple[str, str], ...]  # (slot, digits) in the grammar's order

# Between a printed label and the handwriting: the blank's dots, spaces, a colon.
BLANK_FILL = " .…·_:;,"


@dataclass(frozen=True)
class _Edge:
    labels: frozenset[int] | None  # None: every character
    target: int
    slot: str | None  # a digit edge appends its character to this slot


@dataclass(frozen=True)
class Automaton:
    edges: tuple[tuple[_Edge, ...], ...]  # per state, consuming edges
    eps: tuple[tuple[int, ...], ...]  # per state, epsilon closure (itself included)
    final: int


def _labels_for(char: str, alphabet: Sequence[str]) -> frozenset[int]:
    key = fold(char.lower())
    return frozenset(i for i, c in enumerate(alphabet) if c and fold(c.lower()) == key)


def compile_grammar(grammar: Sequence[Element], alphabet: Sequence[str]) -> Automaton:
    """The grammar as an automaton over the alphabet's indexes (0 is CTC's blank, never an edge)."""
    edges: list[list[_Edge]] = [[]]
    eps: list[list[int]] = [[]]

    def new() -> int:
        edges.append([])
        eps.append([])
        return len(edges) - 1

    state = 0
    for el in grammar:
        if isinstance(el, Lit):
            for ch in el.text:
                nxt = new()
                edges[state].append(_Edge(_labels_for(ch, alphabet), nxt, None))
                state = nxt
        elif isinstance(el, Opt):
            nxt = new()
            edges[state].append(_Edge(_labels_for(el.text, alphabet), nxt, None))
            eps[state].append(nxt)
            state = nxt
        elif isinstance(el, Fill):
            labels = frozenset(i for i, c in enumerate(alphabet) if c and c in el.chars)
            edges[state].append(_Edge(labels, state, None))
        elif isinstance(el, Letter):
            nxt = new()
            edges[state].append(_Edge(frozenset(i for i, c in enumerate(alphabet) if c.isalpha()), nxt, None))
            state = nxt
        elif isinstance(el, Any_):
            edges[state].append(_Edge(None, state, None))
        else:
            digits = frozenset(i for i, c in enumerate(alphabet) if c and c.isdigit())
            for k in range(el.most):
                nxt = new()
                edges[state].append(_Edge(digits, nxt, el.slot))
                if k + 1 > el.least:
                    eps[state].append(-1)  # placeholder: fixed below to the slot's exit
                state = nxt
            exit_ = state
            for s in range(len(eps)):
                eps[s] = [exit_ if e == -1 else e for e in eps[s]]
    final = state

    def closure(s: int) -> tuple[int, ...]:
        seen, todo = {s}, [s]
        while todo:
            for t in eps[todo.pop()]:
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return tuple(sorted(seen))

    return Automaton(tuple(tuple(e) for e in edges), tuple(closure(s) for s in range(len(edges))), final)


def decode(probs: np.ndarray, auto: Automaton, alphabet: Sequence[str], *, beam: int = 256,
           floor: float = 1e-6) -> dict[Values, float]:
    """P(values | line in the grammar): the CTC forward sum of every alignment of the frames
    (`probs`, T x C, each row a distribution, column 0 the blank) with a string of the grammar,
    grouped by the digits its Digits elements captured, normalised over the grammar's strings.
    Characters below `floor` in a frame are not followed; the `beam` likeliest hypotheses are kept
    after each frame. Empty when no string of the grammar fits the frames."""
    slots: dict[str, int] = {}
    for state_edges in auto.edges:
        for e in state_edges:
            if e.slot is not None and e.slot not in slots:
                slots[e.slot] = len(slots)
    n_slots = len(slots)
    # A hypothesis: (state, captured digits per slot, last label emitted or 0 after a blank).
    hyps: dict[tuple[int, tuple[str, ...], int], float] = {(0, ("",) * n_slots, 0): 1.0}
    for row in probs:
        live = [int(k) for k in np.flatnonzero(row >= floor) if k != 0]
        blank = float(row[0])
        nxt: dict[tuple[int, tuple[str, ...], int], float] = {}
        for (state, caps, last), p in hyps.items():
            if blank >= floor:
                key = (state, caps, 0)
                nxt[key] = nxt.get(key, 0.0) + p * blank
            for k in live:
                pk = p * float(row[k])
                if k == last:  # the same character held over another frame
                    key = (state, caps, last)
                    nxt[key] = nxt.get(key, 0.0) + pk
                    continue
                for s in auto.eps[state]:
                    for e in auto.edges[s]:
                        if e.labels is not None and k not in e.labels:
                            continue
                        new_caps = caps
                        if e.slot is not None:
                            i = slots[e.slot]
                            new_caps = (*caps[:i], caps[i] + alphabet[k], *caps[i + 1:])
                        key = (e.target, new_caps, k)
                        nxt[key] = nxt.get(key, 0.0) + pk
        if not nxt:
            return {}
        top = sorted(nxt.items(), key=lambda kv: -kv[1])[:beam]
        total = sum(v for _, v in top)
        hyps = {key: v / total for key, v in top}  # rescaled each frame: only ratios matter
    names = sorted(slots, key=lambda n: slots[n])
    out: dict[Values, float] = {}
    for (state, caps, _), p in hyps.items():
        if auto.final in auto.eps[state]:
            values = tuple((n, caps[slots[n]]) for n in names)
            out[values] = out.get(values, 0.0) + p
    total = sum(out.values())
    return {k: v / total for k, v in sorted(out.items(), key=lambda kv: -kv[1])} if total > 0 else {}


# The number line: "Số" (its tone aside), a colon or dots, the handwritten digits, the symbol's "/"
# and its first letter (a "/" inside the handwriting, "4/35", is not the symbol's).
NUMBER_GRAMMAR: tuple[Element, ...] = (ANY, Lit("s"), Lit("o"), Fill(BLANK_FILL), Digits("number", 1, 6),
                                        Fill(BLANK_FILL), Lit("/"), LETTER, ANY)
# The date line: "ngày" DAY "tháng" MONTH "năm" YEAR, with the letters a handwritten value may cover
# optional ("ngy", "thng"); the year may be printed or written, four digits either way.
DATE_GRAMMAR: tuple[Element, ...] = (ANY, Lit("ng"), Opt("a"), Lit("y"), Fill(BLANK_FILL), Digits("day", 1, 2),
                                      Fill(BLANK_FILL), Lit("th"), Opt("a"), Lit("ng"), Fill(BLANK_FILL),
                                      Digits("month", 1, 2), Fill(BLANK_FILL), Lit("n"), Opt("a"), Lit("m"),
                                      Fill(BLANK_FILL), Digits("year", 4, 4), ANY)


@cache
def compiled(grammar: tuple[Element, ...], alphabet: tuple[str, ...]) -> Automaton:
    return compile_grammar(grammar, alphabet)
