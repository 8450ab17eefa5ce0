"""Probable duplicates: the page hash, the identity key, and the hook in the pipeline's validate step.

The records are seeded as extraction leaves them (status extracted, page rows with the hashes of
generated page images) and routed by the real `sohoa.pipeline.validate_batch`."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from core.settings import Settings
from review import duplicates, service
from review.duplicates import MATCH_DISTANCE, hamming, identity_key, page_hash
from samples import render_document
from sohoa.pipeline import validate_batch
from storage.db import session_scope
from storage.models import Batch, Document, DocumentStatus, Field, Page, ProbableDuplicate, Result

from .conftest import GOOD_HKD

TYPE = "giay_chung_nhan_ho_kinh_doanh"


def _one_pixel(image: Image.Image) -> Image.Image:
    pixels = np.array(image.convert("RGB"))
    pixels[pixels.shape[0] // 3, pixels.shape[1] // 2] = 255 - pixels[pixels.shape[0] // 3, pixels.shape[1] // 2]
    return Image.fromarray(pixels)


@pytest.fixture(scope="module")
def pages() -> dict[str, list[Image.Image]]:
    """Three different documents of one form, and the first one again with one pixel changed."""
    first, _ = render_document(TYPE, seed=21, damage="light")
    second, _ = render_document(TYPE, seed=22, damage="light")
    third, _ = render_document(TYPE, seed=23, damage="light")
    return {"first": first, "second": second, "third": third, "rescan": [_one_pixel(p) for p in first]}


def test_one_pixel_rescan_matches_and_another_document_of_the_same_form_does_not(pages) -> None:  # type: ignore[no-untyped-def]
    assert len(pages["first"]) == len(pages["second"])
    for a, b, c in zip(pages["first"], pages["rescan"], pages["second"], strict=True):
        assert hamming(page_hash(a), page_hash(b)) <= MATCH_DISTANCE
        assert hamming(page_hash(a), page_hash(c)) > MATCH_DISTANCE
    assert len(page_hash(pages["first"][0])) == duplicates.HASH_BITS // 4


def test_identity_is_compared_folded_and_whitespace_collapsed() -> None:
    a = identity_key({"issuing_authority": "UBND HUYỆN VẠN NINH", "document_number": "1234/GCN-TCKH",
                      "issue_date": "2020-05-12"})
    b = identity_key({"issuing_authority": " Ubnd  huyện   Vạn Ninh ", "document_number": "1234 / GCN - TCKH",
                      "issue_date": "2020-05-12"})
    assert a is not None and a == b
    assert identity_key({"issuing_authority": "UBND", "document_number": None, "issue_date": "2020-05-12"}) is None
    assert a != identity_key({"issuing_authority": "UBND HUYỆN VẠN NINH", "document_number": "1235/GCN-TCKH",
                              "issue_date": "2020-05-12"})


def _seed_extracted(settings: Settings, records: list[tuple[dict[str, Any], list[Image.Image]]]) -> tuple[int, list[int]]:
    """Records as extraction leaves them: fields read, page rows with their image hashes."""
    from storage.objects import ObjectStore

    ObjectStore(settings).ensure_buckets()  # as `sohoa storage-setup` would: the pipeline's key cannot make them
    ids = []
    with session_scope(settings.db_url) as s:
        batch = Batch(batch_key=hashlib.sha256(b"dupes").hexdigest(), province="Khánh Hòa",
                      agency_code="000.00.15.H34", location="/batches/dupes")
        s.add(batch)
        s.flush()
        for i, (fields, images) in enumerate(records):
            sha = hashlib.sha256(f"dupes|{i}".encode()).hexdigest()
            doc = Document(batch_id=batch.id, file_name=f"{i + 1:03d}.png", sha256=sha, content_type="image/png",
                           size_bytes=1, page_count=len(images), province="Khánh Hòa", agency_code="000.00.15.H34",
                           document_type=TYPE, dossier_code=f"000.00.15.H34-200501-{i + 1:04d}",
                           status=DocumentStatus.EXTRACTED, raw_key=f"raw/{sha}.png")
            s.add(doc)
            s.flush()
            for number, image in enumerate(images, start=1):
                s.add(Page(document_id=doc.id, number=number, width=image.width, height=image.height, dpi=300,
                           image_hash=page_hash(image)))
            for name, value in fields.items():
                s.add(Field(document_id=doc.id, name=name, value=value, confidence=0.97, page=1))
            ids.append(doc.id)
        return batch.id, ids


def test_validation_routes_probable_duplicates_to_review_with_a_link(sohoa_env, pages) -> None:  # type: ignore[no-untyped-def]
    other = GOOD_HKD | {"document_number": "88/GCN-TCKH", "issue_date": "2021-01-04", "holder_name": "Lê Văn Tám"}
    batch_id, (original, same_number, different, rescan) = _seed_extracted(sohoa_env, [
        (GOOD_HKD, pages["first"]),
        # same body, number and date, spelt differently, on a different paper's images
        (GOOD_HKD | {"issuing_authority": "UBND  huyện Vạn Ninh phòng Tài chính - Kế hoạch"}, pages["second"]),
        (other, pages["third"]),
        # the first paper again, one pixel changed, its number misread this time
        (GOOD_HKD | {"document_number": "1284/GCN-TCKH"}, pages["rescan"]),
    ])
    routes = validate_batch(batch_id, sohoa_env)["routes"]
    with session_scope(sohoa_env.db_url) as s:
        docs = {d.id: d for d in s.scalars(select(Document).where(Document.batch_id == batch_id))}
        links = {(p.document_id, p.other_document_id, p.basis) for p in s.scalars(select(ProbableDuplicate))}
        assert docs[original].status == DocumentStatus.APPROVED  # the first one is the paper
        assert docs[different].status == DocumentStatus.APPROVED  # the same form, another paper
        for dup in (same_number, rescan):
            assert docs[dup].status == DocumentStatus.NEEDS_REVIEW
            assert f"có thể trùng với hồ sơ #{original}" in " ".join(docs[dup].review_reasons)
        assert links == {(same_number, original, "identity"), (rescan, original, "image")}
    assert routes["approved"] == 2 and routes["needs_review"] == 2
    assert service.approved_unsigned(batch_id, db_url=sohoa_env.db_url) == [original, different]

    view = service.record_view(rescan, db_url=sohoa_env.db_url)
    assert [(d.other_id, d.basis_vi) for d in view.duplicates] == [(original, "ảnh các trang gần như trùng khớp")]
    assert view.duplicates[0].distance is not None and view.duplicates[0].distance <= MATCH_DISTANCE
    # Approving a probable duplicate takes a written reason: never a second signed result by accident.
    with pytest.raises(service.ReviewError, match="có thể trùng"):
        service.approve_document(rescan, "lan", db_url=sohoa_env.db_url)
    service.approve_document(rescan, "lan", note="bản quét lại, bản #1 sẽ bị thu hồi", db_url=sohoa_env.db_url)
    with session_scope(sohoa_env.db_url) as s:
        assert s.get_one(Document, rescan).status == DocumentStatus.APPROVED
        assert not list(s.scalars(select(Result)))


def test_a_steward_correction_that_names_another_papers_number_is_flagged(sohoa_env, pages) -> None:  # type: ignore[no-untyped-def]
    batch_id, (first, second) = _seed_extracted(sohoa_env, [
        (GOOD_HKD, pages["first"]),
        (GOOD_HKD | {"document_number": ("1234/GCN-TCK")}, pages["second"]),
    ])
    validate_batch(batch_id, sohoa_env)
    with session_scope(sohoa_env.db_url) as s:
        assert not list(s.scalars(select(ProbableDuplicate)))
    service.correct_fields(second, {"document_number": "1234/GCN-TCKH"}, "lan", db_url=sohoa_env.db_url)
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, second)
        assert doc.status == DocumentStatus.NEEDS_REVIEW
        assert [r for r in doc.review_reasons if r.startswith("có thể trùng")] == [
            f"có thể trùng với hồ sơ #{first} (cùng cơ quan ban hành, số và ngày)"]
    service.correct_fields(second, {"document_number": "1239/GCN-TCKH"}, "lan", db_url=sohoa_env.db_url)
    with session_scope(sohoa_env.db_url) as s:
        doc = s.get_one(Document, second)
        assert not [r for r in doc.review_reasons if r.startswith("có thể trùng")]
        assert not list(s.scalars(select(ProbableDuplicate)))
