"""Issue 17, finding 10: the development keys and plain HTTP are refused off the loopback, and files
holding secrets are created readable by their owner only."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from core.errors import InvalidValue, exit_code_of
from core.exitcodes import ExitCode
from core.settings import Settings


def _settings(tmp_path, **kw) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(home=tmp_path, **kw)


def test_issue17_10_loopback_endpoints() -> None:
    from core.settings import is_loopback

    for local in ("127.0.0.1:8333", "localhost:9000", "[::1]:8333", "http://127.0.0.5:80", "127.0.0.1"):
        assert is_loopback(local), local
    for remote in ("s3.sohoa.khanhhoa.gov.vn:443", "10.0.0.5:8333", "0.0.0.0:8333", "https://minio:9000",
                   "localhost.evil.example:9000", "[2001:db8::1]:9000"):
        assert not is_loopback(remote), remote


def test_issue17_10_a_remote_endpoint_refuses_the_development_keys_and_plain_http(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from core.settings import s3_refusal
    from storage.objects import ObjectStore

    remote = "s3.sohoa.khanhhoa.gov.vn:443"
    own = {"s3_access_key": "sohoa-pipeline", "s3_secret_key": SecretStr("b1uS7x-9a0T0kQ2mZ")}
    # the built-in keys, even over TLS
    with pytest.raises(InvalidValue, match="development keys") as refused:
        ObjectStore(_settings(tmp_path, s3_endpoint=remote, s3_secure=True))
    assert exit_code_of(refused.value) is ExitCode.USAGE and "SOHOA_S3_ENDPOINT" in str(refused.value)
    # an example file's placeholder
    with pytest.raises(InvalidValue, match="change-me"):
        ObjectStore(_settings(tmp_path, s3_endpoint=remote, s3_secure=True, s3_access_key="sohoa-pipeline",
                              s3_secret_key=SecretStr("change-me-s3-secret")))
    # own keys, but in clear
    with pytest.raises(InvalidValue, match="SOHOA_S3_SECURE=true"):
        ObjectStore(_settings(tmp_path, s3_endpoint=remote, **own))
    # own keys over TLS: accepted (no request is made by the constructor)
    assert ObjectStore(_settings(tmp_path, s3_endpoint=remote, s3_secure=True, **own)).client is not None
    # plain HTTP inside a private network only by an explicit setting; the development keys never
    assert s3_refusal(_settings(tmp_path, s3_endpoint="minio:9000", s3_allow_plain_http=True, **own)) is None
    assert "development keys" in s3_refusal(_settings(tmp_path, s3_endpoint="minio:9000", s3_allow_plain_http=True))
    # the embedded server on loopback keeps its development keys
    assert s3_refusal(_settings(tmp_path)) is None
    assert ObjectStore(_settings(tmp_path, s3_endpoint="localhost:8333")).client is not None


def test_issue17_10_the_refusal_reaches_the_command_line_as_one_line(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from core.settings import reset_settings
    from sohoa.cli import main

    monkeypatch.setenv("SOHOA_HOME", str(tmp_path))
    monkeypatch.setenv("SOHOA_S3_ENDPOINT", "s3.sohoa.khanhhoa.gov.vn:443")
    monkeypatch.delenv("SOHOA_S3_ACCESS_KEY", raising=False)
    monkeypatch.delenv("SOHOA_S3_SECRET_KEY", raising=False)
    monkeypatch.delenv("SOHOA_S3_ALLOW_PLAIN_HTTP", raising=False)
    reset_settings()
    try:
        code = main(["storage-setup"])
    finally:
        reset_settings()
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE and "development keys" in err and "Traceback" not in err, err


def _mode(path) -> int:  # type: ignore[no-untyped-def]
    return path.stat().st_mode & 0o777


def test_issue17_10_pki_password_keys_and_the_db_are_owner_only(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    from core.settings import reset_settings
    from sohoa.cli import main
    from storage import db as storage_db

    old = os.umask(0o022)  # the usual umask: without care, files come out 0644 and folders 0755
    try:
        pki = tmp_path / "var" / "pki"
        assert main(["pki", "init", str(pki), "--converter", "Trung tâm Phục vụ hành chính công"]) == 0
        assert _mode(pki) == 0o700
        secret = [p for p in pki.rglob("*") if p.is_file() and (p.name == "password.txt" or p.suffix == ".p12"
                                                                 or "key" in p.name)]
        assert {p.name for p in secret} >= {"password.txt", "agency.p12"}, sorted(p.name for p in pki.iterdir())
        assert all(_mode(p) == 0o600 for p in secret), {p.name: oct(_mode(p)) for p in secret}
        # a password file left world-readable by an older version is narrowed on the next run
        (pki / "password.txt").chmod(0o644)
        assert main(["pki", "init", str(pki), "--converter", "Trung tâm Phục vụ hành chính công"]) == 0
        assert _mode(pki / "password.txt") == 0o600

        monkeypatch.setenv("SOHOA_HOME", str(tmp_path / "var"))
        monkeypatch.setenv("SOHOA_DATABASE_URL", "")
        reset_settings()
        storage_db.get_engine.cache_clear()
        url = f"sqlite:///{tmp_path / 'var' / 'sohoa.db'}"
        storage_db.upgrade(url)
        from web.auth import create_user

        create_user("lan", "mat-khau-dai-du", "manager", db_url=url)  # a write: the WAL file exists now
        files = [p for p in (tmp_path / "var").iterdir() if p.name.startswith("sohoa.db")]
        assert tmp_path / "var" / "sohoa.db" in files
        assert all(_mode(p) == 0o600 for p in files), {p.name: oct(_mode(p)) for p in files}
    finally:
        os.umask(old)
        storage_db.get_engine.cache_clear()
        reset_settings()
