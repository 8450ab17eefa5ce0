"""The real scanned documents kept in the repository (`tests/data/real-scans/`) with their hand
transcriptions (`truth.json`) and their development / held-out split.

    from core.real_scans import real_documents
    for doc in real_documents("dev"):          # tune on these only
        pages = ocr.load_pages(doc.path)
        doc.truth["document_number"], doc.truth["issue_date"], doc.uncertain

The held-out documents ("heldout") are for the final measurement only: never tune on them and never
look at their OCR output while choosing settings. The transcription conventions are in the folder's
README.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

REAL_SCANS = Path(__file__).resolve().parents[1] / "tests" / "data" / "real-scans"
TRUTH_FILE = REAL_SCANS / "truth.json"

Split = Literal["dev", "heldout"]
SPLITS: tuple[Split, ...] = ("dev", "heldout")


@dataclass(frozen=True)
class RealDocument:
    """One scanned document and its transcribed fields (see README.md for each key)."""

    file: str
    path: Path
    split: Split
    pages: int
    truth: dict[str, Any]

    @property
    def uncertain(self) -> frozenset[str]:
        """Fields the transcriber could not read with certainty: leave them out of exact-match figures."""
        return frozenset(self.truth.get("uncertain", ()))

    @property
    def handwritten(self) -> frozenset[str]:
        return frozenset(self.truth.get("handwritten", ()))

    def field(self, name: str) -> Any:
        return self.truth[name]


@cache
def _load(truth_file: Path) -> dict[str, dict[str, Any]]:
    return json.loads(truth_file.read_text(encoding="utf-8"))


def real_documents(split: Split | None = None, *, truth_file: Path = TRUTH_FILE) -> list[RealDocument]:
    """Every transcribed document (or those of one split), sorted by file name."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    docs = []
    for name, truth in sorted(_load(truth_file).items()):
        if split is None or truth["split"] == split:
            docs.append(RealDocument(name, truth_file.parent / name, truth["split"], truth["pages"], truth))
    return docs


def real_document(file: str, *, truth_file: Path = TRUTH_FILE) -> RealDocument:
    """The document stored as `file` (a name in the folder, e.g. "1.pdf")."""
    for doc in real_documents(truth_file=truth_file):
        if doc.file == file:
            return doc
    raise KeyError(f"{file} is not transcribed in {truth_file}")
