"""Object store over the `minio` SDK (SeaweedFS here, MinIO in production).

Every object carries its SHA-256 in metadata; reads verify it (and the DB's value, when the caller
passes it). Writes are idempotent: an object already present with the same checksum is not written
again (no new version). The results bucket is versioned and under object lock (Art. 17): a stored
result is never overwritten by this class, and the server refuses to delete a locked version.

Transient failures (connection refused or reset, timeouts, 5xx, SlowDown) are retried with
exponential backoff; when the store stays down the caller gets `StoreUnavailable` naming the
endpoint. Wrong credentials give `StoreCredentialsRejected`, never a silent anonymous access.
"""

from __future__ import annotations

import hashlib
import io
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.error import S3Error, ServerError
from minio.objectlockconfig import DAYS, ObjectLockConfig

from core.errors import InvalidValue
from core.exitcodes import ExitCode
from core.faults import ServiceFault
from core.settings import Settings, get_settings, s3_refusal
from core.tools import ToolError

log = logging.getLogger(__name__)

# `inbox`: where scanning stations upload a batch (scans + manifest.csv under one prefix) for intake
# to take from (intake/inbox.py), so that workers on several machines need no shared disk.
BUCKETS = ("raw", "work", "results", "reports", "quarantine", "inbox")
# Archival results keep every version and are locked (Art. 17).
# Originals and results are kept under versioning and object lock (Decree 45 Art. 17; the original
# scan is evidence of what was converted): a raw scan can no more be silently replaced than a result.
LOCKED_BUCKETS = frozenset({"raw", "results"})
RETENTION_MODES = {"GOVERNANCE": GOVERNANCE, "COMPLIANCE": COMPLIANCE}

# S3 error codes that mean "try again later", not "your request is wrong".
TRANSIENT_S3_CODES = frozenset({
    "SlowDown", "SlowDownRead", "SlowDownWrite", "InternalError", "ServiceUnavailable", "RequestTimeout",
    "OperationAborted", "XMinioServerNotInitialized",
})
CREDENTIAL_S3_CODES = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch", "AuthorizationHeaderMalformed"})
_MISSING = frozenset({"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound", "NoSuchVersion"})

T = TypeVar("T")


class StoreUnavailable(ServiceFault, RuntimeError):
    """The S3 server cannot be reached, or kept failing, after every retry."""


class StoreDiskFull(StoreUnavailable):
    """The embedded S3 server (SOHOA_HOME/s3) keeps failing because its disk is full. Once space is
    freed the next command restarts it by itself (`ObjectStore._restart_embedded`)."""

    own_line = True


def _embedded_dir(settings: Settings) -> Path | None:
    data = settings.home / "s3"
    return data if (data / "weed.pid").exists() else None  # not our server: its disk is not ours to judge


