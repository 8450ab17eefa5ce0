"""Great Expectations suites generated from the document-type declarations, run per batch.

One suite per document type (`sohoa.<type>`), built from the same FieldSpec/RuleSpec declarations
the validator reads: required fields not null, formats by field kind, dates between 02/9/1945 and
today, confidence at or above the review threshold, catalogue look-ups (province, agency code,
document type) and cross-field checks (issued after birth). The suite runs on a pandas DataFrame
of the batch's extracted records in an *ephemeral* context (nothing written to the repository);
the JSON results and the Data Docs HTML go to the reports bucket and are linked from the DB
(ExpectationRun) and from the review pages.
"""

from __future__ import annotations

import html
import json
import logging
import os
import tempfile
import time
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from core.identifiers import AGENCY_CODE, DOCUMENT_NUMBER, cccd_birth_year, is_tax_code
from core.text import nfc
from core.units import province_codes
from schemas.catalogues import document_type_codes, province_names
from schemas.document_types import (
    AGENCY_IN_CATALOGUE,
    CONFIDENCE_RULE,
    ISSUED_AFTER_BIRTH,
    KIND_RULES,
    PROVINCE_IN_CATALOGUE,
    REQUIRED_RULE,
    DocumentType,
    FieldKind,
    RuleSpec,
)
from schemas.rules import AUTHORITY_REGEX, EARLIEST_DATE, check_name
from schemas.thresholds import Thresholds, load_thresholds
from storage import keys
from storage.db import session_scope
from storage.models import Document, Field
from storage.review_models import ExpectationRun

log = logging.getLogger(__name__)

ID_NUMBER_REGEX = r"^(?:\d{9}|0\d{11})$"
DATA_DOCS_PREFIX = "data-docs"


@lru_cache(maxsize=1)
def name_regex() -> str:
    """A regex of Vietnamese names equivalent to schemas.rules.check_name (precomposed letters)."""
    letters = [chr(c) for c in range(0x41, 0x1EFA)
               if chr(c).isalpha() and check_name(f"{chr(c)} a") and nfc(chr(c)) == chr(c)]
    cls = "".join(letters).replace("\\", "").replace("]", "").replace("-", "")
    return rf"^[{cls}]+(?: [{cls}]+)+$"


def _meta(rule: RuleSpec, field_name: str = "") -> dict[str, Any]:
    return {"rule": rule.code, "severity": rule.severity.value, "label_vi": rule.label_vi, "field": field_name}


def suite_name(doc_type: DocumentType) -> str:
    return f"sohoa.{doc_type.code}"


