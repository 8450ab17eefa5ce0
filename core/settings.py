"""One settings object for every stage, read from ``SOHOA_*`` environment variables and ``.env``.

Defaults give the embedded set-up: a SQLite results DB and the local SeaweedFS S3 gateway
under ``var/`` of the working directory. Secrets (S3 keys, key passwords) come only from the
environment; they are never logged.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.cwd() / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", env_file=".env", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="working directory for embedded services")
    database_url: str = ""  # empty: sqlite file under home

    s3_endpoint: str = "127.0.0.1:8333"
    s3_access_key: str = "sohoa-dev"  # the development keys: refused off the loopback (s3_refusal)
    s3_secret_key: SecretStr = SecretStr("sohoa-dev-secret-change-me")
    s3_secure: bool = False
    # Plain HTTP to an S3 server off the loopback, only inside a private network (the compose stack's
    # own network). The development keys are refused off the loopback whatever this says.
    s3_allow_plain_http: bool = False
    s3_region: str = "us-east-1"
    # Setup only (docs/security.md): the S3 administrator that creates buckets and their object lock.
    # Leave unset in the running pipeline's environment; the pipeline's own key cannot delete, bypass
    # retention or change the lock. The embedded server keeps its own under SOHOA_HOME/s3.
    s3_admin_access_key: str = ""
    s3_admin_secret_key: SecretStr = SecretStr("")
    bucket_prefix: str = "sohoa-"
    # Art. 17: results are kept under object lock. COMPLIANCE cannot be shortened by anyone, not even
    # the store's root; GOVERNANCE (a deployment's choice) can be lifted by an identity holding the
    # bypass permission. 0 days: versioning only, no lock.
    results_retention_mode: str = "COMPLIANCE"
    results_retention_days: int = 3650
    s3_max_attempts: int = 5  # transient S3 errors (refused, 5xx, SlowDown) are retried with backoff

    # Art. 25.3.c / Decree 137 Art. 4.1.a: the full name of the converting body goes in the marker.
    converter_name: str = "Trung tâm Phục vụ hành chính công tỉnh Khánh Hòa"
    signing_pkcs12: Path | None = None
    signing_password: SecretStr = SecretStr("")
    # Several converting bodies: a TOML file mapping agency code -> key and full name (docs/signing.md).
    signing_keys: Path | None = None
    # The public address of this system's web app (docs/storage.md "Durable links"): the look-up
    # page `/tra-cuu/<result code>` and the durable download link sent to the warehouse live under
    # it, never a pre-signed link to the internal S3 host. Under Airflow the app is mounted at /sohoa.
    public_url: str = "http://127.0.0.1:8080"
    # Base of the look-up address in QR codes and print copies; empty: <public_url>/tra-cuu.
    lookup_url: str = ""
    lookup_rate_per_minute: int = 30  # look-up page requests per client address and minute
    # Signing (docs/signing.md): a TSA URL makes signatures PAdES B-T (B-LT when revocation data can be
    # fetched); a PKCS#11 module makes the key come from a token instead of SOHOA_SIGNING_PKCS12.
    tsa_url: str = ""
    pkcs11_module: str = ""  # e.g. /usr/lib/softhsm/libsofthsm2.so
    pkcs11_token_label: str = ""
    pkcs11_key_label: str = ""
    pkcs11_pin: SecretStr = SecretStr("")  # SOHOA_PKCS11_PIN, from the environment only

    # Mã hồ sơ assigned when a legacy paper result has none; flagged provisional.
    provisional_dossier_pattern: str = "TAM.{agency}-{date:%y%m%d}-{seq:04d}"

    ocr_language: str = "vie"
    ocr_timeout_s: float = 180.0
    ocr_workers: int = 0  # 0: one Tesseract process per core
    max_image_pixels: int = 120_000_000  # decompression-bomb cap per page
    max_pdf_pages: int = 200
    raster_dpi: int = 300

    review_confidence_threshold: float = 0.90  # least probability of being right to auto-approve
    # Per type/field overrides of the declared review thresholds (schemas/thresholds.py).
    review_thresholds_file: Path | None = None
    review_thresholds: dict[str, dict[str, float]] = Field(default_factory=dict)
    web_secret_key: SecretStr = SecretStr("")  # signs the login form's CSRF cookie; made once if empty
    citizen_warehouse_url: str = ""  # empty: outbox events stay pending
    citizen_warehouse_token: SecretStr = SecretStr("")
    sync_max_attempts: int = 8
    # A stage that failed this many times on one document stops retrying it on re-runs: held for a
    # person (storage.stage_failures); `sohoa retry BATCH --stage S` still forces it.
    stage_max_failures: int = Field(default=3, ge=1)

    # Airflow (dags/digitise_batch.py): the per-document stages run as mapped tasks over chunks of a
    # batch, so every Celery worker takes a share of one batch. OCR and extraction (CPU-heavy) go to
    # one queue, validation, signing, storing and the push to another, so a light worker signs and
    # syncs while the OCR workers are busy; a worker serves the queues its `--queues` names.
    chunk_size: int = Field(default=25, ge=1)  # documents per mapped task, at most
    # A batch is cut into at least this many chunks when it has the documents (smaller chunks, never
    # below one document): with the size alone a batch under 25 documents would be one chunk, and
    # one worker would do it all while the others wait. Each chunk is a task (about a second of
    # start-up on a worker that preloads, docs/capacity.md), so a few per worker is enough.
    min_chunks: int = Field(default=4, ge=1)
    ocr_queue: str = "ocr"
    light_queue: str = "default"  # Airflow's [operators] default_queue
    # Mapped instances of one heavy (OCR, extract) or light task running at once, over every run;
    # a deployment sizes them to its OCR workers' cores and to what its signing key takes.
    ocr_max_active_tasks: int = Field(default=16, ge=1)
    light_max_active_tasks: int = Field(default=16, ge=1)
    max_active_batches: int = Field(default=2, ge=1)  # digitise_batch runs at once

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'sohoa.db').resolve()}"

    def lookup_base(self) -> str:
        """Where `<base>/<result code>` answers a look-up: the look-up page of this system."""
        return (self.lookup_url or f"{self.public_url.rstrip('/')}/tra-cuu").rstrip("/")

    def bucket(self, name: str) -> str:
        return f"{self.bucket_prefix}{name}"


DEV_S3_ACCESS_KEY = "sohoa-dev"
DEV_S3_SECRET_KEY = "sohoa-dev-secret-change-me"
PLACEHOLDER = "change-me"  # the mark of every example secret (docker/.env.example)


def is_loopback(endpoint: str) -> bool:
    """Whether an endpoint ("host:port", "[::1]:9000" or a URL) is on this machine's loopback."""
    host = urlsplit(endpoint if "//" in endpoint else f"//{endpoint}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name other than localhost may resolve anywhere
        return False


def s3_refusal(settings: Settings) -> str | None:
    """Why these S3 settings must not be used, or None. Off the loopback the development keys, any
    "change-me" placeholder and plain HTTP are refused (issue 17, finding 10): the keys are public
    (they are in this repository) and without TLS they travel in clear with every object."""
    if is_loopback(settings.s3_endpoint):
        return None
    secret = settings.s3_secret_key.get_secret_value()
    where = f"SOHOA_S3_ENDPOINT={settings.s3_endpoint} is not on this machine"
    if settings.s3_access_key == DEV_S3_ACCESS_KEY or secret == DEV_S3_SECRET_KEY or PLACEHOLDER in secret \
            or PLACEHOLDER in settings.s3_access_key:
        return (f"{where}: the development keys (or a 'change-me' placeholder) are refused; set "
                "SOHOA_S3_ACCESS_KEY and SOHOA_S3_SECRET_KEY to the deployment's own")
    if not settings.s3_secure and not settings.s3_allow_plain_http:
        return (f"{where}: plain HTTP is refused; set SOHOA_S3_SECURE=true (TLS), or "
                "SOHOA_S3_ALLOW_PLAIN_HTTP=true only inside a private network")
    return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment)."""
    get_settings.cache_clear()
