"""A batch in the object store: `s3://<inbox bucket>/<prefix>/`, scans and manifest.csv under one prefix.

Scanning stations upload a batch to the inbox bucket (SOHOA_BUCKET_PREFIX + "inbox"); any worker can
then take it, with no disk shared between machines. The objects are copied one at a time into a
scratch folder (streamed to disk, never held in memory) and the folder is taken like any local batch
folder: the same manifest rules, the same inspection and quarantine. The batch is known by its URL.

An object whose key cannot be a file name inside the batch (`..`, an empty part, a backslash) is
quarantined with its reason, never written outside the scratch folder.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from intake.inspect import QuarantineReason, RejectedFile
from intake.manifest import MANIFEST_NAME, ManifestError, nfc
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
    # lazy staging: every object's name in the batch (NFC name -> name as stored), fetched on demand
    names: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)  # name as stored -> size in bytes (the listing's)
    _source: tuple[ObjectStore, str, str] | None = None  # store, bucket, prefix

    def fetch(self, name: str) -> None:
        """Copy the object a (NFC) name means into the folder, if there is one and it is not there yet."""
        stored = self.names.get(nfc(name))
        if stored is None or self._source is None or (self.folder / stored).exists():
            return
        store, bucket, prefix = self._source
        target = self.folder / stored
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            store.download(bucket, prefix + stored, target)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):  # "a" beside "a/b"
            raise RejectedFile(stored, QuarantineReason.UNREADABLE, _CLASH) from None
        self.objects += 1

    def checksum(self, name: str) -> str | None:
        """The SHA-256 of the object a (NFC) name means, streamed through a scratch file removed
        afterwards (a plan reads the bytes of a few objects, never keeps them); None if there is none."""
        stored = self.names.get(nfc(name))
        if stored is None or self._source is None:
            return None
        store, bucket, prefix = self._source
        with tempfile.NamedTemporaryFile(dir=self.folder, prefix=".checksum-") as scratch:
            store.download(bucket, prefix + stored, Path(scratch.name))
            with open(scratch.name, "rb") as f:
                return hashlib.file_digest(f, "sha256").hexdigest()


_CLASH = "một tệp và một thư mục trùng tên dưới tiền tố của lô"


@contextmanager
def staged(location: str, store: ObjectStore, *, lazy: bool = False) -> Iterator[StagedBatch]:
    """Copy every object under the prefix into a scratch folder, removed on leaving. `lazy`: copy
    only the manifest and list the rest (`StagedBatch.names`); a part of the batch taken on one
    worker (intake.batch.take_chunk) fetches only its own files."""
    bucket, prefix = parse_location(location)
    inbox = store.bucket("inbox")
    if bucket != inbox:
        # Intake reads from the inbox only: a URL must not make it copy results or raw scans of other
        # batches (or another tenant's bucket) into a new batch.
        raise ManifestError(location, f"lô trên kho đối tượng phải nằm trong bucket tiếp nhận «{inbox}», "
                                      f"không phải «{bucket}»")
    sizes = {k: size for k, size in store.list_sizes(bucket, prefix).items() if not k.endswith("/")}  # "folders"
    keys = sorted(sizes)
    if not keys:
        raise ManifestError(location, "không có tệp nào dưới tiền tố này trong bucket tiếp nhận")
    with tempfile.TemporaryDirectory(prefix="sohoa-inbox-") as tmp:
        batch = StagedBatch(canonical_location(location), Path(tmp).resolve(), _source=(store, bucket, prefix))
        for key in keys:
            name = key[len(prefix):]
            why = _unsafe(name)
            if why is not None:
                batch.refused.append(RejectedFile(name, QuarantineReason.OUTSIDE_BATCH, why))
                continue
            batch.names.setdefault(nfc(name), name)
            batch.sizes[name] = sizes[key]
            if lazy and name != MANIFEST_NAME:
                continue
            try:
                batch.fetch(name)
            except RejectedFile as clash:
                batch.refused.append(clash)
                del batch.names[nfc(name)]
        yield batch
