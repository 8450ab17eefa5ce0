"""`sohoa run` / `retry` print our progress lines and keep third-party chatter (Great Expectations'
INFO logs were ~200 lines a run) out of the terminal unless SOHOA_LOG_LEVEL=DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from sohoa.commands.pipeline_cmds import _log_progress

NAMES = ("great_expectations", "sohoa", "alembic", "ocr", "review", "intake", "signing", "storage", "sync",
         "roadmap", "core", "schemas", "botocore", "urllib3", "matplotlib", "PIL", "pyhanko")


@pytest.fixture
def fresh_logging() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    root.setLevel(level)
    for name in NAMES:
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_progress_lines_without_third_party_noise(fresh_logging: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOHOA_LOG_LEVEL", raising=False)
    logging.getLogger().setLevel(logging.INFO)  # whatever it was before
    _log_progress()
    assert logging.getLogger("sohoa.pipeline").isEnabledFor(logging.INFO)
    assert logging.getLogger("review.ge").isEnabledFor(logging.INFO)
    assert not logging.getLogger("great_expectations.core").isEnabledFor(logging.WARNING)
    assert logging.getLogger("great_expectations.core").isEnabledFor(logging.ERROR)  # real failures still show
    assert not logging.getLogger("alembic.runtime.migration").isEnabledFor(logging.INFO)
    assert not logging.getLogger("some.other.library").isEnabledFor(logging.INFO)


def test_debug_brings_everything_back(fresh_logging: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_LOG_LEVEL", "debug")
    logging.getLogger().setLevel(logging.WARNING)
    _log_progress()
    assert logging.getLogger("great_expectations.core").isEnabledFor(logging.INFO)


def test_run_stages_reports_each_stage_and_the_cli_prints_it(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`sohoa run` is no longer silent for minutes: each stage is announced as it starts (a bar on a
    terminal, one line per stage in a log)."""
    from sohoa import pipeline
    from sohoa.commands.pipeline_cmds import _StageProgress

    ran: list[str] = []
    for name in ("ocr_batch", "extract_batch", "validate_batch", "sign_batch", "store_batch", "sync_batch"):
        monkeypatch.setattr(pipeline, name, lambda batch_id, settings=None, name=name: ran.append(name) or {})
    seen: list[tuple[str, int, int]] = []
    pipeline.run_stages(7, first="extract", on_stage=lambda *a: seen.append(a))
    assert seen == [("extract", 1, 5), ("validate", 2, 5), ("sign", 3, 5), ("store", 4, 5), ("sync", 5, 5)]
    assert ran == ["extract_batch", "validate_batch", "sign_batch", "store_batch", "sync_batch"]
    with _StageProgress(7) as progress:
        pipeline.run_stages(7, on_stage=progress)
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout keeps the JSON summary only
    lines = captured.err.splitlines()
    assert lines[0] == "Lô 7: bước 1/6 — Nhận dạng (OCR)…" and lines[5] == "Lô 7: bước 6/6 — Đồng bộ…"
    assert lines[6].startswith("Lô 7: xong sau ")


def test_status_speaks_vietnamese(sohoa_env, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    from sohoa.cli import main

    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "Hàng đợi đồng bộ: chờ gửi: 0, đã gửi: 0, không gửi được: 0" in out, out
    assert "pending" not in out and "delivered" not in out
