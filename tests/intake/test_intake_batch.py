"""Intake rejects bad input file by file (DOMAIN rule 3, DESIGN 'Bad input') against the real S3 server."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from sqlalchemy import func, select

from core.settings import Settings
from intake import QuarantineReason, intake_batch
from storage.db import session_scope
from storage.models import Document, QuarantineEntry
from storage.objects import ObjectStore


def _png(size: tuple[int, int] = (600, 800), shade: int = 200) -> bytes:
    buf = io.BytesIO()
    Image.new("L", size, shade).save(buf, "PNG", dpi=(200, 200))
    return buf.getvalue()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (500, 700), (240, 230, 220)).save(buf, "JPEG", dpi=(200, 200))
    return buf.getvalue()


def _pdf(pages: int) -> bytes:
    buf = io.BytesIO()
    frames = [Image.new("RGB", (827, 1169), (255, 255, 255 - i)) for i in range(pages)]
    frames[0].save(buf, "PDF", resolution=100, save_all=True, append_images=frames[1:])
    return buf.getvalue()


def _encrypted_pdf(tmp: Path) -> bytes:
    plain = tmp / "plain.pdf"
    plain.write_bytes(_pdf(1))
    out = tmp / "enc.pdf"
    with pikepdf.open(plain) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    return out.read_bytes()


@pytest.fixture
def bad_batch(tmp_path: Path) -> Path:
    batch = tmp_path / "batch"
    batch.mkdir()
    (tmp_path / "secret.png").write_bytes(_png())
    files = {
        "good_1.png": _png(shade=190),
        "good_2.jpg": _jpeg(),
        "good_3.pdf": _pdf(2),
        "copy_of_good_1.png": _png(shade=190),  # same bytes as good_1.png
        "empty.pdf": b"",
        "broken.pdf": b"%PDF-1.7\n1 0 obj <<>> garbage without xref or trailer\n",
        "locked.pdf": _encrypted_pdf(tmp_path),
        "looks_like.pdf": _png(shade=10),  # PNG bytes named .pdf
        "letter.docx": b"PK\x03\x04 not a scan",
        "bomb.png": _png(size=(6000, 6000)),  # 36 Mpx > the 20 Mpx cap set below
        "truncated.jpg": _jpeg()[:300],
    }
    for name, data in files.items():
        (batch / name).write_bytes(data)
    rows = ["file,province,agency_code,document_type,dossier_code,pages"]
    rows += [f"{name},,,,," for name in files]
    rows[3] = "good_3.pdf,,,,000.00.15.H34-200512-0007,3"  # manifest says 3 pages, file has 2
    rows += ["../secret.png,,,,,", "not_there.png,,,,,", "good_1.png,,,,,abc"]
    (batch / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return batch


def _run(batch: Path, settings: Settings):
    return intake_batch(batch, province="Khánh Hòa", agency_code="000.00.15.H34", settings=settings)


def test_bad_files_are_quarantined_one_by_one_and_the_rest_is_taken(bad_batch: Path, sohoa_env: Settings,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    settings = sohoa_env.model_copy(update={"max_image_pixels": 20_000_000})
    report = _run(bad_batch, settings)
    reasons = {r.file_name: r.reason_code for r in report.quarantined}
    assert reasons == {
        "copy_of_good_1.png": QuarantineReason.DUPLICATE,
        "empty.pdf": QuarantineReason.EMPTY_FILE,
        "broken.pdf": QuarantineReason.CORRUPT,
        "locked.pdf": QuarantineReason.ENCRYPTED,
        "looks_like.pdf": QuarantineReason.MISLABELLED_TYPE,
        "letter.docx": QuarantineReason.UNSUPPORTED_TYPE,
        "bomb.png": QuarantineReason.DECOMPRESSION_BOMB,
        "truncated.jpg": QuarantineReason.CORRUPT,
        "../secret.png": QuarantineReason.OUTSIDE_BATCH,
        "not_there.png": QuarantineReason.MISSING_FILE,
        "good_1.png": QuarantineReason.BAD_MANIFEST_ROW,  # second row for it: pages 'abc'
    }
    # each message names the file and says why
    for rejected in report.quarantined:
        assert rejected.file_name in str(rejected) and len(rejected.detail) > 10
    assert len(report.accepted) == 3

    store = ObjectStore(settings)
    raw = list(store.list_keys(store.bucket("raw")))
    assert len(raw) == 3
    quarantine = set(store.list_keys(store.bucket("quarantine")))
    # bytes of inside-batch rejects are kept, keyed by SHA-256 (the bad second row of good_1.png and
    # copy_of_good_1.png are the same bytes: one object); outside/missing ones only have a reason record
    assert sum(1 for k in quarantine if not k.endswith(".reason.json")) == 8
    assert sum(1 for k in quarantine if k.endswith(".reason.json")) == 11
    with session_scope() as s:
        locked = s.scalars(select(QuarantineEntry).where(QuarantineEntry.file_name == "locked.pdf")).one()
    reason_doc = json.loads(store.get_bytes(store.bucket("quarantine"), next(
        k for k in quarantine if k.startswith(locked.object_key) and k.endswith(".reason.json"))))
    assert reason_doc["reason_code"] == "encrypted" and reason_doc["file"] == "locked.pdf"

    with session_scope() as s:
        docs = {d.file_name: d for d in s.scalars(select(Document))}
    assert set(docs) == {"good_1.png", "good_2.jpg", "good_3.pdf"}
    # Art. 25.3.a: a page count that differs from the manifest is flagged, not silently accepted
    assert any("page_count_mismatch" in r for r in docs["good_3.pdf"].review_reasons)
    assert docs["good_3.pdf"].dossier_code == "000.00.15.H34-200512-0007" and not docs["good_3.pdf"].dossier_provisional
    # no mã hồ sơ in the manifest: a provisional one, flagged
    assert docs["good_2.jpg"].dossier_provisional and docs["good_2.jpg"].dossier_code.startswith("TAM.000.00.15.H34-")


def test_quarantine_rows_are_recorded_in_the_db(bad_batch: Path, sohoa_env: Settings) -> None:
    settings = sohoa_env.model_copy(update={"max_image_pixels": 20_000_000})
    _run(bad_batch, settings)
    with session_scope() as s:
        rows = s.scalars(select(QuarantineEntry)).all()
    # the second manifest row for good_1.png collides on (batch, file) with nothing quarantined before it
    assert {r.reason_code for r in rows} >= {"empty_file", "encrypted", "outside_batch", "duplicate"}
    assert all(r.reason for r in rows)


def test_rerun_takes_nothing_twice(bad_batch: Path, sohoa_env: Settings) -> None:
    settings = sohoa_env.model_copy(update={"max_image_pixels": 20_000_000})
    first = _run(bad_batch, settings)
    store = ObjectStore(settings)
    objects_before = store.count_objects()
    second = _run(bad_batch, settings)
    assert second.batch_id == first.batch_id
    assert sorted(second.accepted) == sorted(first.accepted)
    assert second.already_taken == 3
    assert store.count_objects() == objects_before
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 3
        assert s.scalar(select(func.count()).select_from(QuarantineEntry)) == len(first.quarantined)


def test_a_file_already_taken_in_another_batch_is_a_duplicate(tmp_path: Path, sohoa_env: Settings) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "scan.png").write_bytes(_png(shade=123))
    first = intake_batch(tmp_path / "a", province="Khánh Hòa", agency_code="000.00.15.H34", settings=sohoa_env)
    second = intake_batch(tmp_path / "b", province="Khánh Hòa", agency_code="000.00.15.H34", settings=sohoa_env)
    assert len(first.accepted) == 1 and not second.accepted
    assert second.quarantined[0].reason_code == QuarantineReason.DUPLICATE
    assert "scan.png" in second.quarantined[0].detail


def test_without_a_manifest_every_scan_is_a_candidate(tmp_path: Path, sohoa_env: Settings) -> None:
    batch = tmp_path / "loose"
    batch.mkdir()
    (batch / "x.png").write_bytes(_png())
    (batch / "x.png.truth.json").write_text("{}")
    (batch / "notes.odt").write_bytes(b"PK\x03\x04")
    report = intake_batch(batch, province="Khánh Hòa", agency_code="000.00.15.H34", settings=sohoa_env)
    assert len(report.accepted) == 1
    assert [r.reason_code for r in report.quarantined] == [QuarantineReason.UNSUPPORTED_TYPE]


def test_a_province_is_stored_as_the_catalogue_spells_it(tmp_path: Path, sohoa_env: Settings) -> None:
    """"Khánh Hoà" (the older tone placement) is the catalogue's "Khánh Hòa": stored so, the batch passes
    the catalogue rule and reaches the Khánh Hòa steward's queue (tests/review/test_service.py)."""
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "a.png").write_bytes(_png(shade=180))
    (batch / "b.png").write_bytes(_png(shade=170))
    (batch / "manifest.csv").write_text("file,province,agency_code,document_type,dossier_code,pages\n"
                                        "a.png,,,,,\nb.png,ninh thuận,,,,\n", encoding="utf-8")
    report = intake_batch(batch, province="Khánh Hoà", agency_code="000.00.15.H34", settings=sohoa_env)
    assert len(report.accepted) == 2
    with session_scope() as s:
        docs = {d.file_name: d for d in s.scalars(select(Document))}
        assert docs["a.png"].batch.province == "Khánh Hòa"
    assert docs["a.png"].province == "Khánh Hòa"
    assert docs["b.png"].province == "Ninh Thuận"  # an old name keeps its own (catalogue) spelling
    # the same folder under either spelling is the same batch
    again = intake_batch(batch, province="Khánh Hòa", agency_code="000.00.15.H34", settings=sohoa_env)
    assert again.batch_id == report.batch_id and again.already_taken == 2


@pytest.mark.parametrize(("province", "agency", "says"), [
    ('Gotham<script>alert("x")</script>', "000.00.15.H34", "không có tỉnh/thành phố"),
    ("Khánh Hòa", "<img src=x onerror=alert(1)>", "mã cơ quan"),
])
def test_issue17_3_a_batch_naming_no_catalogue_province_or_agency_is_refused(
        tmp_path: Path, sohoa_env: Settings, province: str, agency: str, says: str, capsys) -> None:  # type: ignore[no-untyped-def]
    from intake.manifest import ManifestError
    from sohoa.cli import main

    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "a.png").write_bytes(_png(shade=180))
    with pytest.raises(ManifestError, match=says):
        intake_batch(batch, province=province, agency_code=agency, settings=sohoa_env)
    with session_scope() as s:  # nothing was taken: no batch, no document
        assert s.scalar(select(func.count()).select_from(Document)) == 0
    # the CLI says why and exits 'bad input', as for a refused manifest
    assert main(["run", str(batch), "--province", province, "--agency", agency]) == 3
    assert says in capsys.readouterr().err
