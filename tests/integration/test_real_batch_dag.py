"""Issue 12, "done when": a batch of mixed real documents runs through `digitise_batch` with no crash
and no rejection for an unknown kind.

A real run of the DAG (Airflow's test runner, `run_dag`) over real scans of tests/data/real-scans
with a manifest, at the declared review thresholds: real Tesseract and the second recogniser, real
SeaweedFS, real signing, the reference warehouse receiver. Every document ends signed (and stored,
synced) or before a person with a reason in Vietnamese; none is refused; no task fails.

The batch mixes the kinds and captures of the real set, 13 pages in all to keep the run near three
minutes on a shared machine: what is left out is named in LEFT_OUT.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage import models
from storage.db import session_scope
from storage.models import DocumentStatus

pytestmark = pytest.mark.integration

REAL = Path(__file__).resolve().parents[1] / "data" / "real-scans"
# file -> (its kind as printed, the document type declared in the manifest; "" = read from the page)
BATCH: dict[str, tuple[str, str]] = {
    "bgddt-qd-3.pdf": ("quyết định, a ministry's, 150 dpi", ""),
    "laocai-CV-813-CucHoaChat.pdf": ("công văn, the low-resolution scan (~87 dpi)", ""),
    "laocai-GP-2507-mo-da-Toong-Gia-Mien-Bac-ban-ky.pdf": ("giấy phép, signed copy", ""),
    "laocai-Bien-ban-kiem-tra-hien-truong-Yen-Thanh-8.6.2026.pdf": ("biên bản, two signers", ""),
    "laocai-Mau-giay-phep-cua-Cuc-thamkhao.jpg": ("giấy phép, the phone capture (JPEG)", ""),
    "laocai-Phieu-trinh-tham-dinh-1.pdf": ("phiếu trình, a kind schemas/ does not declare", ""),
    # A manifest may declare the type for a row: a general-type code is a type like any other.
    "2.pdf": ("công văn of the police, 300 dpi colour", "van_ban_hanh_chinh"),
}
# Cut for test time (each is a further 2-7 pages of OCR): the six-page biên bản and "SAO Y" copy
# (3.pdf), the seven-page phiếu trình and quyết định, the two-signer hướng dẫn liên ngành, the
# three-page công văn, the other quyết định and giấy phép of both sets. `make bench` (sohoa.bench,
# part "real-batch") runs the whole set.
LEFT_OUT = ("laocai-31.3.2026_BB_kiemtra_Kho-VLNCN_TD_NamCang1A_D.pdf", "3.pdf", "laocai-Phieu-trinh.pdf",
            "laocai-QD-2336-2026-CTDT-KCN-Phu-Xuan.pdf", "laocai-Huong-dan-lien-nganh-24-N2O.pdf",
            "laocai-CV-2265-BCT-ATMT-trien-khai.pdf")
PROVINCE, AGENCY = "Lào Cai", "000.00.15.H34"
_VIETNAMESE = set("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")


def _is_vietnamese(text: str) -> bool:
    return any(c in _VIETNAMESE for c in text.lower())


def test_a_mixed_batch_of_real_documents_through_the_dag(pipeline_env, run_dag, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from schemas import DOCUMENT_TYPES
    from schemas.document_types import GENERAL_TYPE_CODE
    from sohoa.pipeline import batch_answers

    assert set(BATCH).isdisjoint(LEFT_OUT)
    folder = tmp_path / "batch"
    folder.mkdir()
    rows = ["file,province,agency_code,document_type,dossier_code,pages"]
    for name, (_what, declared) in BATCH.items():
        assert not declared or declared in DOCUMENT_TYPES, declared
        shutil.copy(REAL / name, folder / name)
        rows.append(f"{name},{PROVINCE},{AGENCY},{declared},,")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    conf = {"province": PROVINCE, "agency": AGENCY, "batch_location": str(folder), "document_type": "auto"}
    dag_run = run_dag("digitise_batch", conf)
    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    assert str(dag_run.state) in ("success", "DagRunState.SUCCESS"), states
    assert all(s in ("success", "TaskInstanceState.SUCCESS") for s in states.values()), states

    with session_scope() as s:
        (batch_id,) = s.scalars(select(models.Batch.id)).all()
        types = {d.file_name: d.document_type for d in s.scalars(select(models.Document))}
    answers: dict[str, list[dict[str, Any]]] = {}
    for answer in batch_answers(batch_id):
        answers.setdefault(answer["file"], []).append(answer)
    assert set(answers) == set(BATCH), answers
    print({name: (a[0]["answer"], types[name]) for name, a in sorted(answers.items())})  # seen with -s
    for name, (what, _declared) in BATCH.items():
        (answer,) = answers[name]
        assert answer["answer"] in ("processed", "needs_review"), (name, what, answer)
        if answer["answer"] == "processed":
            assert answer["status"] in (DocumentStatus.STORED, DocumentStatus.SYNCED), (name, answer)
        else:
            assert answer["reason"] and _is_vietnamese(answer["reason"]), (name, answer)
        # Every document is read with a declared type or the general one: never "unknown".
        assert types[name] in DOCUMENT_TYPES, (name, types[name])
    assert types["2.pdf"] == GENERAL_TYPE_CODE, types  # as the manifest declared
