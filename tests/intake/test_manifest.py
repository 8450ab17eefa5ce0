"""Manifests (issue 13): encodings, NFC/NFD names, header, empty manifests and every row checked
before any work starts; unlisted scans, symlinks, quarantine keys."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import select

from core.settings import Settings
from intake import QuarantineReason, intake_batch
from intake.manifest import COLUMNS, ManifestError, decode_manifest, read_manifest
from storage.db import session_scope
from storage.models import Document, QuarantineEntry
from storage.objects import ObjectStore
from tests.badinputs import AGENCY, PROVINCE, cp1258, nfd, png

HEADER = ",".join(COLUMNS)
ROWS = [
    f"Quyết định số 1.png,{PROVINCE},{AGENCY},quyet_dinh,000.00.15.H56-200512-0001,1",
    "giấy_2.png,Lào Cai,,auto,,",
]


def _text() -> str:
    return HEADER + "\r\n" + "\r\n".join(ROWS) + "\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1258"])
def test_the_manifest_encoding_is_detected(tmp_path: Path, encoding: str) -> None:
    text = _text()
    # Windows-1258 spells tones as combining marks: decoded, the names are not NFC until normalised
    data = cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    (tmp_path / "manifest.csv").write_bytes(data)
    rows = read_manifest(tmp_path)
    assert rows is not None
    assert [r.file for r in rows] == ["Quyết định số 1.png", "giấy_2.png"]
    assert all(unicodedata.is_normalized("NFC", r.file) for r in rows)
    assert rows[0].province == PROVINCE and rows[1].province == "Lào Cai"
    assert [r.error for r in rows] == [None, None]


def test_bytes_no_encoding_explains_are_refused() -> None:
    with pytest.raises(ValueError, match="bảng mã"):
        decode_manifest(b"file,\x81\x8d\x8f\x90\x9d\n")  # neither UTF-8 nor Windows-1258 (undefined bytes)


@pytest.mark.parametrize("content, says", [
    (b"", "rỗng"),
    (b"  \r\n", "rỗng"),
    (HEADER.encode() + b"\n", "chỉ có dòng tiêu đề"),
    (HEADER.encode() + b"\n,,,,,\n", "chỉ có dòng tiêu đề"),
    (b"t\xc3\xaap,t\xe1\xbb\x89nh\na.png,Kh\xc3\xa1nh H\xc3\xb2a\n", "thiếu cột file, province, agency_code"),
    (b"file,province\na.png,x\n", "thiếu cột agency_code, document_type, dossier_code, pages"),
])
def test_an_unusable_manifest_is_refused_with_a_vietnamese_reason(tmp_path: Path, content: bytes, says: str) -> None:
    (tmp_path / "manifest.csv").write_bytes(content)
    with pytest.raises(ManifestError) as caught:
        read_manifest(tmp_path)
    assert says in str(caught.value) and "manifest.csv" in str(caught.value)


@pytest.mark.parametrize("row, says", [
    ("a.png,,,giay_phep_bay,,", "loại giấy tờ «giay_phep_bay» không có trong danh mục"),
    ("a.png,,,,không-phải-mã-hồ-sơ,", "mã hồ sơ «không-phải-mã-hồ-sơ» không đúng dạng"),
    ("a.png,,,,ABC,", "mã hồ sơ «ABC» không đúng dạng"),
    ("a.png,,,,000.00.15.H56-201399-0001,", "mã hồ sơ «000.00.15.H56-201399-0001»"),  # no 99th of month 13
    ("a.png,Xứ Sở Thần Tiên,,,,", "tỉnh «Xứ Sở Thần Tiên» không có trong danh mục"),
    ("a.png,,UBND-XYZ,,,", "mã cơ quan «UBND-XYZ» không đúng dạng"),
    ("a.png,,,,,0", "số trang «0» không phải số nguyên dương"),
    (",,,,,1", "cột file để trống"),
])
def test_every_row_is_checked_before_any_work(tmp_path: Path, row: str, says: str) -> None:
    (tmp_path / "manifest.csv").write_text(f"{HEADER}\n{row}\nb.png,,,,,\n", encoding="utf-8")
    rows = read_manifest(tmp_path)
    assert rows is not None and rows[0].error is not None and says in rows[0].error, rows[0].error
    assert rows[0].error.startswith("dòng 2: ")
    assert rows[1].error is None  # the other rows are not refused with it


def _intake(batch: Path, settings: Settings):  # type: ignore[no-untyped-def]
    return intake_batch(batch, province=PROVINCE, agency_code=AGENCY, settings=settings)


def test_nfd_and_nfc_names_find_each_other(tmp_path: Path, sohoa_env: Settings) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / nfd("Hồ sơ số 1.png")).write_bytes(png(shade=120))  # NFD on disk, NFC in the manifest
    (batch / "Hồ sơ số 2.png").write_bytes(png(shade=121))  # NFC on disk, NFD in the manifest
    text = f"{HEADER}\nHồ sơ số 1.png,,,,,1\n{nfd('Hồ sơ số 2.png')},,,,,1\n"
    (batch / "manifest.csv").write_text(text, encoding="utf-8")
    report = _intake(batch, sohoa_env)
    assert report.quarantined == [] and len(report.accepted) == 2
    with session_scope() as s:
        names = sorted(d.file_name for d in s.scalars(select(Document)))
    assert names == ["Hồ sơ số 1.png", "Hồ sơ số 2.png"]  # recorded in NFC


def test_scans_missing_from_the_manifest_are_quarantined_not_ignored(tmp_path: Path, sohoa_env: Settings) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "listed.png").write_bytes(png(shade=100))
    (batch / "forgotten.png").write_bytes(png(shade=101))
    (batch / "listed.png.truth.json").write_text("{}")  # a sidecar is no scan
    (batch / "manifest.csv").write_text(f"{HEADER}\nlisted.png,,,,,1\n", encoding="utf-8")
    report = _intake(batch, sohoa_env)
    assert report.unlisted == ["forgotten.png"]
    assert [(r.file_name, r.reason_code) for r in report.quarantined] == [
        ("forgotten.png", QuarantineReason.NOT_IN_MANIFEST)]
    assert len(report.accepted) == 1


def test_a_symlink_out_of_a_batch_without_manifest_names_no_manifest_line(tmp_path: Path,
                                                                          sohoa_env: Settings) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    (tmp_path / "secret.png").write_bytes(png(shade=50))
    (batch / "link.png").symlink_to(tmp_path / "secret.png")
    (batch / "dangling.png").symlink_to(batch / "nowhere.png")
    report = _intake(batch, sohoa_env)
    found = {r.file_name: r for r in report.quarantined}
    assert found["link.png"].reason_code == QuarantineReason.OUTSIDE_BATCH
    assert found["dangling.png"].reason_code == QuarantineReason.MISSING_FILE
    for rejected in found.values():
        assert "manifest" not in str(rejected) and "dòng" not in str(rejected)
        assert "symlink" in str(rejected)


def test_quarantine_keys_never_collide(tmp_path: Path, sohoa_env: Settings) -> None:
    """`Hỏng.pdf` and `hong.pdf` fold to one ASCII name: each keeps its evidence under its SHA-256."""
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "Hỏng.pdf").write_bytes(b"%PDF-1.4\n% one\n")
    (batch / "hong.pdf").write_bytes(b"%PDF-1.4\n% two\n")
    report = _intake(batch, sohoa_env)
    assert {r.file_name for r in report.quarantined} == {"Hỏng.pdf", "hong.pdf"}
    store = ObjectStore(sohoa_env)
    bucket = store.bucket("quarantine")
    with session_scope() as s:
        entries = {q.file_name: q for q in s.scalars(select(QuarantineEntry))}
    for name, entry in entries.items():
        assert entry.object_key.endswith(entry.sha256)
        assert store.get_bytes(bucket, entry.object_key) == (batch / name).read_bytes()
        assert store.metadata(bucket, entry.object_key)["file-name"] == name
    reasons = [json.loads(store.get_bytes(bucket, k)) for k in store.list_keys(bucket) if k.endswith(".reason.json")]
    assert sorted(r["file"] for r in reasons) == ["Hỏng.pdf", "hong.pdf"]
