"""Attacks on the system of record through the object store (issue 17, findings 1 and 2).

1. Someone else on the machine talks to SeaweedFS's other ports (filer, master, volume, their gRPC
   twins) instead of the authenticated S3 API.
2. Someone holding the pipeline's own S3 keys tries to replace, hide or destroy a locked result.
Every attack runs against the real SeaweedFS of the test session; the locked original must survive
and must be what the pipeline, the warehouse link and the fixity audit read.
"""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.deleteobjects import DeleteObject
from minio.error import S3Error
from minio.objectlockconfig import DAYS, ObjectLockConfig
from minio.retention import Retention
from minio.versioningconfig import SUSPENDED, VersioningConfig
from pydantic import SecretStr

from core.settings import Settings
from storage._exec import weed
from storage.backup import backup
from storage.fixity import audit_results
from storage.objects import ObjectLocked, ObjectStore, StoreSetupRequired, sha256_hex

pytestmark = pytest.mark.integration

FORGED = b"%PDF-1.7 forged result"


def _app_settings(settings: Settings) -> Settings:
    """The running pipeline's settings: its own key, no administrator key anywhere."""
    return settings.model_copy(update={"s3_admin_access_key": "", "s3_admin_secret_key": SecretStr("")})


def _refused(call: Any) -> str:
    """Run one S3 call that must be refused; returns the server's error code."""
    try:
        outcome = call()
    except S3Error as exc:
        return exc.code
    # DeleteObjects answers 200 with per-key errors
    errors = [e for e in (outcome or []) if getattr(e, "code", None)]
    assert errors, f"the store accepted it: {outcome!r}"
    return str(errors[0].code)