def build_expectations(doc_type: DocumentType, thresholds: Thresholds | None = None,
                       today: date | None = None) -> list[Any]:
    """The expectations of one document type, from its declarations (no hand-written suite)."""
    import great_expectations as gx

    e = gx.expectations
    thresholds = thresholds or load_thresholds()
    today = today or date.today()
    out: list[Any] = [
        e.ExpectColumnValuesToBeInSet(column="document_type", value_set=document_type_codes(),
                                      meta={"rule": "document_type_in_catalogue", "severity": "error",
                                            "label_vi": "Loại giấy tờ có trong danh mục", "field": ""}),
    ]
    declared = {r.code for r in doc_type.rules}
    if PROVINCE_IN_CATALOGUE.code in declared:
        out.append(e.ExpectColumnValuesToBeInSet(column="province", value_set=province_names(),
                                                 meta=_meta(PROVINCE_IN_CATALOGUE)))
    if AGENCY_IN_CATALOGUE.code in declared:
        out.append(e.ExpectColumnValuesToMatchRegex(column="agency_code", regex=AGENCY_CODE.pattern,
                                                    meta=_meta(AGENCY_IN_CATALOGUE)))
    for spec in doc_type.fields:
        if spec.required:
            out.append(e.ExpectColumnValuesToNotBeNull(column=spec.name, meta=_meta(REQUIRED_RULE, spec.name)))
        rule = KIND_RULES.get(spec.kind)
        if spec.kind is FieldKind.DATE:
            # strftime, not a regex: "2020-02-30" has the shape of a date but is none
            out.append(e.ExpectColumnValuesToMatchStrftimeFormat(column=spec.name, strftime_format="%Y-%m-%d",
                                                                 meta=_meta(rule, spec.name)))  # type: ignore[arg-type]
            out.append(e.ExpectColumnValuesToBeBetween(
                column=f"{spec.name}__date", min_value=datetime.combine(EARLIEST_DATE, datetime.min.time()),
                max_value=datetime.combine(today, datetime.min.time()), meta=_meta(rule, spec.name)))  # type: ignore[arg-type]
        elif spec.kind is FieldKind.DOCUMENT_NUMBER:
            out.append(e.ExpectColumnValuesToMatchRegex(column=spec.name, regex=DOCUMENT_NUMBER.pattern,
                                                        meta=_meta(rule, spec.name)))  # type: ignore[arg-type]
        elif spec.kind is FieldKind.ID_NUMBER:
            out.append(e.ExpectColumnValuesToMatchRegex(column=spec.name, regex=ID_NUMBER_REGEX,
                                                        meta=_meta(rule, spec.name)))  # type: ignore[arg-type]
            # The CCCD structure, as core.identifiers.check_citizen_id: "0" + a province code, and digits 4-6
            # (century and year of birth) equal to the birth year. Derived columns (records_frame).
            out.append(e.ExpectColumnValuesToBeInSet(column=f"{spec.name}__province",
                                                     value_set=sorted("0" + c for c in province_codes()),
                                                     meta=_meta(rule, spec.name)))  # type: ignore[arg-type]
            if "holder_birth_date" in doc_type.field_names:
                out.append(e.ExpectColumnPairValuesToBeEqual(
                    column_A=f"{spec.name}__birth_year", column_B="holder_birth_date__year",
                    ignore_row_if="either_value_is_missing", meta=_meta(rule, spec.name)))  # type: ignore[arg-type]
        elif spec.kind is FieldKind.TAX_CODE:
            # The check digit, as core.identifiers.check_tax_code (derived column, records_frame).
            out.append(e.ExpectColumnValuesToBeInSet(column=f"{spec.name}__check", value_set=[True],
                                                     meta=_meta(rule, spec.name)))  # type: ignore[arg-type]
        elif spec.kind is FieldKind.NAME:
            out.append(e.ExpectColumnValuesToMatchRegex(column=spec.name, regex=name_regex(),
                                                        meta=_meta(rule, spec.name)))  # type: ignore[arg-type]
        elif spec.kind is FieldKind.AUTHORITY:
            out.append(e.ExpectColumnValuesToMatchRegex(column=spec.name, regex=AUTHORITY_REGEX,
                                                        meta=_meta(rule, spec.name)))  # type: ignore[arg-type]
        out.append(e.ExpectColumnValuesToBeBetween(column=f"{spec.name}__confidence",
                                                   min_value=thresholds.for_field(doc_type, spec), max_value=1.0,
                                                   meta=_meta(CONFIDENCE_RULE, spec.name)))
    names = set(doc_type.field_names)
    if ISSUED_AFTER_BIRTH.code in declared and {"issue_date", "holder_birth_date"} <= names:
        out.append(e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="issue_date__date", column_B="holder_birth_date__date", or_equal=False,
            ignore_row_if="either_value_is_missing", meta=_meta(ISSUED_AFTER_BIRTH, "issue_date")))
    return out


