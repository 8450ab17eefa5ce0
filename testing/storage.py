"""Builders for tests and benchmarks of the system of record: a signed result stored through the
real pipeline stage (`sohoa.pipeline.store_batch`), with its scan, DB rows and outbox event.

Not used by the pipeline itself. Signs with a real key (the test PKI of `signing.pki`) so that the
signatures table is filled from a real PAdES signature.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from core.settings import Settings
from storage import keys
from storage.db import session_scope
from storage.models import Batch, Document, DocumentStatus, Result
from storage.objects import ObjectStore, sha256_hex

CONVERTER = "Trung tâm Phục vụ hành chính công tỉnh Khánh Hòa"


@dataclass(frozen=True)
class StoredResult:
    result_id: int
    document_id: int
    batch_id: int
    result_code: str
    bucket: str
    pdf_key: str
    fields_key: str
    signed_sha256: str


def throwaway_key(directory: Path):  # type: ignore[no-untyped-def]
    """A signing key from a throwaway test PKI (kept in `directory`, re-used when present)."""
    from signing import KeySource
    from signing.pki import make_test_pki

    pki = make_test_pki(directory, converter=CONVERTER)
    return KeySource.from_pkcs12(pki.agency_p12, pki.password)


def signed_pdf(key, text: str, *, noise_px: int = 0) -> bytes:  # type: ignore[no-untyped-def]
    """A one-page PDF carrying `text`, signed PAdES with `key` (different bytes for each text);
    `noise_px`: a square of random pixels that side long added, so that the file is large (about
    noise_px² × 0.64 bytes: noise hardly compresses, even as JPEG)."""
    import os

    from PIL import Image, ImageDraw

    from signing import sign_pdf

    img = Image.new("RGB", (max(400, noise_px), max(560, noise_px + 40)), "white")
    if noise_px:
        img.paste(Image.frombytes("RGB", (noise_px, noise_px), os.urandom(noise_px * noise_px * 3)), (0, 40))
    ImageDraw.Draw(img).text((20, 20), text, fill="black")
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=72)
    return sign_pdf(buf.getvalue(), key)


def signed_batch(settings: Settings, store: ObjectStore, pdfs: list[bytes], *, dossier_prefix: str,
                 province: str = "Khánh Hòa", agency: str = "000.00.15.H34") -> int:
    """One batch whose documents are as the sign stage leaves them (SIGNED, a Result, the signed PDF in
    the work bucket), one per PDF, not stored yet: what the store stage, then the sync stage, take."""
    from storage.models import Field

    store.ensure_buckets()
    with session_scope(settings.db_url) as s:
        batch = Batch(batch_key=sha256_hex(dossier_prefix.encode())[:64], province=province, agency_code=agency,
                      location=f"/batches/{dossier_prefix}")
        s.add(batch)
        s.flush()
        for number, pdf in enumerate(pdfs, start=1):
            dossier_code = f"{dossier_prefix}{number:03d}"
            scan = f"scan of {dossier_code}".encode()
            raw = keys.raw_key(province, agency, 2020, batch.id, sha256_hex(scan), ".png")
            store.put_bytes(store.bucket("raw"), raw, scan, content_type="image/png")
            doc = Document(batch_id=batch.id, file_name=f"{dossier_code}.png", sha256=sha256_hex(scan),
                           content_type="image/png", size_bytes=len(scan), page_count=1, province=province,
                           agency_code=agency, document_type="quyet_dinh", dossier_code=dossier_code,
                           status=DocumentStatus.SIGNED, raw_key=raw)
            s.add(doc)
            s.flush()
            s.add(Field(document_id=doc.id, name="holder_name", value="NGUYỄN VĂN AN", confidence=0.99))
            work = keys.work_key(doc.id, "signed.pdf")
            store.put_bytes(store.bucket("work"), work, pdf, content_type="application/pdf")
            s.add(Result(document_id=doc.id, result_code=f"{dossier_code}-KQ1", converter=CONVERTER,
                         converted_at=datetime.now(UTC), signer=CONVERTER, work_key=work,
                         signed_sha256=sha256_hex(pdf)))
        return batch.id


def store_signed_result(settings: Settings, store: ObjectStore, pdf: bytes, *, dossier_code: str,
                        province: str = "Khánh Hòa", agency: str = "000.00.15.H34",
                        fields: dict[str, str] | None = None) -> StoredResult:
    """Rows as the sign stage leaves them, then the real store stage: objects, rows, outbox event."""
    from sohoa.pipeline import store_batch
    from storage.models import Field

    store.ensure_buckets()
    scan = f"scan of {dossier_code}".encode()
    scan_sha = sha256_hex(scan)
    with session_scope(settings.db_url) as s:
        batch = Batch(batch_key=sha256_hex(dossier_code.encode())[:64], province=province, agency_code=agency,
                      location=f"/batches/{dossier_code}")
        s.add(batch)
        s.flush()
        raw = keys.raw_key(province, agency, 2020, batch.id, scan_sha, ".png")
        store.put_bytes(store.bucket("raw"), raw, scan, content_type="image/png")
        doc = Document(batch_id=batch.id, file_name=f"{dossier_code}.png", sha256=scan_sha, content_type="image/png",
                       size_bytes=len(scan), page_count=1, province=province, agency_code=agency,
                       document_type="quyet_dinh", dossier_code=dossier_code, status=DocumentStatus.SIGNED,
                       raw_key=raw)
        s.add(doc)
        s.flush()
        for name, value in (fields or {"holder_name": "NGUYỄN VĂN AN"}).items():
            s.add(Field(document_id=doc.id, name=name, value=value, confidence=0.99))
        work = keys.work_key(doc.id, "signed.pdf")
        store.put_bytes(store.bucket("work"), work, pdf, content_type="application/pdf")
        code = f"{dossier_code}-KQ1"
        s.add(Result(document_id=doc.id, result_code=code, converter=CONVERTER, converted_at=datetime.now(UTC),
                     signer=CONVERTER, work_key=work, signed_sha256=sha256_hex(pdf)))
        batch_id, doc_id = batch.id, doc.id
    store_batch(batch_id, settings, store)
    with session_scope(settings.db_url) as s:
        r = s.scalar(select(Result).where(Result.document_id == doc_id))
        assert r is not None and r.stored_bucket and r.stored_key and r.fields_key
        return StoredResult(r.id, doc_id, batch_id, r.result_code, r.stored_bucket, r.stored_key, r.fields_key,
                            r.signed_sha256)
