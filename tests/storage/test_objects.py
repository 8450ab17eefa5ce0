"""Object store against the real SeaweedFS server."""

from __future__ import annotations

import pytest
from minio.error import S3Error
from pydantic import SecretStr

from sohoa.config import Settings
from storage.objects import ChecksumMismatch, ObjectStore, StoreUnavailable, decode_metadata, sha256_hex

pytestmark = pytest.mark.integration


def test_put_is_idempotent_and_checksummed(sohoa_env: Settings) -> None:
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    bucket = store.bucket("results")
    first = store.put_bytes(bucket, "a/b.pdf", b"%PDF-1.7 signed", metadata={"converter": "Sở Tư pháp tỉnh Khánh Hòa"})
    again = store.put_bytes(bucket, "a/b.pdf", b"%PDF-1.7 signed")
    assert first.sha256 == again.sha256 == sha256_hex(b"%PDF-1.7 signed")
    assert first.version_id == again.version_id  # no new version on a re-run
    assert store.get_bytes(bucket, "a/b.pdf", expected_sha256=first.sha256) == b"%PDF-1.7 signed"
    stat = store.client.stat_object(bucket, "a/b.pdf")
    meta = {k.lower(): v for k, v in stat.metadata.items()}
    assert decode_metadata(meta["x-amz-meta-converter"]) == "Sở Tư pháp tỉnh Khánh Hòa"


def test_a_changed_object_is_detected_on_read(sohoa_env: Settings) -> None:
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    bucket = store.bucket("work")
    ref = store.put_bytes(bucket, "x.json", b"{}")
    with pytest.raises(ChecksumMismatch):
        store.get_bytes(bucket, "x.json", expected_sha256=sha256_hex(b"other"))
    assert ref.size == 2


def test_the_store_requires_credentials(sohoa_env: Settings) -> None:
    wrong = sohoa_env.model_copy(update={"s3_secret_key": SecretStr("not-the-secret")})
    with pytest.raises(S3Error):
        ObjectStore(wrong).ensure_buckets()


def test_store_down_is_a_clear_error(sohoa_env: Settings) -> None:
    down = sohoa_env.model_copy(update={"s3_endpoint": "127.0.0.1:1"})
    with pytest.raises(StoreUnavailable, match="127.0.0.1:1"):
        ObjectStore(down).ensure_buckets()