def records_frame(batch_id: int, doc_type: DocumentType, db_url: str | None = None) -> Any:
    """One row per extracted record of this type: values, `<field>__confidence`, `<date>__date`."""
    import pandas as pd

    with session_scope(db_url) as s:
        docs = list(s.scalars(select(Document).where(Document.batch_id == batch_id,
                                                     Document.document_type == doc_type.code).order_by(Document.id)))
        ids = [d.id for d in docs]
        fields: dict[int, dict[str, Field]] = {i: {} for i in ids}
        for f in s.scalars(select(Field).where(Field.document_id.in_(ids))) if ids else []:
            fields[f.document_id][f.name] = f
    rows = []
    for d in docs:
        row: dict[str, Any] = {"document_id": d.id, "file_name": d.file_name, "province": d.province,
                               "agency_code": d.agency_code, "document_type": d.document_type, "status": d.status}
        for spec in doc_type.fields:
            stored = fields[d.id].get(spec.name)
            value = stored.value.strip() if stored and stored.value and stored.value.strip() else None
            row[spec.name] = value
            row[f"{spec.name}__confidence"] = stored.confidence if value is not None and stored else None
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["document_id", "file_name", "province", "agency_code", "document_type",
                                        "status", *[c for s in doc_type.fields
                                                    for c in (s.name, f"{s.name}__confidence")]])
    for spec in doc_type.fields:
        if spec.kind is FieldKind.DATE:
            frame[f"{spec.name}__date"] = pd.to_datetime(frame[spec.name], format="%Y-%m-%d", errors="coerce")
            frame[f"{spec.name}__year"] = pd.Series(
                [None if pd.isna(d) else int(d.year) for d in frame[f"{spec.name}__date"]], dtype="object")
        if spec.kind is FieldKind.ID_NUMBER:
            cccd = [v.replace(" ", "") if isinstance(v, str) and len(v.replace(" ", "")) == 12
                    and v.replace(" ", "").isdigit() else None for v in frame[spec.name]]
            frame[f"{spec.name}__province"] = pd.Series([v[:3] if v else None for v in cccd], dtype="object")
            frame[f"{spec.name}__birth_year"] = pd.Series(
                [cccd_birth_year(v) if v else None for v in cccd], dtype="object")
        if spec.kind is FieldKind.TAX_CODE:
            frame[f"{spec.name}__check"] = pd.Series(
                [is_tax_code(v) if isinstance(v, str) else None for v in frame[spec.name]], dtype="object")
        frame[spec.name] = frame[spec.name].astype("object")
        frame[f"{spec.name}__confidence"] = frame[f"{spec.name}__confidence"].astype("float64")
    return frame


def escaped_for_docs(frame: Any) -> Any:
    """The frame with every text value HTML-escaped: Great Expectations writes unexpected values into
    its Data Docs pages as they are, and a province, an agency or an OCR'd name is anyone's text.

    Only `&`, `<`, `>` and quotes change, none of which a catalogue value, a code or a date holds, so
    every expectation decides as before; `_failed` unescapes what it keeps for the review pages (which
    escape for themselves)."""
    out = frame.copy()
    for column in out.columns:  # pandas 3 keeps text as `str` dtype, older versions as `object`
        if any(isinstance(v, str) for v in out[column]):
            out[column] = out[column].map(lambda v: html.escape(v) if isinstance(v, str) else v).astype("object")
    return out


def _failed(result: Any) -> list[dict[str, Any]]:
    out = []
    for r in result.results:
        if r.success:
            continue
        cfg = r.expectation_config
        res = r.result or {}
        out.append({"expectation": cfg.type, "column": cfg.kwargs.get("column") or cfg.kwargs.get("column_A"),
                    **{k: v for k, v in (cfg.meta or {}).items() if k in ("rule", "severity", "label_vi", "field")},
                    "unexpected_count": res.get("unexpected_count"),
                    "unexpected": [html.unescape(str(v)) for v in (res.get("partial_unexpected_list") or [])[:5]]})
    return out


