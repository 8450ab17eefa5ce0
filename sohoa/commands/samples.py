"""`sohoa samples OUT_DIR`: write a batch of sample scans with ground truth and a manifest."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.exitcodes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("samples", help="tạo lô bản quét mẫu (kèm dữ liệu chuẩn và manifest.csv)")
    p.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    p.add_argument("--count", type=int, default=6, help="number of documents (default 6)")
    p.add_argument("--seed", type=int, default=0, help="same seed, same files (default 0)")
    p.add_argument("--province", default="Khánh Hòa", help="province that issued the results")
    p.add_argument("--agency", default="000.00.15.H34", help="agency code used in dossier codes")
    p.add_argument("--families", default="classic",
                   help="template families, comma-separated, or 'all', 'tuning' (all but the held-out one), "
                        "'held-out' (default: classic)")
    p.add_argument("--awkward", action="store_true",
                   help="lô «khó» (issue 14): giấy tốt lẫn trang trắng, ảnh 70 dpi, trang bị cắt, loại lạ, dòng "
                        "manifest sai, PDF hạn chế quyền, giấy hết hiệu lực, bản quét trùng; ghi vào OUT_DIR/lo "
                        "và bản quét lại vào OUT_DIR/quet-lai (docs/review.md)")
    p.set_defaults(func=_samples)


def _samples(args: argparse.Namespace) -> int:
    from core.errors import InvalidValue
    from samples import DOCUMENT_TYPES, generate_batch, parse_families

    if args.awkward:
        return _awkward(args)
    if args.count < 1:
        raise InvalidValue("--count phải lớn hơn 0")
    families = parse_families(args.families)
    # Beyond the classic template every document type is made, so each family shows all it has.
    types: dict[str, Any] = {"document_types": DOCUMENT_TYPES} if families != ("classic",) else {}
    documents = generate_batch(args.out_dir, count=args.count, seed=args.seed, province=args.province,
                               agency=args.agency, families=families, **types)
    for doc in documents:
        family = "" if doc.family == "classic" else f"{doc.family}\t"
        print(f"{doc.file_name}\t{family}{doc.document_type}\t{doc.damage}\t{doc.pages} trang\t{doc.dpi} dpi")
    print(f"Đã tạo {len(documents)} tài liệu mẫu trong {args.out_dir}")
    return ExitCode.OK


_ENDS_VI = {"signed": "được ký", "needs_review": "chờ rà soát", "quarantined": "cách ly"}


def _awkward(args: argparse.Namespace) -> int:
    from samples.awkward import BATCH_DIR, RESCAN_DIR, write_awkward_batch

    items = write_awkward_batch(args.out_dir, seed=args.seed)
    for item in items:
        why = f"\t{item.reason}" if item.reason else ""
        print(f"{item.file}\t{item.kind}\t{item.agency_code}\t{_ENDS_VI[item.ends]}{why}")
    batch = args.out_dir / BATCH_DIR
    print(f"Đã tạo lô «khó» {len(items)} tệp trong {batch}; bản quét lại trong {args.out_dir / RESCAN_DIR}")
    print(f"Chạy: sohoa run {batch} --province \"Khánh Hòa\" --agency 000.00.15.H34")
    return ExitCode.OK
