"""What a province's own archive knows: its bodies, their signers (with titles) and their number symbols.

A province's archive repeats the same signers, bodies and symbols thousands of times. Approved
records (a steward's correction included) are condensed into a `Catalogue`, a plain data object;
`apply_catalogue` then uses it on a fresh extraction to score and to repair:

    catalogue = Catalogue.from_records(approved)                 # review.catalogue builds it from the DB
    extraction = apply_catalogue(extract_fields(ocr), catalogue, province="Khánh Hòa")

- Evidence. A value the archive knows gets a passed check: `known_body` (issuing_authority),
  `known_signer` (signer_name: a signer of that body, in that period), `known_title` (signer_title:
  a title that signer signed with), `known_symbol` (document_number: a symbol the body uses). An
  unknown value gets no check at all: a new signer is not implausible (a failed check would cap it).
- Repair. A value one mark or letter from a known one (a signer "Tuân" where "Tuấn" signed 400
  approved results; "QD-UBND" where the body always writes "QĐ-UBND") is repaired to it, only when
  the known value has at least MIN_REPAIR_SUPPORT approvals and no other known value is as close.
  The value read is kept in the field's `provenance["catalogue"]`.
- A repair is not a reading: its confidence is capped at REPAIR_CAP (below auto-approval). Only an
  overwhelming, unambiguous case reaches OVERWHELMING_CONFIDENCE (0.9): see `_overwhelming`.

The catalogue is per province: a document is only ever compared with its own province's archive.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from core.text import fold, nfc
from ocr._text import edit_distance
from ocr.fields import LOW_WORD_CAP, ExtractedField, Extraction

# A known value needs this many approved records behind it before a read value is repaired to it.
MIN_REPAIR_SUPPORT = 3
# A repair is the archive's guess, not what the page shows: below the 0.9 auto-approval band.
REPAIR_CAP = 0.7
# ... unless the archive is overwhelming and unambiguous (see _overwhelming).
OVERWHELMING_SUPPORT = 100
OVERWHELMING_CONFIDENCE = 0.9
# A signer is "of that period" within this margin of the first and last approved result they signed.
PERIOD_MARGIN = timedelta(days=366)
# Distances (characters of the NFC text, a precomposed letter with its marks is one character):
NAME_REPAIR_DISTANCE = 1  # "Tuân" -> "Tuấn", "Hiên" -> "Hiền"
BODY_REPAIR_DISTANCE = 2  # a body's name is long: two slips ("ỦY BAN NHẨN DÂN XẢ …"), only when what was
# read is no body of the administrative catalogue itself
SYMBOL_REPAIR_DISTANCE = 1  # "QD-UBND" -> "QĐ-UBND": marks only


@dataclass(frozen=True)
class ApprovedRecord:
    """The fields of one approved record that the catalogue learns from."""

    province: str
    issuing_authority: str | None
    signer_name: str | None = None
    signer_title: str | None = None
    document_number: str | None = None
    issue_date: str | None = None  # ISO
    signer_authority: str | None = None  # the authority lines ("TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH")


@dataclass
class SignerStats:
    support: int = 0  # approved records this person signed for the body
    first: date | None = None
    last: date | None = None
    titles: Counter[str] = field(default_factory=Counter)

    def add(self, day: date | None, title: str | None) -> None:
        self.support += 1
        if day:
            self.first = min(self.first or day, day)
            self.last = max(self.last or day, day)
        if title:
            self.titles[body_key(title)] += 1

    def in_period(self, day: date | None) -> bool:
        if day is None or self.first is None or self.last is None:
            return True  # nothing to compare: the period does not exclude them
        return self.first - PERIOD_MARGIN <= day <= self.last + PERIOD_MARGIN


@dataclass
class ProvinceCatalogue:
    province: str
    bodies: Counter[str] = field(default_factory=Counter)  # body key -> approved records
    body_names: dict[str, str] = field(default_factory=dict)  # body key -> the body as approved
    signers: dict[str, dict[str, SignerStats]] = field(default_factory=lambda: defaultdict(dict))  # body -> name
    symbols: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))  # body -> symbol
    authorities: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))  # body -> lines

    def signers_of(self, body: str | None) -> dict[str, SignerStats]:
        """The signers of one known body; of the whole province when the body is not known (merged by name)."""
        if body is not None:
            return self.signers.get(body, {})
        merged: dict[str, SignerStats] = {}
        for per_body in self.signers.values():
            for name, st in per_body.items():
                m = merged.setdefault(name, SignerStats())
                m.support += st.support
                m.first = min(filter(None, (m.first, st.first)), default=None)
                m.last = max(filter(None, (m.last, st.last)), default=None)
                m.titles.update(st.titles)
        return merged


@dataclass
class Catalogue:
    """Per-province catalogues of bodies, signers and symbols learnt from approved records."""

    provinces: dict[str, ProvinceCatalogue] = field(default_factory=dict)
    records: int = 0

    @classmethod
    def from_records(cls, records: Iterable[ApprovedRecord]) -> Catalogue:
        cat = cls()
        for r in records:
            cat.add(r)
        return cat

    def add(self, r: ApprovedRecord) -> None:
        body = body_key(r.issuing_authority) if r.issuing_authority else None
        if not body:
            return  # a record without its body teaches nothing attributable
        p = self.provinces.setdefault(province_key(r.province), ProvinceCatalogue(r.province))
        self.records += 1
        p.bodies[body] += 1
        p.body_names.setdefault(body, nfc(" ".join(r.issuing_authority.split())))  # type: ignore[union-attr]
        if r.signer_name and r.signer_name.strip():
            name = name_key(r.signer_name)
            p.signers[body].setdefault(name, SignerStats()).add(_day(r.issue_date), r.signer_title)
        sym = symbol_of(r.document_number)
        if sym:
            p.symbols[body][sym] += 1
        if r.signer_authority and r.signer_authority.strip():
            p.authorities[body][body_key(r.signer_authority)] += 1

    def for_province(self, province: str | None) -> ProvinceCatalogue | None:
        return self.provinces.get(province_key(province)) if province else None


# ---------------------------------------------------------------- normal forms


def province_key(province: str | None) -> str:
    return fold(province or "").strip()


def body_key(text: str | None) -> str:
    """A body as compared: NFC upper case, stray punctuation gone ("ỦY BAN NHÂN DÂN. HUYỆN" is the body
    without the speck), the joint-issuer hyphen kept."""
    t = nfc(text or "").upper().replace("–", "-")
    t = re.sub(r"[^\w\s&\-]", " ", t)
    t = re.sub(r"\s*-\s*", " - ", t)
    return " ".join(t.split())


def name_key(text: str) -> str:
    """A person's name as compared: NFC, words capitalised ("PHAN THANH TUẤN" = "Phan Thanh Tuấn")."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in nfc(text).split())


