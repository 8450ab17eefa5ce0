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
