"""Intake in parts, as digitise_batch runs it on several workers: `plan_batch` cuts the batch's files
into chunks (places in its list: ids only), `take_chunk` takes one chunk. Against the real S3 server;
the results DB is SQLite or PostgreSQL (several workers at once meet in it)."""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from core.settings import Settings, reset_settings
from intake import QuarantineReason, intake_batch
from intake.batch import plan_batch, take_chunk
from storage import db as storage_db
from storage._exec import postgres
from storage.db import session_scope
from storage.models import Document, QuarantineEntry
from storage.objects import ObjectStore

PROVINCE, AGENCY = "Khánh Hòa", "000.00.15.H34"


def _png(shade: int, height: int = 400) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (300, height), shade).save(buf, "PNG", dpi=(200, 200))
    return buf.getvalue()


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, sohoa_env: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield sohoa_env
        return
    cluster: postgres.PgCluster = request.getfixturevalue("pg_cluster")
    monkeypatch.setenv("SOHOA_DATABASE_URL", postgres.create_database(cluster, f"chunks_{os.getpid()}_{id(request)}"))
    reset_settings()
    storage_db.get_engine.cache_clear()
    settings = Settings()
    storage_db.upgrade(settings.db_url)
    yield settings
    storage_db.get_engine(settings.db_url).dispose()
    storage_db.get_engine.cache_clear()


def _batch(folder: Path) -> Path:
    folder.mkdir()
    rows = ["file,province,agency_code,document_type,dossier_code,pages"]
    for i in range(7):
        (folder / f"scan_{i}.png").write_bytes(_png(100 + 10 * i))
        # scans 1 and 5 are one dossier: never cut apart
        rows.append(f"scan_{i}.png,,,,{'000.00.15.H34-200512-0042' if i in (1, 5) else ''},1")
    (folder / "copy_of_scan_0.png").write_bytes(_png(100))  # the same bytes as scan_0.png
    rows.append("copy_of_scan_0.png,,,,,1")
    (folder / "hong.pdf").write_bytes(b"%PDF-1.7\n garbage")
    rows.append("hong.pdf,,,,,1")
    (folder / "thua.png").write_bytes(_png(250))  # not in the manifest
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_chunks_taken_in_any_order_take_what_one_intake_takes(env: Settings, tmp_path: Path) -> None:
    settings = env.model_copy(update={"chunk_size": 3, "min_chunks": 2})
    batch = _batch(tmp_path / "batch")
    plan = plan_batch(batch, province=PROVINCE, agency_code=AGENCY, settings=settings)
    # 9 manifest rows and the unlisted scan: 10 places, chunks of 3 at most, the dossier of 1 and 5 whole
    assert plan.files == 10 and sorted(p for chunk in plan.chunks for p in chunk) == list(range(10))
    assert all(len(chunk) <= 3 for chunk in plan.chunks if not {1, 5} <= set(chunk))
    assert any({1, 5} <= set(chunk) for chunk in plan.chunks)
    with session_scope() as s:  # the plan takes nothing
        assert not s.scalars(select(Document)).all() and not s.scalars(select(QuarantineEntry)).all()

    reports = [take_chunk(batch, plan.batch_id, chunk, province=PROVINCE, agency_code=AGENCY, settings=settings)
               for chunk in reversed(plan.chunks)]
    accepted = [i for r in reports for i in r.accepted]
    reasons = {q.file_name: q.reason_code for r in reports for q in r.quarantined}
    # scan_0 comes first in the batch's order: its copy is the duplicate, whichever chunk ran first
    assert reasons == {"copy_of_scan_0.png": QuarantineReason.DUPLICATE, "hong.pdf": QuarantineReason.CORRUPT,
                       "thua.png": QuarantineReason.NOT_IN_MANIFEST}
    assert len(accepted) == len(set(accepted)) == 7
    with session_scope() as s:
        docs = {d.file_name: d for d in s.scalars(select(Document))}
    assert set(docs) == {f"scan_{i}.png" for i in range(7)}
    assert {d.id for d in docs.values()} == set(accepted)

    # a chunk run again (a retry) and the whole batch again take nothing twice
    again = take_chunk(batch, plan.batch_id, plan.chunks[0], province=PROVINCE, agency_code=AGENCY,
                       settings=settings)
    assert again.already_taken == len(again.accepted)
    whole = intake_batch(batch, province=PROVINCE, agency_code=AGENCY, settings=settings)
    assert whole.batch_id == plan.batch_id and sorted(whole.accepted) == sorted(accepted)
    with session_scope() as s:
        assert len(s.scalars(select(Document)).all()) == 7
        assert len(s.scalars(select(QuarantineEntry)).all()) == 3


