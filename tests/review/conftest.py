"""Records seeded straight into the results DB (no OCR): what a batch looks like after extract."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from core.settings import Settings
from review.service import revalidate_document
from storage.db import session_scope
from storage.models import Batch, Document, DocumentStatus, Field

GOOD_HKD = {
    "issuing_authority": "UBND HUYỆN VẠN NINH PHÒNG TÀI CHÍNH - KẾ HOẠCH", "document_number": "1234/GCN-TCKH",
    "issue_date": "2020-05-12", "title": "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", "signer_title": "TRƯỞNG PHÒNG",
    "signer_name": "Nguyễn Văn An", "holder_name": "Trần Thị Bích Ngọc", "holder_birth_date": "1985-03-04",
    "holder_id_number": "056185001234", "registration_number": "37A8012345", "business_name": "Tạp hóa Ngọc",
}


def seed_batch(settings: Settings, records: list[dict[str, Any]], *, province: str = "Khánh Hòa",
               agency: str = "000.00.15.H34", key: str = "seed") -> tuple[int, list[int]]:
    """One batch with one document per record ({"fields": {name: value or (value, conf)}, ...});
    each validated as the pipeline would. Returns (batch_id, document ids)."""
    ids = []
    with session_scope(settings.db_url) as s:
        batch = Batch(batch_key=hashlib.sha256(f"{key}|{province}".encode()).hexdigest(), province=province,
                      agency_code=agency, location=f"/batches/{key}")
        s.add(batch)
        s.flush()
        for i, rec in enumerate(records):
            sha = hashlib.sha256(f"{key}|{province}|{i}".encode()).hexdigest()
            doc = Document(batch_id=batch.id, file_name=rec.get("file", f"{i + 1:03d}.png"), sha256=sha,
                           content_type="image/png", size_bytes=1, page_count=1, province=province,
                           agency_code=agency, document_type=rec.get("type", "giay_chung_nhan_ho_kinh_doanh"),
                           dossier_code=f"{agency}-200501-{i + 1:04d}", status=DocumentStatus.EXTRACTED,
                           raw_key=f"raw/{sha}.png")
            s.add(doc)
            s.flush()
            for name, value in rec["fields"].items():
                v, conf = value if isinstance(value, tuple) else (value, 0.97)
                s.add(Field(document_id=doc.id, name=name, value=v, confidence=conf, page=1,
                            bbox=[100, 100 + 40 * len(name), 600, 130 + 40 * len(name)]))
            s.flush()
            revalidate_document(s, doc)
            ids.append(doc.id)
        return batch.id, ids


@pytest.fixture
def seed(sohoa_env: Settings) -> Callable[..., tuple[int, list[int]]]:
    def make(records: list[dict[str, Any]], **kw: Any) -> tuple[int, list[int]]:
        return seed_batch(sohoa_env, records, **kw)

    return make
