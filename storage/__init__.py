"""System of record: the object store (S3 via minio) and the results database."""

from storage.db import get_engine, session_scope, upgrade
from storage.objects import (
    BUCKETS,
    ChecksumMismatch,
    ObjectLocked,
    ObjectRef,
    ObjectStore,
    StoreCredentialsRejected,
    StoreUnavailable,
    sha256_hex,
)

__all__ = [
    "BUCKETS", "ChecksumMismatch", "ObjectLocked", "ObjectRef", "ObjectStore", "StoreCredentialsRejected",
    "StoreUnavailable",
    "get_engine", "session_scope", "sha256_hex", "upgrade",
]
