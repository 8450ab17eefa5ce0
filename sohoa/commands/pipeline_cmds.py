"""Pipeline sub-commands: demo, status, db, run (the stages without Airflow)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from core.exitcodes import ExitCode


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
    p.add_argument("batch_dir", help="thư mục lô, hoặc lô trên kho đối tượng: s3://<bucket tiếp nhận>/<tiền tố>/")
    p.add_argument("--province", required=True)
    p.add_argument("--agency", required=True)
    p.add_argument("--type", dest="document_type", default="auto")
    p.add_argument("--actor", default=None, help="người thực hiện, ghi vào nhật ký kiểm tra của mọi công đoạn "
                                                 "(mặc định: SOHOA_ACTOR, rồi người dùng hệ điều hành)")
    p.set_defaults(func=_run)

    p = sub.add_parser("retry", help="chạy lại các hồ sơ bị lỗi của một lô (mọi công đoạn, hoặc từ --stage)")
    p.add_argument("batch_id", type=int, help="số lô (in trong kết quả của `sohoa run`)")
    p.add_argument("--stage", choices=("ocr", "extract", "validate", "sign", "store"), default=None,
                   help="chỉ thử lại hồ sơ lỗi ở công đoạn này, rồi chạy tiếp các công đoạn sau")
    p.add_argument("--actor", default=None, help="người thực hiện (mặc định: SOHOA_ACTOR, rồi người dùng hệ điều hành)")
    p.set_defaults(func=_retry)


def _demo(args: argparse.Namespace) -> int:
    from sohoa.demo import run_demo

    return run_demo(args.home, count=args.count)


def _status(args: argparse.Namespace) -> int:
    from sohoa.pipeline import status_summary
    from storage.db import upgrade

    upgrade()  # a fresh SOHOA_HOME shows zeros, not "no such table"
    summary = status_summary()
    if args.format == "json":
        print(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        from core.text import vn_number
        from storage.models import STATUS_VI

        outbox_vi = {"pending": "chờ gửi", "delivered": "đã gửi", "dead": "không gửi được",
                     "superseded": "bỏ qua (đã thu hồi)"}
        docs = summary["documents"]
        print(f"Hồ sơ: {vn_number(docs['total'])} — " + ", ".join(
            f"{STATUS_VI.get(k, k)}: {vn_number(v)}" for k, v in sorted(docs["by_status"].items())))
        print("Đối tượng lưu trữ (theo kho): " + ", ".join(  # {"error": …} when the store is unreachable
            f"{k}: {vn_number(v) if isinstance(v, int) else v}" for k, v in summary["objects"].items()))
        print("Hàng đợi đồng bộ: " + ", ".join(f"{outbox_vi.get(k, k)}: {vn_number(v)}"
                                               for k, v in summary["outbox"].items()))
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


# Our packages' progress lines; everything else (Great Expectations, alembic, botocore, matplotlib …)
# speaks only when something is wrong. SOHOA_LOG_LEVEL=DEBUG brings everything back.
_OUR_LOGGERS = ("sohoa", "intake", "ocr", "schemas", "review", "signing", "storage", "sync", "roadmap", "core")


def _log_progress() -> None:
    """Progress lines on stderr (stdout carries the JSON summary); third-party chatter is not progress."""
    import os
    import warnings

    wanted = os.environ.get("SOHOA_LOG_LEVEL", "").upper()
    if wanted == "DEBUG":
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
        logging.getLogger().setLevel(logging.DEBUG)  # basicConfig does nothing where a handler exists
        return
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger().setLevel(logging.WARNING)
    for name in _OUR_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    for noisy in ("great_expectations", "alembic", "botocore", "urllib3", "matplotlib", "PIL", "pyhanko"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="great_expectations")  # its deprecation notices, once per run


class _StageProgress:
    """`sohoa run` / `retry` progress on stderr: a bar on a terminal (rich), one line per stage
    otherwise (logs, CI); stdout keeps the JSON summary only."""

    def __init__(self, batch_id: int) -> None:
        from rich.console import Console

        self.batch_id = batch_id
        self.console = Console(stderr=True)
        self.progress: Any = None
        self.task: Any = None
        self.started = 0.0

    def __enter__(self) -> _StageProgress:
        import time

        self.started = time.monotonic()
        if self.console.is_terminal:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(TextColumn("[bold]Lô {task.fields[batch]}[/] {task.description}"), BarColumn(),
                                     TextColumn("{task.completed}/{task.total} bước"), TimeElapsedColumn(),
                                     console=self.console)
            self.progress.__enter__()
        return self

    def __call__(self, name: str, number: int, total: int) -> None:
        from storage.models import STAGE_VI

        label = STAGE_VI.get(name, name)
        if self.progress is None:
            print(f"Lô {self.batch_id}: bước {number}/{total} — {label}…", file=sys.stderr, flush=True)
            return
        if self.task is None:
            self.task = self.progress.add_task(label, total=total, batch=self.batch_id)
        self.progress.update(self.task, description=label, completed=number - 1)

    def __exit__(self, *exc: object) -> None:
        import time

        if self.progress is not None:
            if self.task is not None and not any(exc):
                self.progress.update(self.task, description="xong", completed=self.progress.tasks[0].total)
            self.progress.__exit__(*exc)
        elif not any(exc):
            print(f"Lô {self.batch_id}: xong sau {time.monotonic() - self.started:.0f} giây", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from core.actors import set_actor
    from core.errors import BadInput
    from core.locks import batch_lock
    from core.settings import get_settings
    from intake import intake_batch
    from intake.batch import batch_key
    from intake.inbox import canonical_location, is_store_location
    from sohoa import pipeline
    from storage.db import upgrade

    _log_progress()
    set_actor(args.actor)  # every stage's audit entries name this person (core.actors)
    settings = get_settings()
    batch_dir: Path | str
    if is_store_location(args.batch_dir):  # a batch in the inbox bucket (intake/inbox.py)
        batch_dir = canonical_location(args.batch_dir)
    else:
        batch_dir = Path(args.batch_dir).resolve()
        if not batch_dir.is_dir():
            raise BadInput(str(batch_dir), "không có thư mục lô này")
    upgrade()  # a fresh SOHOA_HOME gets its tables on first use
    with batch_lock(settings.home, batch_key(args.province, args.agency, str(batch_dir)), str(batch_dir)):
        report = intake_batch(batch_dir, province=args.province, agency_code=args.agency,
                              document_type=args.document_type)
        out: dict[str, Any] = {"intake": report.summary()}
        with _StageProgress(report.batch_id) as progress:
            out.update(pipeline.run_stages(report.batch_id, on_stage=progress))
        out["files"] = pipeline.batch_answers(report.batch_id)
    print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    return _sync_exit(out)


def _retry(args: argparse.Namespace) -> int:
    from core.actors import set_actor
    from core.errors import BadInput
    from core.locks import batch_lock
    from core.settings import get_settings
    from sohoa import pipeline
    from storage.db import session_scope, upgrade
    from storage.models import Batch

    _log_progress()
    set_actor(args.actor)  # every stage's audit entries name this person (core.actors)
    upgrade()
    with session_scope() as s:
        batch = s.get(Batch, args.batch_id)
        key = batch.batch_key if batch is not None else None
    if key is None:
        raise BadInput(f"lô số {args.batch_id}", "không có lô này trong CSDL kết quả")
    with batch_lock(get_settings().home, key, f"số {args.batch_id}"):
        requeued = pipeline.requeue_failed(args.batch_id, stage=args.stage)
        out: dict[str, Any] = {"retried": requeued}
        with _StageProgress(args.batch_id) as progress:
            out.update(pipeline.run_stages(args.batch_id, first=args.stage or "ocr", on_stage=progress))
        out["files"] = pipeline.batch_answers(args.batch_id)
    print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    return _sync_exit(out)


def _sync_exit(out: dict[str, Any]) -> int:
    """The stages did their work (the summary above says so), but a warehouse that is down leaves
    events pending: exit 6 with one line, and the next run delivers them."""
    down = next((v.get("unavailable") for k, v in out.items() if k.startswith("sync") and isinstance(v, dict)), None)
    if down:
        print(down, file=sys.stderr)
        return ExitCode.SERVICE_UNAVAILABLE
    return ExitCode.OK
