"""Names written into the Great Expectations Data Docs are escaped (issue 17, finding 3)."""

from __future__ import annotations

from sqlalchemy import select

from review.ge import DATA_DOCS_PREFIX, run_batch_expectations
from storage import keys
from storage.db import session_scope
from storage.objects import ObjectStore
from storage.review_models import ExpectationRun

from .conftest import GOOD_HKD

SCRIPT = '<script>alert("xss")</script>'
IMG = "<img src=x onerror=alert(1)>"


def test_issue17_3_hostile_province_and_agency_are_escaped_in_data_docs(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    # a batch already in the DB from before the catalogue check at intake (or written by hand)
    batch_id, _ = seed([{"fields": GOOD_HKD | {"holder_name": f"Trần {IMG}"}}], province=f"Khánh Hòa{SCRIPT}",
                       agency=f"000.00.15.H34{IMG}", key="hostile")
    summary = run_batch_expectations(batch_id, sohoa_env, store)
    assert summary["suites"] and summary["success"] is False  # the province is not in the catalogue
    with session_scope(sohoa_env.db_url) as s:
        run = s.scalar(select(ExpectationRun).where(ExpectationRun.batch_id == batch_id))
        assert run is not None and run.docs_key
        docs_key = run.docs_key
    bucket = store.bucket("reports")
    pages = [store.get_bytes(bucket, k).decode()
             for k in store.list_keys(bucket, keys.report_key(batch_id, DATA_DOCS_PREFIX)) if k.endswith(".html")]
    assert len(pages) >= 2  # the index and the validation page
    page = store.get_bytes(bucket, docs_key).decode()
    assert "Khánh Hòa" in page  # the value is shown …
    for html in [page, *pages]:
        assert "<script>alert" not in html and "<img src=x" not in html  # … but never as markup
    assert "&lt;script&gt;alert" in page or "&amp;lt;script&amp;gt;alert" in page