def _ephemeral_context(site_dir: str) -> Any:
    """In-memory stores and one Data Docs site in `site_dir` (GE's own temporary site is not made:
    it would build every page twice and leave a folder in /tmp per run)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites={"sohoa": {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": site_dir},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }},
        analytics_enabled=False,
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    context.variables.progress_bars = {"globally": False}  # type: ignore[assignment]
    return context


def run_batch_expectations(batch_id: int, settings: Any = None, store: Any = None) -> dict[str, Any]:
    """Run one suite per document type present in the batch; store JSON results and Data Docs in
    the reports bucket; record an ExpectationRun per suite (a re-run replaces the batch's rows).

    Returns {"batch_id", "seconds", "suites": [...], "data_docs": "s3://…/index.html"}."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no telemetry from government machines
    t_import = time.perf_counter()
    import great_expectations as gx

    import_seconds = time.perf_counter() - t_import  # ~3-5 s once per process, then 0
    started = time.perf_counter()
    from core.settings import get_settings
    from schemas import DOCUMENT_TYPES
    from storage.objects import ObjectStore

    settings = settings or get_settings()
    store = store or ObjectStore(settings)
    thresholds = load_thresholds(settings)
    with session_scope(settings.db_url) as s:
        types = sorted(set(s.scalars(select(Document.document_type).where(Document.batch_id == batch_id))))
    types = [t for t in types if t in DOCUMENT_TYPES]

    bucket = store.bucket("reports")
    docs_prefix = keys.report_key(batch_id, DATA_DOCS_PREFIX)
    suites: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="sohoa-gx-") as site_dir:
        context = _ephemeral_context(site_dir)
        asset = context.data_sources.add_pandas("sohoa").add_dataframe_asset(f"batch-{batch_id}")
        batch_def = asset.add_batch_definition_whole_dataframe("records")
        rows: list[ExpectationRun] = []
        for code in types:
            doc_type = DOCUMENT_TYPES[code]
            t0 = time.perf_counter()
            frame = escaped_for_docs(records_frame(batch_id, doc_type, settings.db_url))
            # The suite is made whole, then added once: adding expectations one by one to a suite the
            # context holds stores (and deep-copies) the suite again for each (~4 s a batch).
            suite = context.suites.add(gx.ExpectationSuite(name=suite_name(doc_type),
                                                           expectations=build_expectations(doc_type, thresholds)))
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"batch-{batch_id}-{code}", data=batch_def, suite=suite))
            # The definition is run as it is (it stores its result for the Data Docs, built once below),
            # not through a checkpoint of its own: a checkpoint with no actions only added its storing,
            # serialising and freshness checks (~10 % of the suites' run).
            result = definition.run(batch_parameters={"dataframe": frame}, result_format={"result_format": "SUMMARY"})
            stats = result.statistics
            result_key = keys.report_key(batch_id, f"expectations/{code}.json")
            store.put_bytes(bucket, result_key, json.dumps(result.to_json_dict(), ensure_ascii=False, indent=1,
                                                           default=str).encode(), content_type="application/json")
            seconds = time.perf_counter() - t0
            rows.append(ExpectationRun(
                batch_id=batch_id, document_type=code, suite_name=suite_name(doc_type), success=bool(result.success),
                records=len(frame), evaluated=int(stats["evaluated_expectations"]),
                successful=int(stats["successful_expectations"]), failed_expectations=_failed(result),
                seconds=round(seconds, 3), result_key=result_key, docs_key=None))
            suites.append({"document_type": code, "success": bool(result.success), "records": len(frame),
                           "evaluated": int(stats["evaluated_expectations"]),
                           "failed": int(stats["unsuccessful_expectations"]),
                           "result": f"s3://{bucket}/{result_key}", "data_docs": None})
        if types:
            context.build_data_docs(site_names=["sohoa"])
        for row, entry in zip(rows, suites, strict=True):
            # Data Docs nest a dotted suite name as folders: validations/sohoa/<type>/<run>/<batch>.html
            page = next(Path(site_dir, "validations", *row.suite_name.split(".")).rglob("*.html"), None)
            row.docs_key = f"{docs_prefix}/{page.relative_to(site_dir).as_posix()}" if page else None
            entry["data_docs"] = f"s3://{bucket}/{row.docs_key}" if row.docs_key else None
        uploaded = _upload_site(Path(site_dir), store, bucket, docs_prefix) if types else 0
    with session_scope(settings.db_url) as s:
        s.execute(delete(ExpectationRun).where(ExpectationRun.batch_id == batch_id))
        s.add_all(rows)
    seconds = round(time.perf_counter() - started, 3)
    log.info("[expectations] batch %d: %d suites, %d files of Data Docs, %.2f s", batch_id, len(suites), uploaded,
             seconds)
    return {"batch_id": batch_id, "seconds": seconds, "import_seconds": round(import_seconds, 3), "suites": suites,
            "success": all(x["success"] for x in suites),
            "data_docs": f"s3://{bucket}/{docs_prefix}/index.html" if types else None}


_CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "application/javascript"}


def _upload_site(site: Path, store: Any, bucket: str, prefix: str) -> int:
    """Upload the Data Docs pages and their style sheets; the logo images and fonts (4 MB a batch)
    stay out, the pages render without them."""
    uploaded: set[str] = set()
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site).as_posix()
        if not path.is_file() or (rel.startswith("static/") and not rel.startswith("static/styles/")):
            continue
        store.put_bytes(bucket, f"{prefix}/{rel}", path.read_bytes(),
                        content_type=_CONTENT_TYPES.get(path.suffix, "application/octet-stream"))
        uploaded.add(f"{prefix}/{rel}")
    # Page paths carry the run time: pages of an earlier (or crashed) run of this batch are stale.
    for key in list(store.list_keys(bucket, f"{prefix}/")):
        if key not in uploaded:
            store.delete(bucket, key)
    return len(uploaded)
