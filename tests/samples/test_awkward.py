"""`sohoa samples OUT --awkward` (issue 14): the awkward batch a team can try, written with a manifest,
the re-scan beside the batch folder, and the table of where each file should end. Its run through
the pipeline is tests/integration/test_awkward_batch.py."""

from __future__ import annotations

import csv
from pathlib import Path

import pikepdf
import pytest

from core.exitcodes import ExitCode
from sohoa.cli import main


def test_the_awkward_batch_is_written_with_its_manifest_and_rescan(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "thu"
    assert main(["samples", str(out), "--awkward"]) == ExitCode.OK
    printed = capsys.readouterr().out
    with (out / "lo" / "manifest.csv").open(encoding="utf-8") as fh:
        rows = {r["file"]: r for r in csv.DictReader(fh)}
    on_disk = {p.name for p in (out / "lo").iterdir()} - {"manifest.csv"}
    assert set(rows) == on_disk and len(rows) == 11
    assert {r["agency_code"] for r in rows.values()} == {"000.00.15.H34", "000.00.21.H34"}  # two agencies
    assert rows["15-sai-loai.png"]["document_type"] == "giay_phep_bay_vu_tru"
    assert rows["14-cong-van.png"]["document_type"] == ""  # the kind is left to recognition
    assert "15-sai-loai.png\tbad_manifest_row\t000.00.15.H34\tcách ly" in printed
    assert "16-xac-nhan-het-han.png\texpired\t000.00.15.H34\tchờ rà soát\tđã hết hiệu lực" in printed
    # the permission-only PDF opens without a password, yet is encrypted with restrictions
    with pikepdf.open(out / "lo" / "10-han-che-quyen.pdf") as pdf:
        assert pdf.is_encrypted and not pdf.allow.print_highres
    assert (out / "quet-lai" / "11-mat-sau-trang.pdf").is_file()  # outside the batch folder
