"""Object store over the `minio` SDK (SeaweedFS here, MinIO in production).

Every object carries its SHA-256 in metadata; reads verify it. Writes are idempotent: an
object already present with the same checksum is not written again (no new version).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, unquote

import urllib3
from minio import Minio
from minio.error import S3Error

from sohoa.config import Settings, get_settings

BUCKETS = ("raw", "work", "results", "reports", "quarantine")
# Archival results keep every version and may be locked (Art. 17).
LOCKED_BUCKETS = frozenset({"results"})


class StoreUnavailable(RuntimeError):
    """The S3 server cannot be reached (after the SDK's own retries)."""


class ChecksumMismatch(RuntimeError):
    pass


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


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode_metadata(value: str) -> str:
    # The minio SDK refuses non-ASCII header values: percent-encode Vietnamese text.
    return quote(value, safe=" -_.,:/()")


def decode_metadata(value: str) -> str:
    return unquote(value)


class ObjectStore:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=3.0, read=60.0),
            retries=urllib3.Retry(total=4, backoff_factor=0.3, status_forcelist=(500, 502, 503, 504)),
        )
        self.client = Minio(
            self.settings.s3_endpoint,
            access_key=self.settings.s3_access_key,
            secret_key=self.settings.s3_secret_key.get_secret_value(),
            secure=self.settings.s3_secure,
            region=self.settings.s3_region,
            http_client=http,
        )

    def bucket(self, name: str) -> str:
        return self.settings.bucket(name)

    def _call(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return fn(*args, **kwargs)
        except (urllib3.exceptions.MaxRetryError, urllib3.exceptions.NewConnectionError, ConnectionError) as exc:
            raise StoreUnavailable(
                f"object store at {self.settings.s3_endpoint} is unreachable: {exc.__class__.__name__}"
            ) from exc

    def ensure_buckets(self) -> list[str]:
        created = []
        for name in BUCKETS:
            bucket = self.bucket(name)
            if not self._call(self.client.bucket_exists, bucket):
                self._call(self.client.make_bucket, bucket, object_lock=name in LOCKED_BUCKETS)
                created.append(bucket)
        return created

    def stat(self, bucket: str, key: str) -> ObjectRef | None:
        try:
            st = self._call(self.client.stat_object, bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"):
                return None
            raise
        meta = {k.lower(): v for k, v in (st.metadata or {}).items()}
        return ObjectRef(bucket, key, meta.get("x-amz-meta-sha256", ""), st.size or 0, st.version_id)

    def put_bytes(self, bucket: str, key: str, data: bytes, *, content_type: str = "application/octet-stream",
                  metadata: dict[str, str] | None = None) -> ObjectRef:
        digest = sha256_hex(data)
        existing = self.stat(bucket, key)
        if existing is not None and existing.sha256 == digest:
            return existing  # idempotent re-run: nothing new written
        meta = {"sha256": digest}
        for k, v in (metadata or {}).items():
            meta[k] = encode_metadata(str(v))
        result = self._call(self.client.put_object, bucket, key, io.BytesIO(data), len(data),
                            content_type=content_type, metadata=meta)
        return ObjectRef(bucket, key, digest, len(data), result.version_id)

    def get_bytes(self, bucket: str, key: str, *, expected_sha256: str | None = None) -> bytes:
        response = self._call(self.client.get_object, bucket, key)
        try:
            data = response.read()
            stored = {k.lower(): v for k, v in response.headers.items()}.get("x-amz-meta-sha256")
        finally:
            response.close()
            response.release_conn()
        digest = sha256_hex(data)
        for want in (expected_sha256, stored):
            if want and want != digest:
                raise ChecksumMismatch(f"s3://{bucket}/{key}: checksum {digest} != recorded {want}")
        return data

    def list_keys(self, bucket: str, prefix: str = "") -> Iterator[str]:
        for obj in self._call(self.client.list_objects, bucket, prefix=prefix, recursive=True):
            yield obj.object_name

    def count_objects(self) -> dict[str, int]:
        counts = {}
        for name in BUCKETS:
            bucket = self.bucket(name)
            counts[bucket] = sum(1 for _ in self.list_keys(bucket)) if self._call(self.client.bucket_exists, bucket) else 0
        return counts

    def presigned_get(self, bucket: str, key: str, minutes: int = 15) -> str:
        return self._call(self.client.presigned_get_object, bucket, key, expires=timedelta(minutes=minutes))