def symbol_of(number: str | None) -> str | None:
    """The symbol of a number ("QĐ-UBND" of "1234/QĐ-UBND", of "12/2020/QĐ-UBND"): what the body prints."""
    if not number or "/" not in number:
        return None
    parts = [p for p in nfc(number).strip().split("/")[1:] if p]
    parts = [p for p in parts if not re.fullmatch(r"\d{4}", p)]
    return "/".join(parts) or None  # as printed: "QyĐ" (quy định) is not "QYĐ"


_UNIT_KIND = re.compile(r"\b(XÃ|PHƯỜNG|THỊ TRẤN|HUYỆN|QUẬN|THỊ XÃ|THÀNH PHỐ|TỈNH|ĐẶC KHU)\s+")


def _units(body: str) -> set[str]:
    """The administrative units a body's name names, as "<kind> <name>" ("XÃ NINH AN"): a unit kind
    followed by a name of the unit catalogue (core.units), as read (marks included)."""
    from core.units import place_names_by_fold

    out = set()
    for m in _UNIT_KIND.finditer(body):
        words = body[m.end():].split()
        for n in range(min(4, len(words)), 0, -1):
            if fold(" ".join(words[:n])) in place_names_by_fold():
                out.add(f"{m.group(1)} {' '.join(words[:n])}")
                break
    return out


