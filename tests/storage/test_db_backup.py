"""Backup and restore (Decree 137/2024 Art. 13), across engines: a backup restored into an empty
DB and an empty store passes the fixity audit with the same row and object counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from core.settings import Settings, reset_settings
from storage import db as storage_db
from storage.backup import BackupError, backup, restore, verify_backup
from storage.fixity import audit_results
from storage.models import Document, OutboxEvent, Result, Revocation, Signature
from storage.objects import ObjectStore
from sync.revocation import revoke_result

pytestmark = pytest.mark.integration


def _counts(settings: Settings) -> dict[str, int]:
    engine = storage_db.get_engine(settings.db_url)
    with engine.connect() as conn:
        return {m.__tablename__: conn.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (Document, Result, OutboxEvent, Signature, Revocation)}


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_rule13_backup_restores_into_an_empty_system(target: str, sohoa_env: Settings, stored_result, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch, new_pg_url) -> None:  # type: ignore[no-untyped-def]
    store = ObjectStore(sohoa_env)
    results = [stored_result(sohoa_env, store) for _ in range(3)]
    revoke_result(results[0].result_code, "Hết hiệu lực", actor="can-bo-a")
    source_counts = _counts(sohoa_env)
    source_objects = {k.removeprefix(sohoa_env.bucket_prefix): v for k, v in store.count_objects().items()}

    summary = backup(tmp_path / "bk", sohoa_env, store)
    assert summary.rows["results"] == 3 and summary.objects == sum(source_objects.values())
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(storage_db.alembic_config(sohoa_env.db_url)).get_heads()
    assert manifest["source"]["dialect"] == "sqlite" and sorted(manifest["source"]["schema_heads"]) == sorted(heads)
    assert (tmp_path / "bk" / "objects" / "results" / results[1].pdf_key).read_bytes()[:5] == b"%PDF-"

    # an empty system of record: its own DB (SQLite file or PostgreSQL database) and a new bucket prefix
    url = f"sqlite:///{tmp_path / 'restored.db'}" if target == "sqlite" else new_pg_url()
    monkeypatch.setenv("SOHOA_DATABASE_URL", url)
    monkeypatch.setenv("SOHOA_BUCKET_PREFIX", sohoa_env.bucket_prefix + "r-")
    reset_settings()
    restored = Settings()
    target_store = ObjectStore(restored)
    assert restore(tmp_path / "bk", restored, target_store).objects == summary.objects

    assert storage_db.get_engine(restored.db_url).dialect.name == target
    assert _counts(restored) == source_counts
    assert {k.removeprefix(restored.bucket_prefix): v for k, v in target_store.count_objects().items()} == source_objects
    with storage_db.session_scope(restored.db_url) as s:
        buckets = set(s.scalars(select(Result.stored_bucket)))
        assert buckets == {target_store.bucket("results")}  # rows point at the new buckets
        assert s.scalar(select(Result.still_valid).where(Result.result_code == results[0].result_code)) is False
    report = audit_results(restored, target_store)
    assert report["checked"] == 9 and report["problems"] == []
    # new rows after a restore get fresh ids (sequences moved past the restored ones)
    revoke_result(results[1].result_code, "Hết hiệu lực", actor="can-bo-b", settings=restored)
    # restoring twice is refused: the target is no longer empty
    with pytest.raises(BackupError, match="not empty"):
        restore(tmp_path / "bk", restored, target_store)


def test_an_altered_backup_is_refused_before_anything_is_written(sohoa_env: Settings, stored_result,
                                                                 tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = ObjectStore(sohoa_env)
    r = stored_result(sohoa_env, store)
    backup(tmp_path / "bk", sohoa_env, store)
    (tmp_path / "bk" / "objects" / "results" / r.fields_key).write_bytes(b'{"forged": true}')
    with pytest.raises(BackupError, match=r.fields_key.split("/")[-1]):
        verify_backup(tmp_path / "bk")
    empty = sohoa_env.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'empty.db'}"})
    with pytest.raises(BackupError):
        restore(tmp_path / "bk", empty, store)
    engine = storage_db.get_engine(empty.db_url)
    with engine.connect() as conn:  # nothing was created
        assert not conn.execute(text("SELECT name FROM sqlite_master WHERE name = 'results'")).first()
    with pytest.raises(BackupError, match="already holds a backup"):
        backup(tmp_path / "bk", sohoa_env, store)


def test_backup_and_restore_commands(sohoa_env: Settings, stored_result, tmp_path: Path, capsys,  # type: ignore[no-untyped-def]
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from sohoa.cli import main

    stored_result(sohoa_env)
    assert main(["backup", str(tmp_path / "bk")]) == 0
    out = capsys.readouterr()
    assert "Đã sao lưu" in out.out
    # progress on stderr, one line per table and bucket (stdout keeps the summary)
    assert "Sao lưu [" in out.err and "bảng documents:" in out.err and "bucket " in out.err
    assert main(["restore", str(tmp_path / "bk")]) == 3  # the configured DB is not empty
    assert "not empty" in capsys.readouterr().err  # errors go to stderr, through the one handler
    monkeypatch.setenv("SOHOA_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    monkeypatch.setenv("SOHOA_BUCKET_PREFIX", sohoa_env.bucket_prefix + "n-")
    reset_settings()
    assert main(["restore", str(tmp_path / "bk")]) == 0
    assert "Đã khôi phục" in capsys.readouterr().out
    assert main(["fixity"]) == 0


def test_backup_keeps_every_version_of_the_locked_buckets(sohoa_env: Settings, stored_result, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A locked object overwritten by a raw S3 put keeps its original underneath: the backup carries
    both versions, and the restore puts them back in order (the latest on top)."""
    import io

    from storage.objects import sha256_hex

    store = ObjectStore(sohoa_env)
    r = stored_result(sohoa_env, store)
    original = store.get_bytes(r.bucket, r.fields_key)
    rewritten = b'{"rewritten": true}'
    store.client.put_object(r.bucket, r.fields_key, io.BytesIO(rewritten), len(rewritten),
                            metadata={"sha256": sha256_hex(rewritten)})
    assert len(store.list_versions(r.bucket, r.fields_key)) == 2
    summary = backup(tmp_path / "bk", sohoa_env, store)
    verify_backup(tmp_path / "bk")

    monkeypatch.setenv("SOHOA_DATABASE_URL", f"sqlite:///{tmp_path / 'restored.db'}")
    monkeypatch.setenv("SOHOA_BUCKET_PREFIX", sohoa_env.bucket_prefix + "v-")
    reset_settings()
    restored = Settings()
    target = ObjectStore(restored)
    assert restore(tmp_path / "bk", restored, target).objects == summary.objects
    bucket = target.bucket("results")
    versions = target.list_versions(bucket, r.fields_key)  # newest first
    assert [target.get_bytes(bucket, r.fields_key, version_id=v) for v in versions] == [rewritten, original]
