"""`sohoa demo`: the whole spine on embedded defaults, through a real Airflow DAG run.

Starts SeaweedFS and the reference warehouse receiver on 127.0.0.1, makes a demo PKI and a
sample batch, runs `airflow dags test digitise_batch`, prints a summary, stops what it started.
Safe to run again: the second run finds everything done and creates nothing new.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from core.exitcodes import ExitCode
from core.settings import Settings, get_settings, reset_settings

REPO = Path(__file__).resolve().parents[1]
DEMO_PROVINCE = "Khánh Hòa"
DEMO_AGENCY = "000.00.15.H34"


def _say(message: str) -> None:
    print(f"==> {message}", flush=True)


def _demo_environment(home: Path) -> Settings:
    """Embedded defaults for everything the user has not set."""
    defaults = {
        "SOHOA_HOME": str(home),
        "SOHOA_CITIZEN_WAREHOUSE_URL": "http://127.0.0.1:8765",
        "SOHOA_CITIZEN_WAREHOUSE_TOKEN": "demo-warehouse-token",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    reset_settings()
    return get_settings()


def run_demo(home: Path | None = None, *, count: int = 6, seed: int = 2025) -> int:
    from samples import generate_batch
    from signing.pki import make_test_pki
    from sohoa import services
    from storage.db import upgrade
    from storage.objects import ObjectStore

    started_at = time.monotonic()
    settings = _demo_environment((home or Path.cwd() / "var").resolve())
    settings.home.mkdir(parents=True, exist_ok=True)
    started: list[str] = []
    try:
        _say(f"Khởi động kho đối tượng S3 (SeaweedFS) tại {settings.s3_endpoint}")
        if services.start_s3(settings).started_here:
            started.append("s3")
        _say("Chuẩn bị CSDL kết quả và các bucket")
        upgrade(settings.db_url)
        ObjectStore(settings).ensure_buckets()

        _say(f"Chứng thư số thử nghiệm của đơn vị chuyển đổi: {settings.converter_name}")
        pki = make_test_pki(settings.home / "pki", converter=settings.converter_name)
        os.environ.setdefault("SOHOA_SIGNING_PKCS12", str(pki.agency_p12))
        os.environ.setdefault("SOHOA_SIGNING_PASSWORD", pki.password.decode())
        reset_settings()
        settings = get_settings()

        batch_dir = settings.home / "demo-batch"
        if not (batch_dir / "manifest.csv").exists():
            _say(f"Tạo {count} bản quét mẫu tại {batch_dir}")
            generate_batch(batch_dir, count=count, seed=seed, province=DEMO_PROVINCE, agency=DEMO_AGENCY)
        else:
            _say(f"Dùng lại lô mẫu có sẵn tại {batch_dir}")

        _say(f"Khởi động kho dữ liệu công dân tham chiếu tại {settings.citizen_warehouse_url}")
        if services.start_receiver(settings).started_here:
            started.append("warehouse")

        code = _run_dag(settings, batch_dir)
        summary = demo_summary(settings, batch_dir)
        _print_summary(summary, time.monotonic() - started_at)
        return code
    finally:
        if "warehouse" in started:
            services.stop_receiver(settings)
        if "s3" in started:
            services.stop_s3(settings)
        if started:
            _say("Đã dừng các dịch vụ đã khởi động: " + ", ".join(started))


def _run_dag(settings: Settings, batch_dir: Path) -> int:
    from sohoa import services

    env = services.airflow_env(settings, REPO)
    log_path = settings.home / "airflow" / "digitise_batch.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    _say("Chuẩn bị CSDL metadata của Airflow (airflow db migrate)")
    subprocess.run([services.airflow_bin(), "db", "migrate"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    conf = {"province": DEMO_PROVINCE, "agency": DEMO_AGENCY, "batch_location": str(batch_dir),
            "document_type": "auto"}
    _say("Chạy DAG digitise_batch qua Airflow (airflow dags test) — nhật ký: " + str(log_path))
    with log_path.open("w") as log:
        proc = subprocess.Popen([services.airflow_bin(), "dags", "test", "digitise_batch", "-c", json.dumps(conf)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            # progress lines of the stages, and task state changes
            if "] [" in line and ("/" in line) and any(s in line for s in ("[intake]", "[ocr]", "[extract]",
                                                                               "[sign]", "[validate]")) or "Marking task as" in line or "task_state" in line.lower():
                print("    " + line.strip()[-120:], flush=True)
        code = proc.wait()
    if code != 0:
        print(f"!! airflow dags test thất bại (mã {code}); xem {log_path}", file=sys.stderr)
        return ExitCode.EXTERNAL_TOOL_FAILED
    return ExitCode.OK


def demo_summary(settings: Settings, batch_dir: Path) -> dict[str, Any]:
    from intake.batch import batch_key
    from schemas import field_name_vi
    from schemas.thresholds import load_thresholds
    from sohoa.pipeline import status_summary
    from storage import models
    from storage.db import session_scope
    from storage.records import withheld_fields

    with session_scope() as s:
        batch = s.scalar(select(models.Batch).where(
            models.Batch.batch_key == batch_key(DEMO_PROVINCE, DEMO_AGENCY, str(batch_dir.resolve()))))
        docs = list(s.scalars(select(models.Document).where(models.Document.batch_id == batch.id))) if batch else []
        results = list(s.scalars(select(models.Result).join(models.Document)
                                 .where(models.Document.batch_id == (batch.id if batch else -1))))
        rows = {t.name: s.scalar(select(func.count()).select_from(t))
                for t in models.Base.metadata.sorted_tables}
        quarantined = s.scalar(select(func.count()).select_from(models.QuarantineEntry)
                               .where(models.QuarantineEntry.batch_id == (batch.id if batch else -1)))
        signed_docs = {r.document_id for r in results if r.stored_key}
        # Doubtful optional fields left out of a signed record's data (docs/review.md), by label.
        withheld = {d.file_name: [field_name_vi(n, d.document_type) for n in withheld_fields(s, d.id)]
                    for d in sorted(docs, key=lambda d: d.file_name) if d.id in signed_docs}
    return {
        "batch_id": batch.id if batch else None,
        "documents_in": len(docs) + (quarantined or 0),
        "accepted": len(docs),
        "quarantined": quarantined,
        "signed_and_stored": [f"s3://{r.stored_bucket}/{r.stored_key}" for r in results if r.stored_key],
        "withheld": {name: labels for name, labels in withheld.items() if labels},
        "thresholds": load_thresholds(settings),
        "needs_review": {d.file_name: list(d.review_reasons) for d in sorted(docs, key=lambda d: d.file_name)
                         if d.status == "needs_review"},
        "rejected": sorted(d.file_name for d in docs if d.status == "rejected"),
        "db_rows": rows,
        "report_local": str(settings.home / "reports" / f"batch-{batch.id}-validation.html") if batch else None,
        "report_s3": f"s3://{settings.bucket('reports')}/{batch.report_key}" if batch and batch.report_key else None,
        "status": status_summary(settings),
    }


def _print_summary(summary: dict[str, Any], seconds: float) -> None:
    print()
    print("=" * 72)
    print(f"KẾT QUẢ DEMO — lô số {summary['batch_id']} ({seconds:.0f} giây)")
    print("=" * 72)
    print(f"Tài liệu đưa vào:            {summary['documents_in']} "
          f"(tiếp nhận {summary['accepted']}, cách ly {summary['quarantined']})")
    signed, review = len(summary["signed_and_stored"]), len(summary["needs_review"])
    thresholds = summary["thresholds"]
    which = "có ghi đè theo cấu hình" if thresholds.overrides else "mặc định cho mọi trường"
    print(f"Ngưỡng tin cậy để tự duyệt:  {thresholds.default:.2f} ({which})".replace("0.", "0,"))
    print(f"Tóm tắt: đã ký số {signed} hồ sơ; {review} hồ sơ chờ cán bộ rà soát (lý do ghi dưới từng hồ sơ)")
    print(f"Đã ký số và lưu trữ:         {signed}")
    for key in summary["signed_and_stored"]:
        print(f"    {key}")
    for name, labels in summary["withheld"].items():
        print(f"    {name}: không đưa vào dữ liệu ký (trường tùy chọn chưa chắc chắn, để trống, có ghi lý do): "
              + ", ".join(labels))
    print(f"Cần cán bộ rà soát:          {review}")
    for name, reasons in summary["needs_review"].items():
        print(f"    {name}")
        for reason in reasons[:4]:
            print(f"        – {reason}")
        if len(reasons) > 4:
            print(f"        – và {len(reasons) - 4} lý do khác (xem trên bàn rà soát)")
    if summary["rejected"]:
        print(f"Bị từ chối:                  {len(summary['rejected'])}")
    outbox = summary["status"]["outbox"]
    print(f"Đồng bộ kho dữ liệu công dân: đã gửi {outbox['delivered']}, chờ {outbox['pending']}, lỗi {outbox['dead']}")
    print("Số dòng trong CSDL kết quả:  " + ", ".join(f"{k} {v}" for k, v in summary["db_rows"].items()))
    print(f"Báo cáo kiểm tra:            {summary['report_local']}")
    print(f"                             {summary['report_s3']}")
    print("=" * 72)
