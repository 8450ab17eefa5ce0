"""`sohoa ocr FILE` (text of every page) and `sohoa extract FILE` (Decree-30 fields as JSON)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from core.exitcodes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("ocr", help="nhận dạng chữ (OCR) mọi trang của ảnh hoặc PDF")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--format", choices=("text", "json", "pdf"), default="text",
                   help="text, json (words, boxes, confidences) or pdf (searchable PDF/A-2b, needs --out)")
    p.add_argument("--out", type=Path, metavar="OUT.pdf", help="where to write the searchable PDF (--format pdf)")
    p.add_argument("--lang", default="vie", help="Tesseract language (default vie)")
    p.add_argument("--workers", type=int, default=0, help="parallel tesseract processes (0 = one per core)")
    p.set_defaults(func=_ocr)

    from schemas.document_types import DOCUMENT_TYPES

    e = sub.add_parser("extract", help="trích xuất các trường dữ liệu của văn bản (JSON)")
    e.add_argument("file", type=Path, metavar="FILE")
    e.add_argument("--format", choices=("json",), default="json")
    e.add_argument("--type", dest="document_type", default="auto", choices=("auto", *sorted(DOCUMENT_TYPES)),
                   help="document type code (default: detected from the title)")
    e.add_argument("--lang", default="vie", help="Tesseract language (default vie)")
    e.add_argument("--workers", type=int, default=0, help="parallel tesseract processes (0 = one per core)")
    e.set_defaults(func=_extract)


def _progress(done: int, total: int) -> None:
    if total > 1:
        print(f"trang {done}/{total}…", file=sys.stderr, flush=True)


def _run_ocr(args: argparse.Namespace, keep_pages: list[Any] | None = None) -> Any:  # OcrResult
    import ocr

    pages = ocr.load_pages(args.file)
    if keep_pages is not None:
        keep_pages.extend(pages)
    if len(pages) > 1:
        print(f"{args.file.name}: {len(pages)} trang", file=sys.stderr, flush=True)
    return ocr.ocr_pages(pages, language=args.lang, workers=args.workers, file=args.file.name, progress=_progress)


def _ocr(args: argparse.Namespace) -> int:
    from core.errors import InvalidValue, fault_of

    if args.format == "pdf" and args.out is None:
        raise InvalidValue("thiếu --out: cần đường dẫn tệp PDF kết quả (--format pdf --out KẾT_QUẢ.pdf)")
    pages: list[Any] = []
    result = _run_ocr(args, pages)
    if args.format == "pdf":
        from ocr.pdf import searchable_pdf

        pdf = searchable_pdf(pages, result, title=args.file.stem)
        with fault_of(args.out, OSError, doing="không ghi được tệp"):
            args.out.write_bytes(pdf)
        print(f"{args.out}: PDF/A-2b có lớp chữ, {len(pages)} trang", file=sys.stderr)
        return ExitCode.OK
    if args.format == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        for i, page in enumerate(result.pages):
            if len(result.pages) > 1:
                print(f"--- trang {page.number} ---")
            print(page.text)
            if page.quality.flags:
                print(f"trang {page.number}: cảnh báo chất lượng: {', '.join(page.quality.flags)}", file=sys.stderr)
            if i + 1 < len(result.pages):
                print()
    return ExitCode.OK


def _extract(args: argparse.Namespace) -> int:
    from ocr import extract_fields
    from ocr.calibrate import calibrate

    result = _run_ocr(args)
    extraction = calibrate(extract_fields(result, args.document_type), result)
    print(json.dumps(extraction.to_dict(), ensure_ascii=False, indent=2))
    return ExitCode.OK
