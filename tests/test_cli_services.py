"""`sohoa services`: starts the embedded S3 server with credentials, reports it, stops it."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.exitcodes import ExitCode
from core.settings import reset_settings
from sohoa.cli import main
from storage._exec.weed import free_port


def test_services_start_status_stop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOHOA_HOME", str(tmp_path))
    monkeypatch.setenv("SOHOA_S3_ENDPOINT", f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("SOHOA_CITIZEN_WAREHOUSE_URL", "")
    reset_settings()
    try:
        assert main(["services", "status"]) == ExitCode.SERVICE_UNAVAILABLE
        assert main(["services", "start"]) == ExitCode.OK
        assert "đã khởi động" in capsys.readouterr().out
        assert main(["services", "status"]) == ExitCode.OK
        assert "đang chạy" in capsys.readouterr().out
    finally:
        assert main(["services", "stop"]) == ExitCode.OK
    assert "S3" in capsys.readouterr().out
    assert main(["services", "status"]) == ExitCode.SERVICE_UNAVAILABLE
    reset_settings()
