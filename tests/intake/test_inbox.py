"""A batch taken from a prefix of the inbox bucket (intake/inbox.py) on the real SeaweedFS server:
the same manifest rules and quarantine as a folder, bad objects quarantined with a reason, the rest taken."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from core.settings import Settings
from intake import QuarantineReason, intake_batch
from intake.inbox import _unsafe, canonical_location, parse_location
from intake.manifest import ManifestError
from storage.db import session_scope
from storage.models import Batch, Document, DocumentStatus, QuarantineEntry
from storage.objects import ObjectStore

PROVINCE, AGENCY = "Khánh Hòa", "000.00.15.H34"


def _png(shade: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (600, 800), shade).save(buf, "PNG", dpi=(200, 200))
    return buf.getvalue()


def _upload(store: ObjectStore, prefix: str, files: dict[str, bytes]) -> str:
    store.ensure_buckets()
    inbox = store.bucket("inbox")
    for name, data in files.items():
        store.put_bytes(inbox, f"{prefix}/{name}", data)
    return f"s3://{inbox}/{prefix}/"


def test_a_prefix_is_taken_like_a_folder_and_a_bad_object_is_quarantined_with_its_reason(sohoa_env: Settings) -> None:
    store = ObjectStore(sohoa_env)
    manifest = ("file,province,agency_code,document_type,dossier_code,pages\n"
                "tram-1/a.png,,,auto,,1\n"
                "tram-1/b.png,,,auto,,1\n"
                "hong.pdf,,,auto,,1\n")
    url = _upload(store, "2026-11/lo-7", {
        "manifest.csv": manifest.encode(),
        "tram-1/a.png": _png(190),
        "tram-1/b.png": _png(120),
        "hong.pdf": b"%PDF-1.7\n1 0 obj <<>> garbage without xref or trailer\n",
        "thua.png": _png(60),  # not in the manifest
    })
    # Another batch's objects under a neighbouring prefix are not part of this one.
    _upload(store, "2026-11/lo-70", {"x.png": _png(30)})

    report = intake_batch(url, province=PROVINCE, agency_code=AGENCY, settings=sohoa_env, store=store)

    assert len(report.accepted) == 2
    reasons = {r.file_name: r.reason_code for r in report.quarantined}
    assert reasons == {"hong.pdf": QuarantineReason.CORRUPT, "thua.png": QuarantineReason.NOT_IN_MANIFEST}
    with session_scope() as s:
        batch = s.get_one(Batch, report.batch_id)
        assert batch.location == url
        docs = s.scalars(select(Document).where(Document.batch_id == report.batch_id)).all()
        assert sorted(d.file_name for d in docs) == ["tram-1/a.png", "tram-1/b.png"]
        assert all(d.status == DocumentStatus.RECEIVED for d in docs)
        raw = {d.file_name: store.get_bytes(store.bucket("raw"), d.raw_key, expected_sha256=d.sha256) for d in docs}
        quarantined = {q.file_name: q for q in s.scalars(select(QuarantineEntry))}
    assert raw["tram-1/a.png"] == _png(190)
    assert set(quarantined) == {"hong.pdf", "thua.png"}
    assert quarantined["hong.pdf"].reason  # a reason a person can read, and the bytes kept
    assert store.get_bytes(store.bucket("quarantine"), quarantined["hong.pdf"].object_key).startswith(b"%PDF-1.7")

    # Re-running the same prefix takes nothing twice (the batch is known by its URL).
    again = intake_batch(url.rstrip("/"), province=PROVINCE, agency_code=AGENCY, settings=sohoa_env, store=store)
    assert again.batch_id == report.batch_id and again.already_taken == 2
    with session_scope() as s:
        assert len(s.scalars(select(Document)).all()) == 2
        assert len(s.scalars(select(QuarantineEntry)).all()) == 2


def test_only_the_inbox_bucket_is_a_batch_and_an_empty_prefix_is_refused(sohoa_env: Settings) -> None:
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    store.put_bytes(store.bucket("work"), "lo/a.png", _png(100))
    with pytest.raises(ManifestError, match="bucket tiếp nhận"):
        intake_batch(f"s3://{store.bucket('work')}/lo/", province=PROVINCE, agency_code=AGENCY,
                     settings=sohoa_env, store=store)
    with pytest.raises(ManifestError, match="không có tệp"):
        intake_batch(f"s3://{store.bucket('inbox')}/khong-co/", province=PROVINCE, agency_code=AGENCY,
                     settings=sohoa_env, store=store)
    with session_scope() as s:
        assert s.scalars(select(Batch)).all() == []


def test_object_names_that_would_leave_the_batch_folder_are_refused() -> None:
    assert parse_location("s3://sohoa-inbox/a/b") == ("sohoa-inbox", "a/b/")
    assert canonical_location("s3://sohoa-inbox/a/b") == "s3://sohoa-inbox/a/b/"
    with pytest.raises(ManifestError):
        parse_location("s3://sohoa-inbox/a/../b/")
    with pytest.raises(ManifestError):
        parse_location("s3://Bad_Bucket/a/")
    for name in ("../x.png", "a/../../x.png", "a//x.png", "./x.png", "a\\x.png"):
        assert _unsafe(name), name
    assert _unsafe("tram-1/Hỏng.png") is None


def test_sohoa_run_takes_a_batch_from_the_inbox(sohoa_env: Settings, tmp_path: Path) -> None:
    """The CLI accepts the URL: intake (and the stages after it) run on what the prefix holds."""
    store = ObjectStore(sohoa_env)
    url = _upload(store, "cli", {"manifest.csv": b"file,province,agency_code,document_type,dossier_code,pages\nblank.png,,,auto,,1\n", "blank.png": _png(255)})
    proc = subprocess.run([sys.executable, "-m", "sohoa.cli", "run", url, "--province", PROVINCE, "--agency", AGENCY],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["intake"]["accepted"] == 1
    files = {f["file"]: f for f in out["files"]}
    assert files["blank.png"]["answer"] == "rejected" and "blank_page" in files["blank.png"]["reason"]
