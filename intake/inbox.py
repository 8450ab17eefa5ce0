"""A batch in the object store: `s3://<inbox bucket>/<prefix>/`, scans and manifest.csv under one prefix.

Scanning stations upload a batch to the inbox bucket (SOHOA_BUCKET_PREFIX + "inbox"); any worker can
then take it, with no disk shared between machines. The objects are copied one at a time into a
scratch folder (streamed to disk, never held in memory) and the folder is taken like any local batch
folder: the same manifest rules, the same inspection and quarantine. The batch is known by its URL.

An object whose key cannot be a file name inside the batch (`..`, an empty part, a backslash) is
quarantined with its reason, never written outside the scratch folder.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from intake.inspect import QuarantineReason, RejectedFile
from intake.manifest import ManifestError
from storage.objects import ObjectStore

SCHEME = "s3://"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def is_store_location(location: Path | str) -> bool:
    return isinstance(location, str) and location.startswith(SCHEME)


def parse_location(location: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix/` -> ("bucket", "some/prefix/"); the prefix always ends in "/"
    (an empty prefix means the whole bucket)."""
    rest = location[len(SCHEME):]
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET.match(bucket):
        raise ManifestError(location, f"«{bucket}» không phải tên bucket S3 hợp lệ")
    prefix = prefix.strip("/")
    if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
        raise ManifestError(location, "tiền tố (prefix) của lô có phần rỗng, «.» hoặc «..»")
    return bucket, f"{prefix}/" if prefix else ""


def canonical_location(location: str) -> str:
    bucket, prefix = parse_location(location)
    return f"{SCHEME}{bucket}/{prefix}"


def _unsafe(name: str) -> str | None:
    """Why an object's name (relative to the prefix) cannot be a file of the batch folder, or None."""
    if "\\" in name or "\x00" in name:
        return "tên đối tượng có ký tự «\\» hoặc NUL"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return "tên đối tượng có phần rỗng, «.» hoặc «..» (trỏ ra ngoài lô)"
    if any(len(part.encode()) > 255 for part in name.split("/")):
        return "tên đối tượng có một phần dài quá 255 byte"
    return None


@dataclass
class StagedBatch:
    location: str  # the canonical s3:// URL: the batch's key, stored as Batch.location
    folder: Path  # the scratch copy intake reads
    refused: list[RejectedFile] = field(default_factory=list)  # objects that cannot be files of the batch
    objects: int = 0


@contextmanager
def staged(location: str, store: ObjectStore) -> Iterator[StagedBatch]:
    """Copy every object under the prefix into a scratch folder, removed on leaving."""
    bucket, prefix = parse_location(location)
    inbox = store.bucket("inbox")
    if bucket != inbox:
        # Intake reads from the inbox only: a URL must not make it copy results or raw scans of other
        # batches (or another tenant's bucket) into a new batch.
        raise ManifestError(location, f"lô trên kho đối tượng phải nằm trong bucket tiếp nhận «{inbox}», "
                                      f"không phải «{bucket}»")
    keys = [k for k in store.list_keys(bucket, prefix) if not k.endswith("/")]  # "folder" markers
    if not keys:
        raise ManifestError(location, "không có tệp nào dưới tiền tố này trong bucket tiếp nhận")
    with tempfile.TemporaryDirectory(prefix="sohoa-inbox-") as tmp:
        batch = StagedBatch(canonical_location(location), Path(tmp).resolve())
        for key in keys:
            name = key[len(prefix):]
            why = _unsafe(name)
            if why is not None:
                batch.refused.append(RejectedFile(name, QuarantineReason.OUTSIDE_BATCH, why))
                continue
            target = batch.folder / name
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                store.download(bucket, key, target)
            except (FileExistsError, NotADirectoryError, IsADirectoryError):  # "a" beside "a/b"
                batch.refused.append(RejectedFile(name, QuarantineReason.UNREADABLE,
                                                  "một tệp và một thư mục trùng tên dưới tiền tố của lô"))
                continue
            batch.objects += 1
        yield batch
