"""Object store against real SeaweedFS servers (Art. 17 storage, Art. 14.3.c integrity)."""

from __future__ import annotations

import http.client
import io
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from core.settings import Settings
from storage._exec import weed
from storage.objects import (
    ChecksumMismatch,
    ObjectLocked,
    ObjectStore,
    StoreCredentialsRejected,
    StoreUnavailable,
    decode_metadata,
    sha256_hex,
)

pytestmark = pytest.mark.integration
ACCESS, SECRET = "sohoa-own", "sohoa-own-secret"


def test_put_is_idempotent_and_checksummed(sohoa_env: Settings) -> None:
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    bucket = store.bucket("results")
    first = store.put_bytes(bucket, "a/b.pdf", b"%PDF-1.7 signed", metadata={"converter": "Sở Tư pháp tỉnh Khánh Hòa"})
    again = store.put_bytes(bucket, "a/b.pdf", b"%PDF-1.7 signed")
    assert first.sha256 == again.sha256 == sha256_hex(b"%PDF-1.7 signed")
    assert first.version_id == again.version_id  # no new version on a re-run
    assert store.list_versions(bucket, "a/b.pdf") == [first.version_id]
    assert store.get_bytes(bucket, "a/b.pdf", expected_sha256=first.sha256) == b"%PDF-1.7 signed"
    stat = store.client.stat_object(bucket, "a/b.pdf")
    meta = {k.lower(): v for k, v in stat.metadata.items()}
    assert meta["x-amz-meta-converter"].isascii()  # the SDK only sends ASCII headers
    assert decode_metadata(meta["x-amz-meta-converter"]) == "Sở Tư pháp tỉnh Khánh Hòa"
    assert store.metadata(bucket, "a/b.pdf") == {"converter": "Sở Tư pháp tỉnh Khánh Hòa", "sha256": first.sha256}


def test_a_changed_object_is_detected_on_read(sohoa_env: Settings) -> None:
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    bucket = store.bucket("work")
    ref = store.put_bytes(bucket, "x.json", b"{}")
    with pytest.raises(ChecksumMismatch, match="results DB"):
        store.get_bytes(bucket, "x.json", expected_sha256=sha256_hex(b"other"))
    # bit rot behind the store's back: the bytes change, the recorded checksum does not
    store.client.put_object(bucket, "x.json", io.BytesIO(b"{!"), 2, metadata={"sha256": ref.sha256})
    with pytest.raises(ChecksumMismatch, match="metadata"):
        store.get_bytes(bucket, "x.json")


# ---------------------------------------------------------------- Art. 17: versioning and object lock
def test_rule12_results_bucket_is_versioned_and_locked(sohoa_env: Settings) -> None:
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    bucket = store.bucket("results")
    assert store.client.get_bucket_versioning(bucket).status == "Enabled"
    admin = store.admin_client()
    assert admin is not None
    lock = admin.get_object_lock_config(bucket)
    # COMPLIANCE by default: nobody, not even the administrator, can shorten it
    assert (lock.mode, lock.duration, lock.duration_unit) == ("COMPLIANCE", sohoa_env.results_retention_days, "Days")

    ref = store.put_bytes(bucket, "khanh-hoa/kq1.pdf", b"%PDF signed original")
    retention = store.retention(bucket, ref.key, ref.version_id)
    assert retention is not None and retention.mode == "COMPLIANCE"
    assert retention.retain_until > datetime.now(UTC) + timedelta(days=sohoa_env.results_retention_days - 1)

    # deleting the locked version is refused by the server
    with pytest.raises(ObjectLocked, match="locked"):
        store.delete_version(bucket, ref.key, ref.version_id)  # type: ignore[arg-type]
    # the store itself never replaces a stored result with other bytes
    with pytest.raises(ObjectLocked, match="refusing"):
        store.put_bytes(bucket, ref.key, b"%PDF forged")
    # a raw S3 overwrite only adds a version: the locked original stays, byte for byte
    store.client.put_object(bucket, ref.key, io.BytesIO(b"%PDF forged"), 11)
    versions = store.list_versions(bucket, ref.key)
    assert len(versions) == 2 and ref.version_id in versions
    assert store.get_bytes(bucket, ref.key, version_id=ref.version_id, expected_sha256=ref.sha256) == b"%PDF signed original"
    with pytest.raises(ObjectLocked):
        store.delete_version(bucket, ref.key, ref.version_id)  # type: ignore[arg-type]


def test_governance_retention_is_a_deployment_choice(sohoa_env: Settings) -> None:
    settings = sohoa_env.model_copy(update={"results_retention_mode": "GOVERNANCE", "results_retention_days": 2})
    store = ObjectStore(settings)
    store.ensure_buckets()
    ref = store.put_bytes(store.bucket("results"), "c.pdf", b"%PDF governance")
    retention = store.retention(ref.bucket, ref.key, ref.version_id)
    assert retention is not None and retention.mode == "GOVERNANCE"
    assert timedelta(days=1) < retention.retain_until - datetime.now(UTC) <= timedelta(days=2)
    with pytest.raises(ObjectLocked):
        store.delete_version(ref.bucket, ref.key, ref.version_id)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="GOVERNANCE or COMPLIANCE"):
        ObjectStore(settings.model_copy(update={"results_retention_mode": "FOREVER"})).ensure_buckets()


