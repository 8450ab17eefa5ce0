"""OCR stage: page images -> text with word boxes and confidences; field extraction (method b).

    result = ocr_file(Path("scan.pdf"))          # every page, one tesseract process per core
    fields = extract_fields(result)              # Decree-30 layout -> {name: ExtractedField}

Never imports Airflow; external programs run only through ocr._exec."""

from __future__ import annotations

from typing import Any

from ocr.engine import OcrEngine, engines, get_engine, register_engine
from ocr.errors import EngineFailed, ImageTooLarge, OcrError, UnreadableInput
from ocr.extract import extract_fields
from ocr.fields import ExtractedField, Extraction
from ocr.model import OcrResult, PageText, Word
from ocr.pages import PageImage, load_pages
from ocr.quality import PageQuality
from ocr.reading import ocr_file, ocr_pages
from ocr.tesseract_engine import TesseractEngine

__all__ = [
    "EngineFailed", "ExtractedField", "Extraction", "ImageTooLarge", "OcrEngine", "OcrError", "OcrResult",
    "PageImage", "PageQuality", "PageText", "UnreadableInput", "Word", "engines", "extract_fields",
    "TesseractEngine", "get_engine", "load_pages", "ocr_file", "ocr_pages", "read_fields", "register_engine",
]


def read_fields(result: OcrResult, document_type: str = "auto", *, catalogue: Any = None,
                province: str | None = None) -> Extraction:
    """The fields of a recognised document as a record keeps them: extracted for the type ("auto":
    the type the page names), repaired from the archive's catalogue (`ocr.catalogue.Catalogue`,
    optional), confidences calibrated (never above the extractor's). The extract stage and a
    steward's change of type both read a record this way."""
    from ocr.calibrate import calibrate
    from ocr.catalogue import apply_catalogue

    return calibrate(apply_catalogue(extract_fields(result, document_type), catalogue, province), result)