# ---------------------------------------------------------------- finding 1: the other ports
def _weed_shell(server: weed.S3Server, command: str, config_dir: Path) -> str:
    """`weed shell` against the master and filer gRPC ports, with the keys found in config_dir."""
    port = int(server.endpoint.rsplit(":", 1)[1])
    try:
        out = subprocess.run(
            [weed.weed_binary(), f"-config_dir={config_dir}", "shell", f"-master=127.0.0.1:{port + 1}",
             f"-filer=127.0.0.1:{port + 3}"],
            input=command + "\n", capture_output=True, text=True, timeout=12, cwd=config_dir)
    except subprocess.TimeoutExpired as exc:  # a refused TLS handshake makes the shell wait for ever
        return (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
    return out.stdout + out.stderr


def test_issue17_1_only_the_authenticated_s3_api_is_open(
        sohoa_env: Settings, s3_server: weed.S3Server, stored_result: Any, tmp_path: Path) -> None:
    store = ObjectStore(sohoa_env)
    result = stored_result(sohoa_env, store)
    bucket, key = result.bucket, result.pdf_key
    port = int(s3_server.endpoint.rsplit(":", 1)[1])
    filer, master = f"http://127.0.0.1:{port + 3}", f"http://127.0.0.1:{port + 1}"
    original = store.get_result(bucket, key, expected_sha256=result.signed_sha256)

    with httpx.Client(timeout=5) as http:
        attempts = {
            "filer read": http.get(f"{filer}/buckets/{bucket}/{key}"),
            "filer list": http.get(f"{filer}/buckets/{bucket}/", headers={"Accept": "application/json"}),
            "filer overwrite": http.put(f"{filer}/buckets/{bucket}/{key}", content=FORGED),
            "filer upload": http.post(f"{filer}/buckets/{bucket}/{key}", files={"file": ("x.pdf", FORGED)}),
            "filer delete": http.delete(f"{filer}/buckets/{bucket}/{key}", params={"recursive": "true"}),
            # the master's HTTP API deleted a whole bucket's volumes with one unauthenticated GET
            "master delete collection": http.get(f"{master}/col/delete", params={"collection": bucket},
                                                 headers={"X-Forwarded-For": "127.0.0.1"}),
            "master assign": http.get(f"{master}/dir/assign"),
            "master submit": http.post(f"{master}/submit", files={"file": ("x.pdf", FORGED)}),
        }
    for what, response in attempts.items():
        assert response.status_code >= 400, f"{what}: {response.status_code} {response.text[:200]}"
        assert original not in response.content, what

    # gRPC: without the server's client certificate nothing is listed, let alone deleted …
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    out = _weed_shell(s3_server, f"collection.list\ncollection.delete -collection={bucket} -apply", stranger)
    assert bucket not in out
    # … while the same command with the server's own keys does reach it (the refusal above is the TLS)
    assert bucket in _weed_shell(s3_server, "collection.list", s3_server.data_dir / "security")

    # the files themselves and the keys are the server owner's only; no socket left in /tmp
    assert (s3_server.data_dir.stat().st_mode & 0o077) == 0
    assert (s3_server.data_dir / "security" / "security.toml").stat().st_mode & 0o077 == 0
    assert not Path(f"/tmp/seaweedfs-filer-{port + 3}.sock").exists()
    assert "Admin" not in (s3_server.data_dir / "s3-identity.json").read_text().split('"sohoa-admin"')[0]

    # after every attempt the S3 API still serves the signed original, nothing on top of it
    assert store.get_bytes(bucket, key, expected_sha256=result.signed_sha256) == original
    assert store.covered(bucket, key) == []


# ---------------------------------------------------------------- finding 2: the pipeline's own keys
def test_issue17_2_the_pipeline_key_cannot_alter_a_locked_result(
        sohoa_env: Settings, stored_result: Any, tmp_path: Path) -> None:
    result = stored_result(sohoa_env, ObjectStore(sohoa_env))  # set up as `sohoa storage-setup` would
    app = ObjectStore(_app_settings(sohoa_env))
    assert app.admin_client() is None
    bucket, key, want = result.bucket, result.pdf_key, result.signed_sha256
    original = app.original(bucket, key)
    assert original is not None and original.sha256 == want and original.version_id

    # what the pipeline's key may not do at all
    s3 = app.client
    assert _refused(lambda: s3.remove_object(bucket, key, version_id=original.version_id)) == "AccessDenied"
    assert _refused(lambda: s3._execute(  # the x-amz-bypass-governance-retention header, by hand
        "DELETE", bucket, key, query_params={"versionId": original.version_id},
        headers={"x-amz-bypass-governance-retention": "true"})) == "AccessDenied"
    assert _refused(lambda: list(s3.remove_objects(bucket, [DeleteObject(key, original.version_id)],
                                                   bypass_governance_mode=True))) == "AccessDenied"
    soon = Retention(COMPLIANCE, datetime.now(UTC) + timedelta(seconds=5))
    assert _refused(lambda: s3.set_object_retention(bucket, key, soon, version_id=original.version_id))
    assert _refused(lambda: s3.set_object_lock_config(bucket, ObjectLockConfig(GOVERNANCE, 1, DAYS)))
    assert _refused(lambda: s3.set_bucket_versioning(bucket, VersioningConfig(SUSPENDED)))
    assert _refused(lambda: s3.remove_bucket(bucket))
    assert _refused(lambda: s3.make_bucket(sohoa_env.bucket("rogue")))
    with pytest.raises(ObjectLocked):
        app.delete_version(bucket, key, original.version_id)  # type: ignore[arg-type]

    # what S3 lets any writer do — a new version on top, a delete marker — hides nothing from the pipeline
    s3.put_object(bucket, key, io.BytesIO(FORGED), len(FORGED))
    assert sha256_hex(s3.get_object(bucket, key).read()) == sha256_hex(FORGED)  # a plain read sees the forgery
    # a re-run of the store stage compares with the original, not with what is on top
    assert app.put_bytes(bucket, key, app.get_result(bucket, key)).version_id == original.version_id
    s3.remove_object(bucket, key)
    assert app.get_result(bucket, key, expected_sha256=want) == app.get_bytes(
        bucket, key, version_id=original.version_id)
    assert sha256_hex(app.get_result(bucket, key, expected_sha256=want)) == want
    link = app.presigned_get(bucket, key)  # what the warehouse is sent
    assert f"versionId={original.version_id}" in link
    assert sha256_hex(httpx.get(link, timeout=5).content) == want
    with pytest.raises(ObjectLocked):  # and the store stage refuses to store anything else there
        app.put_bytes(bucket, key, FORGED)
    assert app.put_bytes(bucket, key, app.get_result(bucket, key)).version_id == original.version_id

    # the fixity audit reads the intact original and reports what was written over it
    report = audit_results(_app_settings(sohoa_env), app)
    covered = [p for p in report["problems"] if p["key"] == key]
    assert [p["problem"] for p in covered] == ["covered"]
    assert "locked original is intact" in covered[0]["detail"]

    # the backup holds the original too, also of a key a delete marker hides from a plain listing
    summary = backup(tmp_path / "bk", _app_settings(sohoa_env), app)
    assert sha256_hex((tmp_path / "bk" / "objects" / "results" / key).read_bytes()) == want
    assert summary.objects >= 5

    # COMPLIANCE: not even the administrator can lift it
    admin = ObjectStore(sohoa_env).admin_client()
    assert admin is not None
    assert _refused(lambda: admin._execute(
        "DELETE", bucket, key, query_params={"versionId": original.version_id},
        headers={"x-amz-bypass-governance-retention": "true"})) == "AccessDenied"
    assert sha256_hex(app.get_result(bucket, key)) == want


def test_issue17_2_governance_is_not_liftable_with_the_pipeline_key(sohoa_env: Settings) -> None:
    governance = sohoa_env.model_copy(update={"results_retention_mode": "GOVERNANCE", "results_retention_days": 1})
    ObjectStore(governance).ensure_buckets()
    app = ObjectStore(_app_settings(governance))
    ref = app.put_bytes(app.bucket("results"), "kq.pdf", b"%PDF governance original")
    assert _refused(lambda: app.client._execute(
        "DELETE", ref.bucket, ref.key, query_params={"versionId": ref.version_id},
        headers={"x-amz-bypass-governance-retention": "true"})) == "AccessDenied"
    assert app.get_result(ref.bucket, ref.key, expected_sha256=ref.sha256) == b"%PDF governance original"


def test_issue17_2_the_pipeline_key_cannot_create_buckets(sohoa_env: Settings) -> None:
    app = ObjectStore(_app_settings(sohoa_env.model_copy(update={"bucket_prefix": sohoa_env.bucket_prefix + "new-"})))
    with pytest.raises(StoreSetupRequired, match="storage-setup"):
        app.ensure_buckets()


def test_storage_setup_needs_the_administrator_key(sohoa_env: Settings, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from core.settings import reset_settings
    from sohoa.cli import main

    assert main(["storage-setup"]) == 0
    assert "COMPLIANCE 3650" in capsys.readouterr().out
    monkeypatch.setenv("SOHOA_S3_ADMIN_ACCESS_KEY", "")
    monkeypatch.setenv("SOHOA_S3_ADMIN_SECRET_KEY", "")
    reset_settings()
    assert main(["storage-setup"]) == 2
    assert "SOHOA_S3_ADMIN_ACCESS_KEY" in capsys.readouterr().out