def test_presigned_links_are_short_lived(sohoa_env: Settings) -> None:
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    bucket = store.bucket("results")
    store.put_bytes(bucket, "link.pdf", b"%PDF link")
    url = store.presigned_get(bucket, "link.pdf", expires=timedelta(seconds=2))
    assert httpx.get(url, timeout=5).content == b"%PDF link"
    time.sleep(3)
    assert httpx.get(url, timeout=5).status_code == 403
    assert "X-Amz-Expires=900" in store.presigned_get(bucket, "link.pdf")  # default: 15 minutes
    with pytest.raises(ValueError):
        store.presigned_get(bucket, "link.pdf", expires=timedelta(days=8))


# ---------------------------------------------------------------- credentials
def test_the_store_requires_credentials(sohoa_env: Settings) -> None:
    wrong = sohoa_env.model_copy(update={"s3_secret_key": SecretStr("not-the-secret")})
    with pytest.raises(StoreCredentialsRejected, match=sohoa_env.s3_endpoint):
        ObjectStore(wrong).ensure_buckets()
    stranger = sohoa_env.model_copy(update={"s3_access_key": "nobody"})
    with pytest.raises(StoreCredentialsRejected, match="nobody"):
        ObjectStore(stranger).put_bytes(sohoa_env.bucket("work"), "x", b"x")
    with pytest.raises(StoreCredentialsRejected, match="must both be set"):
        ObjectStore(sohoa_env.model_copy(update={"s3_secret_key": SecretStr("")}))
    # no anonymous access either: a plain unsigned GET is refused by the server
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    store.put_bytes(store.bucket("work"), "secret.json", b"{}")
    assert httpx.get(f"http://{sohoa_env.s3_endpoint}/{store.bucket('work')}/secret.json", timeout=5).status_code == 403


# ---------------------------------------------------------------- store down, transient errors
@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[weed.S3Server, Path, int]]:
    """A dedicated SeaweedFS that the test may stop and start again."""
    data = tmp_path / "weed"
    server = weed.start_on_free_ports(data, access_key=ACCESS, secret_key=SECRET)
    port = weed.s3_port_of(server)
    try:
        yield server, data, port
    finally:
        weed.stop(data)


def _settings_for(base: Settings, server: weed.S3Server, attempts: int, endpoint: str | None = None) -> Settings:
    return base.model_copy(update={"s3_endpoint": endpoint or server.endpoint, "s3_access_key": ACCESS,
                                   "s3_secret_key": SecretStr(SECRET), "s3_max_attempts": attempts,
                                   "s3_admin_access_key": server.admin_access_key,
                                   "s3_admin_secret_key": SecretStr(server.admin_secret_key)})


def test_store_down_is_a_clear_error_and_recovers(sohoa_env: Settings, own_server) -> None:  # type: ignore[no-untyped-def]
    server, data, port = own_server
    store = ObjectStore(_settings_for(sohoa_env, server, attempts=3))
    store.ensure_buckets()
    ref = store.put_bytes(store.bucket("work"), "kept.json", b'{"k": 1}')

    weed.stop(data)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port}.*after 3 attempts"):
        store.get_bytes(store.bucket("work"), "kept.json")
    assert store.last_attempts == 3
    assert time.monotonic() - started >= 0.25 + 0.125  # it backed off between attempts

    # down now, up again a moment later: the retries ride it out
    patient = ObjectStore(_settings_for(sohoa_env, server, attempts=8))
    restart = threading.Timer(1.0, lambda: weed.start(data, access_key=ACCESS, secret_key=SECRET, s3_port=port))
    restart.start()
    try:
        assert patient.get_bytes(patient.bucket("work"), "kept.json", expected_sha256=ref.sha256) == b'{"k": 1}'
    finally:
        restart.join()
    assert patient.last_attempts > 1


class _FlakyProxy(BaseHTTPRequestHandler):
    """Answers the first `failures` requests 503 SlowDown (as S3 does when throttling), then relays."""

    upstream = ""
    failures = 0
    seen = 0

    def _handle(self) -> None:
        cls = type(self)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        cls.seen += 1
        if cls.failures > 0:
            cls.failures -= 1
            xml = b"<?xml version='1.0'?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            self.send_response(503)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(xml)))
            self.end_headers()
            self.wfile.write(xml)
            return
        host, port = cls.upstream.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request(self.command, self.path, body=body or None, headers=dict(self.headers))  # same Host: signature holds
        resp = conn.getresponse()
        payload = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        conn.close()

    do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _handle

    def log_message(self, *args: object) -> None:
        pass


def test_slowdown_is_retried_with_backoff(sohoa_env: Settings, s3_server: weed.S3Server) -> None:
    _FlakyProxy.upstream, _FlakyProxy.failures, _FlakyProxy.seen = s3_server.endpoint, 0, 0
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _FlakyProxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        endpoint = f"127.0.0.1:{proxy.server_address[1]}"
        store = ObjectStore(sohoa_env.model_copy(update={"s3_endpoint": endpoint, "s3_max_attempts": 4}))
        store.ensure_buckets()
        _FlakyProxy.failures, store.retries = 2, 0
        ref = store.put_bytes(store.bucket("work"), "throttled.bin", b"x" * 1000)
        assert store.retries == 2  # two 503 SlowDown answers, then success
        assert store.get_bytes(store.bucket("work"), "throttled.bin", expected_sha256=ref.sha256) == b"x" * 1000
        _FlakyProxy.failures = 100
        with pytest.raises(StoreUnavailable, match=f"{endpoint}.*4 attempts: SlowDown"):
            store.get_bytes(store.bucket("work"), "throttled.bin")
    finally:
        proxy.shutdown()
        proxy.server_close()
