"""Great Expectations suites from the declarations, run per batch into the reports bucket."""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from review.ge import build_expectations, run_batch_expectations
from schemas import DOCUMENT_TYPES
from storage.db import session_scope
from storage.objects import ObjectStore
from storage.review_models import ExpectationRun

from .conftest import GOOD_HKD


def test_one_suite_per_type_is_generated_from_the_declarations() -> None:
    for code, doc_type in DOCUMENT_TYPES.items():
        expectations = build_expectations(doc_type)
        columns = {e.column for e in expectations if hasattr(e, "column")}
        # every declared field is checked (value and confidence), every required one for nulls
        assert {f"{f.name}__confidence" for f in doc_type.fields} <= columns, code
        not_null = {e.column for e in expectations if type(e).__name__ == "ExpectColumnValuesToNotBeNull"}
        assert not_null == {f.name for f in doc_type.fields if f.required}
        assert all(e.meta["severity"] in ("warning", "error") for e in expectations)


def test_batch_run_stores_results_and_data_docs_and_finds_bad_records(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    store = ObjectStore(sohoa_env)
    store.ensure_buckets()
    bad = GOOD_HKD | {"issue_date": "2031-01-15", "holder_birth_date": "1985-02-30", "holder_id_number": "12345",
                      "holder_name": "Tr4n Thi"}
    batch_id, ids = seed([{"fields": GOOD_HKD}, {"fields": bad},
                          {"type": "quyet_dinh", "fields": {k: v for k, v in GOOD_HKD.items()
                                                            if k in DOCUMENT_TYPES["quyet_dinh"].field_names}
                           | {"title": "QUYẾT ĐỊNH"}}])
    started = time.perf_counter()
    summary = run_batch_expectations(batch_id, sohoa_env, store)
    seconds = time.perf_counter() - started
    print(f"\nGE seconds per batch (3 records, 2 suites, incl. upload): {seconds:.2f} (reported {summary['seconds']})")
    by_type = {s["document_type"]: s for s in summary["suites"]}
    assert set(by_type) == {"giay_chung_nhan_ho_kinh_doanh", "quyet_dinh"}
    assert by_type["quyet_dinh"]["success"] is True
    hkd = by_type["giay_chung_nhan_ho_kinh_doanh"]
    assert hkd["success"] is False and hkd["records"] == 2
    with session_scope(sohoa_env.db_url) as s:
        runs = {r.document_type: r for r in s.scalars(select(ExpectationRun).where(ExpectationRun.batch_id == batch_id))}
    failed = {(f["rule"], f["field"]) for f in runs["giay_chung_nhan_ho_kinh_doanh"].failed_expectations}
    assert ("date_in_range", "issue_date") in failed  # in the future
    assert ("date_in_range", "holder_birth_date") in failed  # 30 February
    assert ("cccd_structure", "holder_id_number") in failed
    assert ("name_letters", "holder_name") in failed
    # results JSON and Data Docs HTML are in the reports bucket, linked from the DB rows
    bucket = store.bucket("reports")
    result = json.loads(store.get_bytes(bucket, runs["giay_chung_nhan_ho_kinh_doanh"].result_key))
    assert result["success"] is False
    page = store.get_bytes(bucket, runs["giay_chung_nhan_ho_kinh_doanh"].docs_key).decode()
    assert "sohoa.giay_chung_nhan_ho_kinh_doanh" in page
    assert store.stat(bucket, f"batch-{batch_id}/data-docs/index.html") is not None
    # a re-run replaces the batch's rows and its Data Docs pages rather than adding more
    docs_before = sorted(store.list_keys(bucket, f"batch-{batch_id}/data-docs/"))
    run_batch_expectations(batch_id, sohoa_env, store)
    with session_scope(sohoa_env.db_url) as s:
        rows = list(s.scalars(select(ExpectationRun).where(ExpectationRun.batch_id == batch_id)))
    assert len(rows) == 2
    docs_after = sorted(store.list_keys(bucket, f"batch-{batch_id}/data-docs/"))
    assert len(docs_after) == len(docs_before)
    assert all(store.stat(bucket, r.docs_key) is not None for r in rows if r.docs_key)