def _day(iso: str | None) -> date | None:
    try:
        return date.fromisoformat(iso) if iso else None
    except ValueError:
        return None


# ---------------------------------------------------------------- choosing a known value


@dataclass(frozen=True)
class Match:
    value: str  # the known value (key form)
    distance: int
    support: int


def _closest(read: str, known: Mapping[str, int], limit: int) -> tuple[Match | None, bool]:
    """The known value nearest to `read` within `limit`, and whether it is unambiguous (no other known
    value as close). Ties are never broken by support: two names one mark away is a person's call."""
    near = sorted((Match(k, edit_distance(read, k), n) for k, n in known.items()), key=lambda m: m.distance)
    near = [m for m in near if m.distance <= limit]
    if not near:
        return None, False
    best = near[0]
    return best, not any(m.distance == best.distance for m in near[1:])


def _overwhelming(read: str, best: Match, known: Mapping[str, int], field_: ExtractedField) -> bool:
    """May a repair reach 0.9? Only when all of these hold:
    - the known value has OVERWHELMING_SUPPORT approved records (hundreds of results signed by "Tuấn");
    - only marks differ (the letters were read right: "Tuân"/"Tuấn" fold alike), one character;
    - no other known value within two characters of the read one (no second "Tuần" to confuse);
    - the extractor had no doubt of its own (the field passed every check, words read above LOW_WORD_CAP).
    A new person whose name is one mark from the body's most frequent signer is then far rarer than
    the slip."""
    if best.support < OVERWHELMING_SUPPORT or best.distance != 1 or fold(read) != fold(best.value):
        return False
    if any(k != best.value and edit_distance(read, k) <= 2 for k in known):
        return False
    return field_.plausible and field_.confidence > LOW_WORD_CAP


def _repaired(f: ExtractedField, value: str, best: Match, read: str, known: Mapping[str, int],
              what: str, checks: dict[str, bool]) -> ExtractedField:
    conf = OVERWHELMING_CONFIDENCE if _overwhelming(read, best, known, f) else min(f.confidence, REPAIR_CAP)
    provenance = {**f.provenance, "catalogue": {"read": f.value, "repaired": what, "support": best.support,
                                                "distance": best.distance}}
    return replace(f, value=value, confidence=conf, checks={**f.checks, **checks}, provenance=provenance)


def _noted(f: ExtractedField, **note: Any) -> ExtractedField:
    return replace(f, provenance={**f.provenance, "catalogue": {**f.provenance.get("catalogue", {}), **note}})


# ---------------------------------------------------------------- the three uses


def _body(f: ExtractedField, p: ProvinceCatalogue) -> tuple[ExtractedField, str | None]:
    """(the issuing body field, the known body's key or None)."""
    if f.value is None or not p.bodies:
        return f, None
    read = body_key(f.value)
    # A repaired body is a known one: the checks of the text read (body_words) no longer apply.
    unread = replace(f, checks={k: v for k, v in f.checks.items() if k != "body_words"})
    if read in p.bodies:
        known = p.body_names[read]
        if nfc(" ".join(f.value.split())) == known:
            return replace(f, checks={**f.checks, "known_body": True}), read
        # The known body's words with a speck between them ("ỦY BAN NHÂN DÂN. HUYỆN …"): its printed form.
        return _repaired(unread, known, Match(read, 0, p.bodies[read]), read, p.bodies, "body",
                         {"known_body": True}), read
    best, unique = _closest(read, p.bodies, BODY_REPAIR_DISTANCE)
    if best is None:
        # The superior body's line lost ("XÃ NGHI PHONG" for "ỦY BAN NHÂN DÂN XÃ NGHI PHONG"): the one
        # known body that ends with what was read, line for line.
        tails = [k for k in p.bodies if k.endswith(" " + read) and len(read.split()) >= 2]
        if len(tails) == 1:
            best, unique = Match(tails[0], len(tails[0]) - len(read), p.bodies[tails[0]]), True
    if best is None or not unique or best.support < MIN_REPAIR_SUPPORT:
        return _noted(f, body="unknown"), None
    if not _units(read) <= _units(best.value):
        # What was read names a unit of the administrative catalogue the known body does not ("XÃ NINH
        # AN" beside a known "XÃ NINH ĐA"): a body the archive has not seen yet, not a slip.
        return _noted(f, body="unknown"), None
    return _repaired(unread, p.body_names[best.value], best, read, p.bodies, "body", {"known_body": True}), best.value