def embedded_disk_full(settings: Settings) -> str | None:
    """When the embedded server's data folder is (nearly) full, the one line saying so; else None."""
    import os

    data = _embedded_dir(settings)
    if data is None:
        return None
    fs = os.statvfs(data)
    free, total = fs.f_bavail * fs.f_frsize, fs.f_blocks * fs.f_frsize
    if free >= min(total // 100, 256 << 20):  # SeaweedFS stops writing below 1 % free by default
        return None
    return (f"Hết dung lượng đĩa của máy chủ S3 nhúng ({data}, còn {free // 1024} KB trống): giải phóng "
            "dung lượng rồi chạy lại lệnh — máy chủ S3 tự phục hồi, các hồ sơ đã xong không bị làm lại")


class StoreCredentialsRejected(ServiceFault, PermissionError):
    """The S3 server refused the configured access key / secret."""


class ChecksumMismatch(RuntimeError):
    exit_code: ExitCode = ExitCode.BAD_INPUT
    headline = "Đối tượng lưu trữ bị sai lệch"


class ObjectLocked(PermissionError):
    """A locked result version cannot be deleted or replaced (Art. 17, object lock)."""

    # Nothing of ours overwrites or deletes a result: reaching the command line would be a defect.
    exit_code: ExitCode = ExitCode.UNEXPECTED


class ObjectMissing(LookupError):
    """No version at all of a result the DB vouches for (the fixity audit records it as `missing`)."""

    code = "NoSuchKey"
    exit_code: ExitCode = ExitCode.BAD_INPUT  # like ChecksumMismatch: the stored object is not what was stored


class StoreSetupRequired(ServiceFault, PermissionError):
    """A bucket or its object lock is missing and no administrator key is at hand to make it."""


@dataclass(frozen=True)
class ObjectRef:
    bucket: str
    key: str
    sha256: str
    size: int
    version_id: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class Retention:
    mode: str  # GOVERNANCE | COMPLIANCE
    retain_until: datetime


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode_metadata(value: str) -> str:
    # The minio SDK refuses non-ASCII header values: percent-encode Vietnamese text.
    return quote(value, safe=" -_.,:/()")


def decode_metadata(value: str) -> str:
    return unquote(value)


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: the network or the server is (hopefully) temporarily unable to serve."""
    if isinstance(exc, S3Error):
        return exc.code in TRANSIENT_S3_CODES
    if isinstance(exc, ServerError):  # 5xx without an S3 XML body
        return True
    return isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError))


def backoff_delay(attempt: int, *, base: float = 0.25, cap: float = 4.0) -> float:
    """Delay after failed attempt `attempt` (1, 2, …): exponential, capped, half of it jittered."""
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class ObjectStore:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        secret = self.settings.s3_secret_key.get_secret_value()
        if not self.settings.s3_access_key or not secret:
            # Anonymous access is never used: an archive without credentials is open to anyone.
            raise StoreCredentialsRejected("SOHOA_S3_ACCESS_KEY and SOHOA_S3_SECRET_KEY must both be set")
        refusal = s3_refusal(self.settings)
        if refusal:  # before any request: the keys must not even be sent
            raise InvalidValue(refusal)
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=3.0, read=60.0),
            # Retries are ours (`_call`): one policy for connection errors, 5xx and SlowDown alike.
            retries=urllib3.Retry(total=0, connect=0, read=0, redirect=0, status=0, raise_on_status=False),
            maxsize=8,
        )
        self._http = http
        self.client = self._client(self.settings.s3_access_key, secret)
        self.max_attempts = max(1, self.settings.s3_max_attempts)
        self.last_attempts = 0  # attempts used by the latest call (operators' logs, tests)
        self.retries = 0  # retries since this store was made

    def _client(self, access_key: str, secret_key: str) -> Minio:
        return Minio(self.settings.s3_endpoint, access_key=access_key, secret_key=secret_key,
                     secure=self.settings.s3_secure, region=self.settings.s3_region, http_client=self._http)

    def admin_client(self) -> Minio | None:
        """The administrator's client (setup only: buckets, object lock), or None when no key is at hand.

        SOHOA_S3_ADMIN_ACCESS_KEY/SECRET_KEY when set (a setup run), else the keys the embedded server
        made under SOHOA_HOME/s3. The pipeline's own key never has these rights."""
        access, secret = self.settings.s3_admin_access_key, self.settings.s3_admin_secret_key.get_secret_value()
        if not (access and secret):
            from storage._exec import weed  # the embedded server's own keys, if it runs from this home

            made = weed.admin_credentials(self.settings.home / "s3")
            if made is None:
                return None
            access, secret = made
        return self._client(access, secret)

    def _credentials_rejected(self) -> bool:
        """A HEAD request answers a bad signature with a bare 403; a signed GET says which it was."""
        try:
            self.client.list_buckets()
        except S3Error as exc:
            return exc.code in CREDENTIAL_S3_CODES
        except Exception:
            return False
        return False

    def bucket(self, name: str) -> str:
        return self.settings.bucket(name)

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        endpoint = self.settings.s3_endpoint
        for attempt in range(1, self.max_attempts + 1):
            self.last_attempts = attempt
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if isinstance(exc, S3Error) and (exc.code in CREDENTIAL_S3_CODES or (
                        exc.code == "AccessDenied" and self._credentials_rejected())):
                    raise StoreCredentialsRejected(
                        f"object store at {endpoint} rejected the credentials of access key "
                        f"{self.settings.s3_access_key!r}: {exc.code}") from exc
                if not is_transient(exc):
                    raise
                what = exc.code if isinstance(exc, S3Error) else type(exc).__name__
                if attempt == self.max_attempts:
                    if (full := embedded_disk_full(self.settings)) is not None:
                        raise StoreDiskFull(full) from exc
                    if self._disk_just_freed():
                        return self._restart_embedded(fn, *args, **kwargs)
                    raise StoreUnavailable(
                        f"object store at {endpoint} is unavailable after {attempt} attempts: {what}") from exc
                delay = backoff_delay(attempt)
                self.retries += 1
                log.warning("object store at %s: %s (attempt %d/%d), retrying in %.2f s",
                            endpoint, what, attempt, self.max_attempts, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _disk_just_freed(self) -> bool:
        """Our embedded server ran out of disk a short while ago and has room again, yet still fails."""
        from storage._exec import weed

        data = _embedded_dir(self.settings)
        return data is not None and weed.disk_full_logged_within(data, 15 * 60)

    def _restart_embedded(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Restart our embedded server (same ports, same data) and try again: after a full disk its
        filer's metadata store refuses every write until the process restarts (storage._exec.weed.restart).
        Another command using it meanwhile sees it gone for a few seconds and retries."""
        from storage._exec import weed

        data = self.settings.home / "s3"
        log.warning("máy chủ S3 nhúng (%s) vẫn từ chối ghi sau khi đĩa đầy dù đã có chỗ trống: tự khởi động lại "
                    "(dữ liệu giữ nguyên)", data)
        port = int(self.settings.s3_endpoint.rsplit(":", 1)[1])
        try:
            # the keys `sohoa services start` gives it (else the administrator keys kept in its folder)
            weed.restart(data, access_key=self.settings.s3_access_key,
                         secret_key=self.settings.s3_secret_key.get_secret_value(), s3_port=port,
                         admin_access_key=self.settings.s3_admin_access_key or None,
                         admin_secret_key=self.settings.s3_admin_secret_key.get_secret_value() or None)
        except (OSError, RuntimeError, TimeoutError, ToolError) as exc:
            raise StoreDiskFull(f"Máy chủ S3 nhúng ({data}) không khởi động lại được sau khi đĩa đầy ({exc}): "
                                "chạy `sohoa services stop` rồi `sohoa services start`, rồi chạy lại lệnh") from exc
        deadline = time.monotonic() + 30
        while True:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                if time.monotonic() > deadline:
                    raise StoreDiskFull(
                        f"Máy chủ S3 nhúng ({data}) vẫn không nhận ghi sau khi hết dung lượng đĩa, kể cả khi đã "
                        f"khởi động lại: kiểm tra dung lượng trống và {data / 'weed.log'}, rồi chạy lại lệnh") from exc
                time.sleep(2)

    # ------------------------------------------------------------------ buckets
    def ensure_buckets(self) -> list[str]:
        """Create missing buckets; the results bucket with versioning, object lock and default retention.

        Creating buckets and setting the lock takes the administrator's key (`admin_client`); with
        every bucket present and no administrator key (the running pipeline), nothing else is checked."""
        mode_name = self.settings.results_retention_mode.upper()
        if mode_name not in RETENTION_MODES:
            raise ValueError(f"SOHOA_RESULTS_RETENTION_MODE must be GOVERNANCE or COMPLIANCE, not {mode_name!r}")
        created = []
        admin = self.admin_client()
        for name in BUCKETS:
            bucket = self.bucket(name)
            locked = name in LOCKED_BUCKETS
            if not self._call(self.client.bucket_exists, bucket):
                if admin is None:
                    raise StoreSetupRequired(
                        f"bucket {bucket} does not exist at {self.settings.s3_endpoint} and the pipeline's key "
                        "may not create buckets: run `sohoa storage-setup` once with SOHOA_S3_ADMIN_ACCESS_KEY "
                        "and SOHOA_S3_ADMIN_SECRET_KEY set")
                self._call(admin.make_bucket, bucket, object_lock=locked)
                created.append(bucket)
            if locked and admin is not None:
                self._ensure_retention(admin, bucket)
        return created

    def _ensure_retention(self, admin: Minio, bucket: str) -> None:
        days = self.settings.results_retention_days
        mode_name = self.settings.results_retention_mode.upper()
        if days <= 0:
            return
        try:
            current = self._call(admin.get_object_lock_config, bucket)
        except S3Error as exc:
            # Bucket made before object lock was configured, or a server without it: say so loudly.
            log.warning("bucket %s has no object lock (%s): results stay versioned but not locked", bucket, exc.code)
            return
        if (current.mode, current.duration, current.duration_unit) == (RETENTION_MODES[mode_name], days, DAYS):
            return
        try:
            self._call(admin.set_object_lock_config, bucket,
                       ObjectLockConfig(RETENTION_MODES[mode_name], days, DAYS))
        except S3Error as exc:
            log.warning("object store at %s does not support object lock on %s: %s",
                        self.settings.s3_endpoint, bucket, exc.code)

    def is_locked_bucket(self, bucket: str) -> bool:
        return any(bucket == self.bucket(name) for name in LOCKED_BUCKETS)

    # ------------------------------------------------------------------ objects
    def stat(self, bucket: str, key: str, version_id: str | None = None) -> ObjectRef | None:
        try:
            st = self._call(self.client.stat_object, bucket, key, version_id=version_id)
        except S3Error as exc:
            if exc.code in _MISSING:
                return None
            raise
        meta = {k.lower(): v for k, v in (st.metadata or {}).items()}
        return ObjectRef(bucket, key, meta.get("x-amz-meta-sha256", ""), st.size or 0, st.version_id)

    def metadata(self, bucket: str, key: str, version_id: str | None = None) -> dict[str, str]:
        """User metadata, decoded (Vietnamese text back in full)."""
        st = self._call(self.client.stat_object, bucket, key, version_id=version_id)
        prefix = "x-amz-meta-"
        return {k.lower()[len(prefix):]: decode_metadata(v) for k, v in (st.metadata or {}).items()
                if k.lower().startswith(prefix)}

    def put_bytes(self, bucket: str, key: str, data: bytes, *, content_type: str = "application/octet-stream",
                  metadata: dict[str, str] | None = None) -> ObjectRef:
        digest = sha256_hex(data)
        # A result is compared with its locked original, whatever was written on top (docs/security.md).
        existing = self.original(bucket, key) if self.is_locked_bucket(bucket) else self.stat(bucket, key)
        if existing is not None and existing.sha256 == digest:
            return existing  # idempotent re-run: nothing new written
        if existing is not None and self.is_locked_bucket(bucket):
            # Art. 14.3.c: no silent edits — a stored result is never replaced by another file.
            raise ObjectLocked(f"s3://{bucket}/{key} already holds a result with SHA-256 {existing.sha256}; "
                               f"refusing to store a different file ({digest}) under the same key")
        meta = {"sha256": digest}
        for k, v in (metadata or {}).items():
            meta[k] = encode_metadata(str(v))

        def put() -> Any:  # a fresh stream per attempt
            return self.client.put_object(bucket, key, io.BytesIO(data), len(data), content_type=content_type,
                                          metadata=meta)  # type: ignore[arg-type]

        result = self._call(put)
        return ObjectRef(bucket, key, digest, len(data), result.version_id)

    def put_version(self, bucket: str, key: str, data: bytes, *, content_type: str = "application/octet-stream",
                    metadata: dict[str, str] | None = None) -> ObjectRef:
        """Write `data` as a new version of `key`, whatever is there (restore of a versioned bucket
        only: the versions of a backup are put back in their order; nothing is overwritten)."""
        digest = sha256_hex(data)
        meta = {"sha256": digest, **{k: encode_metadata(str(v)) for k, v in (metadata or {}).items()}}

        def put() -> Any:
            return self.client.put_object(bucket, key, io.BytesIO(data), len(data), content_type=content_type,
                                          metadata=meta)  # type: ignore[arg-type]

        result = self._call(put)
        return ObjectRef(bucket, key, digest, len(data), result.version_id)

    def get_bytes(self, bucket: str, key: str, *, expected_sha256: str | None = None,
                  version_id: str | None = None) -> bytes:
        def get() -> tuple[bytes, str | None]:
            response = self.client.get_object(bucket, key, version_id=version_id)
            try:
                stored = {k.lower(): v for k, v in response.headers.items()}.get("x-amz-meta-sha256")
                return response.read(), stored
            finally:
                response.close()
                response.release_conn()

        data, stored = self._call(get)
        digest = sha256_hex(data)
        for source, want in (("the results DB", expected_sha256), ("the object's metadata", stored)):
            if want and want != digest:
                raise ChecksumMismatch(f"s3://{bucket}/{key}: content SHA-256 {digest} differs from {want} "
                                       f"recorded in {source}")
        return data

    def download(self, bucket: str, key: str, path: Path) -> int:
        """Stream one object into a file (never whole into memory); its size in bytes."""
        self._call(self.client.fget_object, bucket, key, str(path))
        return path.stat().st_size

    def list_keys(self, bucket: str, prefix: str = "") -> Iterator[str]:
        for obj in self._call(lambda: list(self.client.list_objects(bucket, prefix=prefix, recursive=True))):
            if obj.object_name is not None:
                yield obj.object_name

    def list_sizes(self, bucket: str, prefix: str = "") -> dict[str, int]:
        """Every key under the prefix with its size in bytes, from the listing alone (no object read)."""
        return {obj.object_name: obj.size or 0
                for obj in self._call(lambda: list(self.client.list_objects(bucket, prefix=prefix, recursive=True)))
                if obj.object_name is not None}

    def list_result_keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every key with a stored version, also those a delete marker hides from a plain listing."""
        objs = self._call(lambda: list(self.client.list_objects(bucket, prefix=prefix, recursive=True,
                                                                include_version=True)))
        return sorted({o.object_name for o in objs if o.object_name and not o.is_delete_marker})

    def list_versions(self, bucket: str, key: str) -> list[str]:
        """Version ids of one key (versions newest first, then delete markers; the results bucket keeps
        them all)."""
        return [v.version_id for v in self._versions(bucket, key) if v.version_id]

    def _versions(self, bucket: str, key: str) -> list[Any]:
        """Every version and delete marker of one key as the server lists them: S3 lists the versions
        of a key newest first (timestamps alone cannot order them: two writes in one second tie);
        the SDK puts the delete markers after the versions."""
        objs = self._call(lambda: list(self.client.list_objects(bucket, prefix=key, include_version=True)))
        return [o for o in objs if o.object_name == key]

    def original(self, bucket: str, key: str) -> ObjectRef | None:
        """The first version stored under a key of a versioned bucket: for a result, the locked original.

        `put_bytes` never writes a second version of a result, so anything else under the key (a newer
        version, a delete marker) was written behind the pipeline's back; reads of results go to this
        version."""
        versions = [v for v in self._versions(bucket, key) if not v.is_delete_marker and v.version_id]
        if not versions:
            return None
        return self.stat(bucket, key, version_id=versions[-1].version_id)

    def covered(self, bucket: str, key: str) -> list[str]:
        """What was written under a result's key besides its original: newer versions, delete markers."""
        original = self.original(bucket, key)
        return [f"{'delete marker' if v.is_delete_marker else 'version'} {v.version_id}"
                for v in self._versions(bucket, key)
                if original is None or v.version_id != original.version_id]

    def get_result(self, bucket: str, key: str, *, expected_sha256: str | None = None) -> bytes:
        """Read a stored result: always its locked original version, whatever was written on top."""
        original = self.original(bucket, key)
        if original is None:
            raise ObjectMissing(f"s3://{bucket}/{key}: no version stored")
        return self.get_bytes(bucket, key, expected_sha256=expected_sha256, version_id=original.version_id)

    def retention(self, bucket: str, key: str, version_id: str | None = None) -> Retention | None:
        try:
            # Reading retention is an administrator's right on SeaweedFS; the pipeline never needs it.
            r = self._call((self.admin_client() or self.client).get_object_retention, bucket, key,
                           version_id=version_id)
        except S3Error as exc:
            if exc.code in _MISSING | {"NoSuchObjectLockConfiguration", "InvalidRequest"}:
                return None
            raise
        if r is None or r.retain_until_date is None:
            return None
        return Retention(str(r.mode), r.retain_until_date)

    def delete_version(self, bucket: str, key: str, version_id: str) -> None:
        """Delete one version for good; the server refuses it while the version is locked."""
        try:
            self._call(self.client.remove_object, bucket, key, version_id=version_id)
        except S3Error as exc:
            if exc.code == "AccessDenied":
                raise ObjectLocked(f"s3://{bucket}/{key} version {version_id} is locked: deletion refused") from exc
            raise

    def delete(self, bucket: str, key: str) -> None:
        """Remove a key from an unversioned bucket (reports, work); results are never deleted this way."""
        if bucket == self.bucket("results"):
            raise ObjectLocked(f"s3://{bucket}/{key}: results are kept (Art. 17), never deleted")
        self._call(self.client.remove_object, bucket, key)

    def count_objects(self) -> dict[str, int]:
        counts = {}
        for name in BUCKETS:
            bucket = self.bucket(name)
            counts[bucket] = sum(1 for _ in self.list_keys(bucket)) if self._call(self.client.bucket_exists, bucket) else 0
        return counts

    def presigned_get(self, bucket: str, key: str, minutes: int = 15, *, expires: timedelta | None = None,
                      version_id: str | None = None) -> str:
        """A short-lived read link (default 15 minutes; SigV4 caps it at 7 days). A link to a result
        names its locked original version, so nothing written on top is ever handed out."""
        expires = expires or timedelta(minutes=minutes)
        if not timedelta(seconds=1) <= expires <= timedelta(days=7):
            raise ValueError(f"a pre-signed link lives between 1 second and 7 days, not {expires}")
        if version_id is None and self.is_locked_bucket(bucket):
            original = self.original(bucket, key)
            version_id = original.version_id if original else None
        return self._call(self.client.presigned_get_object, bucket, key, expires=expires, version_id=version_id)

