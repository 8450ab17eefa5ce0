"""Result types of the OCR stage (plain frozen dataclasses; JSON round-trip via to_dict/from_dict)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ocr.quality import PageQuality

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0..1
    bbox: Box  # x0, y0, x1, y1 in page pixels
    line: int  # line index on its page, in reading order
    block: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "confidence": round(self.confidence, 4), "bbox": list(self.bbox),
                "line": self.line, "block": self.block}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Word:
        x0, y0, x1, y1 = (int(v) for v in d["bbox"])
        return cls(str(d["text"]), float(d["confidence"]), (x0, y0, x1, y1), int(d["line"]), int(d["block"]))


@dataclass(frozen=True)
class PageText:
    number: int  # 1-based
    width: int
    height: int
    dpi: int
    words: tuple[Word, ...]
    text: str  # lines in reading order joined by "\n"
    mean_confidence: float
    quality: PageQuality
    rotation: int = 0  # degrees clockwise the scan was turned to read it upright (0, 90, 180, 270)

    def lines(self) -> list[tuple[Word, ...]]:
        out: dict[int, list[Word]] = {}
        for w in self.words:
            out.setdefault(w.line, []).append(w)
        return [tuple(ws) for _, ws in sorted(out.items())]

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "width": self.width, "height": self.height, "dpi": self.dpi,
                "text": self.text, "mean_confidence": round(self.mean_confidence, 4),
                "quality": self.quality.to_dict(), "rotation": self.rotation,
                "words": [w.to_dict() for w in self.words]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PageText:
        return cls(number=int(d["number"]), width=int(d["width"]), height=int(d["height"]), dpi=int(d["dpi"]),
                   words=tuple(Word.from_dict(w) for w in d.get("words", ())), text=str(d.get("text", "")),
                   mean_confidence=float(d.get("mean_confidence", 0.0)),
                   quality=PageQuality.from_dict(d["quality"]), rotation=int(d.get("rotation", 0)))


@dataclass(frozen=True)
class OcrResult:
    pages: tuple[PageText, ...]
    engine: str

    def text(self) -> str:
        return "\n\f".join(p.text for p in self.pages)

    @property
    def mean_confidence(self) -> float:
        words = [w.confidence for p in self.pages for w in p.words]
        return sum(words) / len(words) if words else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "pages": [p.to_dict() for p in self.pages]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OcrResult:
        return cls(pages=tuple(PageText.from_dict(p) for p in d["pages"]), engine=str(d.get("engine", "")))