def _signer(name: ExtractedField, title: ExtractedField, body: str | None, day: date | None,
            p: ProvinceCatalogue) -> tuple[ExtractedField, ExtractedField]:
    if name.value is None:
        return name, title
    pool = {k: st for k, st in p.signers_of(body).items() if st.in_period(day)}
    if not pool:
        return name, title
    read = name_key(name.value)
    known = {k: st.support for k, st in pool.items()}
    if read not in pool:
        best, unique = _closest(read, known, NAME_REPAIR_DISTANCE)
        if best is None or not unique or best.support < MIN_REPAIR_SUPPORT:
            return _noted(name, signer="unknown"), title
        value = best.value.upper() if name.value.isupper() else best.value  # as the page prints it
        name = _repaired(name, value, best, read, known, "signer",
                         {"known_signer": True, "personal_name": True, "whole_name": True})
        read = best.value
    else:
        name = replace(name, checks={**name.checks, "known_signer": True})
    if body is None:  # the body was not recognised: a signer of the province, not of that body
        name = _noted(name, signer_scope="province")
    if title.value and body_key(title.value) in pool[read].titles:
        title = replace(title, checks={**title.checks, "known_title": True})
    return name, title


def _number(f: ExtractedField, body: str | None, p: ProvinceCatalogue) -> ExtractedField:
    symbols = p.symbols.get(body) if body else None
    sym = symbol_of(f.value)
    if not symbols or sym is None or f.value is None:
        return f
    if sym in symbols:
        return replace(f, checks={**f.checks, "known_symbol": True})
    best, unique = _closest(sym, symbols, SYMBOL_REPAIR_DISTANCE)
    # Only a slipped mark ("QD" for "QĐ"): "CĐ-UBND" (a công điện) beside a known "QĐ-UBND" is another kind.
    if best is None or not unique or best.support < MIN_REPAIR_SUPPORT or fold(sym) != fold(best.value):
        return _noted(f, symbol="unknown")
    at = f.value.rfind(sym)
    value = f.value[:at] + best.value + f.value[at + len(sym):] if at >= 0 else f.value
    return _repaired(f, value, best, sym, symbols, "symbol", {"known_symbol": True})


def apply_catalogue(extraction: Extraction, catalogue: Catalogue | None, province: str | None) -> Extraction:
    """The extraction scored and repaired against the archive of `province` (unchanged without one)."""
    p = catalogue.for_province(province) if catalogue else None
    if p is None:
        return extraction
    fields = dict(extraction.fields)
    absent = ExtractedField(None, 0.0, None, None)
    body_field, body = _body(fields.get("issuing_authority", absent), p)
    day = _day(fields["issue_date"].value) if "issue_date" in fields else None
    name, title = _signer(fields.get("signer_name", absent), fields.get("signer_title", absent), body, day, p)
    number = _number(fields.get("document_number", absent), body, p)
    authority = fields.get("signer_authority", absent)
    if authority.value and body and body_key(authority.value) in p.authorities.get(body, {}):
        # The body signs with these lines ("TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"): evidence.
        authority = replace(authority, checks={**authority.checks, "known_authority": True})
    for key, value in (("issuing_authority", body_field), ("signer_name", name), ("signer_title", title),
                       ("document_number", number), ("signer_authority", authority)):
        if key in fields:
            fields[key] = value
    return replace(extraction, fields=fields)


def repairs(extraction: Extraction) -> dict[str, tuple[str | None, str | None]]:
    """{field: (value read, value repaired to)} of the repairs apply_catalogue made."""
    out = {}
    for name, f in extraction.fields.items():
        note = f.provenance.get("catalogue", {})
        if "repaired" in note:
            out[name] = (note["read"], f.value)
    return out
