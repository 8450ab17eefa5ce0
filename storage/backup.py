"""Backup and restore of the system of record (Decree 137/2024 Art. 13: restore operation quickly).

A backup is a plain directory, readable without sohoa and portable across database engines:

    DIR/manifest.json           format, time, source engine and bucket prefix, schema revisions,
                                per table: row count and SHA-256 of its file; object count and bytes
    DIR/db/<table>.jsonl        one JSON object per row (times as ISO 8601, binary as base64)
    DIR/objects.jsonl           one line per object: bucket role, key, SHA-256, size, type, metadata
    DIR/objects/<role>/<key>    the objects themselves (latest version of each key)

`restore` checks every file against the manifest before writing anything, refuses a non-empty
target database, brings it to the same schema, inserts the rows in foreign-key order (SQLite →
PostgreSQL and back both work), and puts the objects into the target store's buckets (a new
bucket prefix is fine: bucket names stored in rows are mapped to the new ones).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Engine, LargeBinary, MetaData, Table, func, select, text

from core.exitcodes import ExitCode
from core.settings import Settings, get_settings
from storage.db import get_engine, upgrade
from storage.objects import BUCKETS, ObjectStore, sha256_hex

log = logging.getLogger(__name__)
FORMAT = "sohoa-backup/1"
_SKIP_TABLES = frozenset({"alembic_version"})
_BATCH = 500


class BackupError(RuntimeError):
    """The backup directory is incomplete or altered, or the target is not fit for a restore."""

    exit_code: ExitCode = ExitCode.BAD_INPUT
    headline = "Sao lưu hoặc khôi phục thất bại"


@dataclass(frozen=True)
class BackupSummary:
    directory: Path
    rows: dict[str, int]
    objects: int
    object_bytes: int


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    return value


def _from_json(value: Any, column_type: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, DateTime) and isinstance(value, str):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date) and isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(column_type, LargeBinary) and isinstance(value, str):
        return base64.b64decode(value)
    return value


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _heads(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        try:
            return sorted(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))
        except Exception:
            return []


def _tables(engine: Engine) -> list[Table]:
    meta = MetaData()
    meta.reflect(engine)
    return [t for t in meta.sorted_tables if t.name not in _SKIP_TABLES]


def _safe_key(key: str) -> Path:
    path = Path(key)
    if path.is_absolute() or ".." in path.parts:
        raise BackupError(f"object key {key!r} would leave the backup directory")
    return path


# ---------------------------------------------------------------- backup
PROGRESS_EVERY = 200  # objects between two progress lines


def backup(dest: Path, settings: Settings | None = None, store: ObjectStore | None = None,
           progress: Callable[[str], None] | None = None) -> BackupSummary:
    """Rows of every table and every object (locked results as their originals, other versions kept)
    into `dest`; `progress` gets a Vietnamese line per table, per bucket and every few hundred objects."""
    say = progress or (lambda _line: None)
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    dest.mkdir(parents=True, exist_ok=True)
    if (dest / "manifest.json").exists():
        raise BackupError(f"{dest} already holds a backup (manifest.json): choose an empty directory")
    engine = get_engine(settings.db_url)
    (dest / "db").mkdir(exist_ok=True)
    tables: dict[str, dict[str, Any]] = {}
    # One read transaction: the rows of all tables belong to one moment (REPEATABLE READ on PostgreSQL).
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        for table in _tables(engine):
            path = dest / "db" / f"{table.name}.jsonl"
            count = 0
            order = list(table.primary_key.columns) or list(table.columns)
            with path.open("w", encoding="utf-8") as out:
                for row in conn.execute(select(table).order_by(*order)).mappings():
                    out.write(json.dumps({k: _jsonable(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
                    count += 1
            tables[table.name] = {"rows": count, "sha256": _file_sha256(path)}
            say(f"bảng {table.name}: {count} dòng")
    objects, total_bytes = 0, 0
    with (dest / "objects.jsonl").open("w", encoding="utf-8") as index:
        for role in BUCKETS:
            bucket = store.bucket(role)
            if not store._call(store.client.bucket_exists, bucket):
                continue
            locked = store.is_locked_bucket(bucket)
            say(f"bucket {bucket}: đang sao lưu…")
            # Results: every key ever stored (a delete marker does not hide one from the backup), each
            # as its locked original version, not whatever was written on top (docs/security.md).
            for key in (store.list_result_keys(bucket) if locked else store.list_keys(bucket)):
                original = store.original(bucket, key) if locked else None
                version = original.version_id if original else None
                st = store._call(store.client.stat_object, bucket, key, version_id=version)
                data = store.get_bytes(bucket, key, version_id=version)  # verifies the SHA-256 kept in metadata
                target = dest / "objects" / role / _safe_key(key)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                meta = store.metadata(bucket, key, version_id=version)
                meta.pop("sha256", None)
                index.write(json.dumps({"role": role, "key": key, "sha256": sha256_hex(data), "size": len(data),
                                        "content_type": st.content_type or "application/octet-stream",
                                        "metadata": meta}, ensure_ascii=False) + "\n")
                objects += 1
                total_bytes += len(data)
                if objects % PROGRESS_EVERY == 0:
                    say(f"đã sao lưu {objects} đối tượng ({total_bytes // (1 << 20)} MiB)")
                # Every other version of a locked key (written on top of the original), oldest first,
                # after the original: a restore puts them back on top in that order (nothing lost, and
                # reads still go to the original).
                others = [v.version_id for v in reversed(store._versions(bucket, key))
                          if not v.is_delete_marker and v.version_id and v.version_id != version] if locked else []
                for n, version_id in enumerate(others):
                    data = store.get_bytes(bucket, key, version_id=version_id)
                    rel = Path("objects-versions") / role / _safe_key(key) / str(n)
                    (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                    (dest / rel).write_bytes(data)
                    st = store._call(store.client.stat_object, bucket, key, version_id=version_id)
                    meta = {k: v for k, v in store.metadata(bucket, key, version_id=version_id).items() if k != "sha256"}
                    index.write(json.dumps({"role": role, "key": key, "version": n, "path": str(rel),
                                            "sha256": sha256_hex(data), "size": len(data),
                                            "content_type": st.content_type or "application/octet-stream",
                                            "metadata": meta}, ensure_ascii=False) + "\n")
                    objects += 1
                    total_bytes += len(data)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "source": {"dialect": engine.dialect.name, "bucket_prefix": settings.bucket_prefix,
                   "schema_heads": _heads(engine)},
        "tables": tables,
        "objects": {"count": objects, "bytes": total_bytes, "index_sha256": _file_sha256(dest / "objects.jsonl")},
    }
    (dest / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return BackupSummary(dest, {k: v["rows"] for k, v in tables.items()}, objects, total_bytes)


# ---------------------------------------------------------------- restore
def read_manifest(src: Path) -> dict[str, Any]:
    path = src / "manifest.json"
    if not path.exists():
        raise BackupError(f"{path}: missing — not a sohoa backup directory")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    return manifest


def verify_backup(src: Path) -> dict[str, Any]:
    """Check every file against the manifest; raises BackupError naming the first bad file."""
    manifest = read_manifest(src)
    for name, info in manifest["tables"].items():
        path = src / "db" / f"{name}.jsonl"
        if not path.exists() or _file_sha256(path) != info["sha256"]:
            raise BackupError(f"{path}: missing or altered since the backup (SHA-256 differs from manifest.json)")
    index = src / "objects.jsonl"
    if not index.exists() or _file_sha256(index) != manifest["objects"]["index_sha256"]:
        raise BackupError(f"{index}: missing or altered since the backup")
    for entry in _object_entries(src):
        path = _entry_path(src, entry)
        if not path.exists() or _file_sha256(path) != entry["sha256"]:
            raise BackupError(f"{path}: missing or altered since the backup (SHA-256 differs from objects.jsonl)")
    return manifest


def _entry_path(src: Path, entry: dict[str, Any]) -> Path:
    """Where an object's bytes are in the backup: the latest (of a result, its original) under objects/,
    the other versions under objects-versions/<role>/<key>/<n> (n = 0 for the oldest)."""
    if entry.get("version") is not None:
        path = (src / entry["path"]).resolve()
        if not path.is_relative_to((src / "objects-versions").resolve()):
            raise BackupError(f"object version path {entry['path']!r} would leave the backup directory")
        return path
    return src / "objects" / entry["role"] / _safe_key(entry["key"])


def _object_entries(src: Path) -> Iterator[dict[str, Any]]:
    with (src / "objects.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def restore(src: Path, settings: Settings | None = None, store: ObjectStore | None = None,
            progress: Callable[[str], None] | None = None) -> BackupSummary:
    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    manifest = verify_backup(src)
    upgrade(settings.db_url)
    engine = get_engine(settings.db_url)
    heads = _heads(engine)
    if heads != manifest["source"]["schema_heads"]:
        raise BackupError(f"schema differs: backup at {manifest['source']['schema_heads']}, target at {heads}; "
                          "restore with the sohoa version that made the backup, then upgrade")
    targets = {t.name: t for t in _tables(engine)}
    unknown = sorted(set(manifest["tables"]) - set(targets))
    if unknown:
        raise BackupError(f"tables {unknown} of the backup do not exist in the target database")
    old_prefix = manifest["source"]["bucket_prefix"]
    bucket_map = {old_prefix + role: store.bucket(role) for role in BUCKETS}
    rows: dict[str, int] = {}
    with engine.begin() as conn:
        busy = [name for name, t in targets.items()
                if conn.execute(select(func.count()).select_from(t)).scalar_one()]
        if busy:
            raise BackupError(f"target database is not empty (rows in {busy}): restore only into an empty one")
        for name, table in targets.items():  # foreign-key order
            if name not in manifest["tables"]:
                continue
            types = {c.name: c.type for c in table.columns}
            batch: list[dict[str, Any]] = []
            count = 0
            for row in _rows(src / "db" / f"{name}.jsonl"):
                values = {k: _from_json(v, types[k]) for k, v in row.items() if k in types}
                for k, v in values.items():
                    if isinstance(v, str) and "bucket" in k and v in bucket_map:
                        values[k] = bucket_map[v]
                batch.append(values)
                count += 1
                if len(batch) >= _BATCH:
                    conn.execute(table.insert(), batch)
                    batch = []
            if batch:
                conn.execute(table.insert(), batch)
            rows[name] = count
            if engine.dialect.name == "postgresql" and "id" in table.c and count:
                # Rows came with their ids: move the sequence past them.
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT max(id) FROM {name}))"))
    store.ensure_buckets()
    objects, total = 0, 0
    for entry in _object_entries(src):
        data = _entry_path(src, entry).read_bytes()
        # The versions written on top of an original: each as a new version on top, in their order.
        put = store.put_version if entry.get("version") is not None else store.put_bytes
        put(store.bucket(entry["role"]), entry["key"], data, content_type=entry["content_type"],
            metadata=entry["metadata"])
        objects += 1
        total += len(data)
        if progress is not None and objects % PROGRESS_EVERY == 0:
            progress(f"đã khôi phục {objects} đối tượng ({total // (1 << 20)} MiB)")
    log.info("restored %d rows in %d tables and %d objects from %s", sum(rows.values()), len(rows), objects, src)
    return BackupSummary(src, rows, objects, total)