def _same_bytes_apart(folder: Path) -> Path:
    """A batch whose manifest puts two copies of one scan far apart (places 0 and 5: in chunks of 2,
    a plan that looked only at places would put them in different chunks), the first copy's name
    last by name, and a different scan of the copies' size (f.png)."""
    folder.mkdir()
    names = ["z_goc.png", "a.png", "b.png", "c.png", "d.png", "a_ban_sao.png", "e.png", "f.png"]
    for i, name in enumerate(names):
        copy = name in ("z_goc.png", "a_ban_sao.png")  # the others: each its own size but f.png's
        (folder / name).write_bytes(_png(40) if copy else _png(41) if name == "f.png" else _png(120, 800 + 400 * i))
    (folder / "manifest.csv").write_text("file,province,agency_code,document_type,dossier_code,pages\n"
                                         + "".join(f"{n},,,,,1\n" for n in names), encoding="utf-8")
    return folder


def test_of_the_same_bytes_the_first_place_in_the_batch_is_taken_whatever_order_chunks_run_in(
        env: Settings, tmp_path: Path) -> None:
    settings = env.model_copy(update={"chunk_size": 2, "min_chunks": 2})
    batch = _same_bytes_apart(tmp_path / "batch")
    plan = plan_batch(batch, province=PROVINCE, agency_code=AGENCY, settings=settings)
    assert sorted(p for chunk in plan.chunks for p in chunk) == list(range(8)) and len(plan.chunks) >= 3

    reports = [take_chunk(batch, plan.batch_id, chunk, province=PROVINCE, agency_code=AGENCY, settings=settings)
               for chunk in reversed(plan.chunks)]  # the copy's chunk first (or with it)
    quarantined = [q for r in reports for q in r.quarantined]
    assert [(q.file_name, q.reason_code) for q in quarantined] == [("a_ban_sao.png", QuarantineReason.DUPLICATE)]
    assert "z_goc.png" in str(quarantined[0])  # the duplicate of the first place
    with session_scope() as s:
        docs = {d.file_name: d.id for d in s.scalars(select(Document))}
    assert set(docs) == {"z_goc.png", "a.png", "b.png", "c.png", "d.png", "e.png", "f.png"}
    assert sorted(i for r in reports for i in r.accepted) == sorted(docs.values())
    # how: the copies are in one chunk, which takes them in the batch's order
    assert any({0, 5} <= set(chunk) for chunk in plan.chunks)
    assert not any({0, 7} <= set(chunk) for chunk in plan.chunks)  # same size is not the same bytes
    assert plan.hashed == 3  # only the three files of one size were read

    # a chunk retried after its worker died between the first copy and its duplicate takes nothing twice
    (copies,) = [chunk for chunk in plan.chunks if 0 in chunk]
    again = take_chunk(batch, plan.batch_id, list(reversed(copies)), province=PROVINCE, agency_code=AGENCY,
                       settings=settings)
    assert again.already_taken == len(again.accepted) == len(copies) - 1
    assert [q.file_name for q in again.quarantined] == ["a_ban_sao.png"]
    with session_scope() as s:
        assert len(s.scalars(select(Document)).all()) == 7 and len(s.scalars(select(QuarantineEntry)).all()) == 1


class _PowerCut(BaseException):
    """A worker's death in the middle of a transaction: nothing of it is committed."""


