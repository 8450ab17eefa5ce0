"""Pipeline sub-commands: demo, status, db, run (the stages without Airflow)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from sohoa.exitcodes import ExitCode


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="chạy toàn bộ quy trình trên lô mẫu qua Airflow (embedded defaults)")
    p.add_argument("--home", type=Path, default=None, help="working folder (default ./var)")
    p.add_argument("--count", type=int, default=6, help="number of sample documents")
    p.set_defaults(func=_demo)

    p = sub.add_parser("status", help="documents, objects and outbox counts of the configured DB and store")
    p.add_argument("--format", choices=("json", "text"), default="text")
    p.set_defaults(func=_status)

    p = sub.add_parser("db", help="results database")
    p.add_argument("action", choices=("upgrade",))
    p.set_defaults(func=_db)

    p = sub.add_parser("run", help="run the digitise_batch stages in-process, without Airflow")
    p.add_argument("batch_dir", type=Path)
    p.add_argument("--province", required=True)
    p.add_argument("--agency", required=True)
    p.add_argument("--type", dest="document_type", default="auto")
    p.set_defaults(func=_run)


def _demo(args: argparse.Namespace) -> int:
    from sohoa.demo import run_demo

    return run_demo(args.home, count=args.count)


def _status(args: argparse.Namespace) -> int:
    from sohoa.pipeline import status_summary
    from storage.objects import StoreUnavailable

    try:
        summary = status_summary()
    except StoreUnavailable as exc:
        print(exc)
        return ExitCode.SERVICE_UNAVAILABLE
    if args.format == "json":
        print(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        docs = summary["documents"]
        print(f"Hồ sơ: {docs['total']} — " + ", ".join(f"{k}: {v}" for k, v in sorted(docs["by_status"].items())))
        print("Đối tượng: " + ", ".join(f"{k}: {v}" for k, v in summary["objects"].items()))
        print("Outbox: " + ", ".join(f"{k}: {v}" for k, v in summary["outbox"].items()))
        record = summary.get("system_of_record") or {}
        print(f"Thu hồi: {record.get('revocations', 0)}, biên nhận đồng bộ: {record.get('sync_receipts', 0)}")
        for dead in record.get("dead_letters", []):
            print(f"  Không gửi được {dead['result_code']} ({dead['kind']}, {dead['attempts']} lần): {dead['reason']}")
    return ExitCode.OK


def _db(args: argparse.Namespace) -> int:
    from storage.db import upgrade

    upgrade()
    print("CSDL kết quả đã ở phiên bản mới nhất")
    return ExitCode.OK


def _run(args: argparse.Namespace) -> int:
    from intake import intake_batch
    from sohoa import pipeline

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    report = intake_batch(args.batch_dir, province=args.province, agency_code=args.agency,
                          document_type=args.document_type)
    out = {"intake": report.summary()}
    for stage in (pipeline.ocr_batch, pipeline.extract_batch, pipeline.validate_batch, pipeline.sign_batch,
                  pipeline.store_batch, pipeline.sync_batch):
        out[stage.__name__] = stage(report.batch_id)
    print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    return ExitCode.OK