@pytest.mark.parametrize("cut", ["first copy uncommitted", "duplicate not yet quarantined"])
def test_a_chunk_cut_off_and_retried_keeps_the_first_place(env: Settings, tmp_path: Path, cut: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import intake.batch as intake_batch_module

    settings = env.model_copy(update={"chunk_size": 2, "min_chunks": 2})
    batch = _same_bytes_apart(tmp_path / "batch")
    plan = plan_batch(batch, province=PROVINCE, agency_code=AGENCY, settings=settings)
    (copies,) = [chunk for chunk in plan.chunks if 0 in chunk]

    def power_cut(*_args: object) -> None:
        raise _PowerCut

    if cut == "first copy uncommitted":  # z_goc.png's rows flushed, never committed
        monkeypatch.setattr(intake_batch_module, "crash_point",
                            lambda name: power_cut() if name == "intake.before_commit" else None)
    else:  # z_goc.png committed, the worker dies quarantining its copy
        monkeypatch.setattr(intake_batch_module, "_quarantine", power_cut)
    with pytest.raises(_PowerCut):
        take_chunk(batch, plan.batch_id, copies, province=PROVINCE, agency_code=AGENCY, settings=settings)
    monkeypatch.undo()
    for chunk in reversed(plan.chunks):  # the other chunks first, then the retry
        take_chunk(batch, plan.batch_id, chunk, province=PROVINCE, agency_code=AGENCY, settings=settings)
    with session_scope() as s:
        assert {d.file_name for d in s.scalars(select(Document))} == {"z_goc.png", "a.png", "b.png", "c.png",
                                                                        "d.png", "e.png", "f.png"}
        assert [(q.file_name, q.reason_code) for q in s.scalars(select(QuarantineEntry))] == \
            [("a_ban_sao.png", QuarantineReason.DUPLICATE)]


def test_the_same_bytes_in_chunks_taken_at_once_are_taken_once(env: Settings, tmp_path: Path) -> None:
    """The plan puts copies of one scan in one chunk; should chunks still meet them at the same
    moment (two batches holding one scan, or chunks cut otherwise), it is one document and the other
    copies are duplicates: the lock per checksum."""
    settings = env.model_copy(update={"chunk_size": 1, "min_chunks": 1})
    batch = tmp_path / "batch"
    batch.mkdir()
    for i in range(6):
        (batch / f"ban_sao_{i}.png").write_bytes(_png(77))
    plan = plan_batch(batch, province=PROVINCE, agency_code=AGENCY, settings=settings)
    assert plan.chunks == [list(range(6))] and plan.hashed == 6

    def take(chunk: list[int]) -> tuple[list[int], list[QuarantineReason]]:
        report = take_chunk(batch, plan.batch_id, chunk, province=PROVINCE, agency_code=AGENCY, settings=settings)
        return report.accepted, [q.reason_code for q in report.quarantined]

    with ThreadPoolExecutor(max_workers=6) as pool:  # one place a chunk, all at once
        results = list(pool.map(take, [[p] for p in range(6)]))
    assert sum(len(accepted) for accepted, _ in results) == 1
    assert Counter(r for _, reasons in results for r in reasons) == {QuarantineReason.DUPLICATE: 5}
    with session_scope() as s:
        assert len(s.scalars(select(Document)).all()) == 1


def test_an_inbox_chunk_copies_only_its_own_files(sohoa_env: Settings) -> None:
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    inbox = store.bucket("inbox")
    names = [f"tram-2/to_{i}.png" for i in range(4)]
    for i, name in enumerate(names):
        store.put_bytes(inbox, f"lo-9/{name}", _png(60 + i))
    url = f"s3://{inbox}/lo-9/"
    settings = sohoa_env.model_copy(update={"chunk_size": 2, "min_chunks": 2})
    plan = plan_batch(url, province=PROVINCE, agency_code=AGENCY, settings=settings, store=store)
    assert plan.files == 4 and len(plan.chunks) == 2
    copied = []
    real_download = store.download

    def download(bucket: str, key: str, target: Path) -> None:
        copied.append(key)
        real_download(bucket, key, target)

    store.download = download  # type: ignore[method-assign]
    report = take_chunk(url, plan.batch_id, plan.chunks[1], province=PROVINCE, agency_code=AGENCY,
                        settings=settings, store=store)
    assert sorted(copied) == [f"lo-9/{names[p]}" for p in sorted(plan.chunks[1])]
    assert len(report.accepted) == 2 and not report.quarantined
    with session_scope() as s:
        assert {d.file_name for d in s.scalars(select(Document))} == {names[p] for p in plan.chunks[1]}


def test_an_inbox_plan_reads_only_objects_of_a_shared_size_and_keeps_the_first_copy(sohoa_env: Settings) -> None:
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    inbox = store.bucket("inbox")
    objects = {"1.png": _png(40), "2.png": _png(90, 900), "3.png": _png(40), "4.png": _png(41)}  # 4: 1's size
    for name, data in objects.items():
        store.put_bytes(inbox, f"lo-7/{name}", data)
    url = f"s3://{inbox}/lo-7/"
    settings = sohoa_env.model_copy(update={"chunk_size": 1, "min_chunks": 1})
    copied: list[str] = []
    real_download = store.download

    def download(bucket: str, key: str, target: Path) -> int:
        copied.append(key)
        return real_download(bucket, key, target)

    store.download = download  # type: ignore[method-assign]
    plan = plan_batch(url, province=PROVINCE, agency_code=AGENCY, settings=settings, store=store)
    assert sorted(copied) == ["lo-7/1.png", "lo-7/3.png", "lo-7/4.png"] and plan.hashed == 3
    assert sorted(plan.chunks) == [[0, 2], [1], [3]]
    for chunk in reversed(plan.chunks):
        take_chunk(url, plan.batch_id, chunk, province=PROVINCE, agency_code=AGENCY, settings=settings, store=store)
    with session_scope() as s:
        assert {d.file_name for d in s.scalars(select(Document))} == {"1.png", "2.png", "4.png"}
        assert [(q.file_name, q.reason_code) for q in s.scalars(select(QuarantineEntry))] == \
            [("3.png", QuarantineReason.DUPLICATE)]
