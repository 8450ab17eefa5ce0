"""DagBag import test: every DAG file parses without errors and has the expected shape."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    # AIRFLOW_HOME must be set before airflow is imported (it creates ~/airflow otherwise).
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow")))
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}


def test_expected_dags_present(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert {"digitise_batch", "sync_citizen_warehouse", "roadmap_report", "fixity_audit", "sign_reviewed"} <= set(dagbag.dag_ids)


def test_digitise_batch_is_the_data_flow(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["digitise_batch"]  # get_dag() would query the metadata DB
    order = ["intake", "take", "ocr", "extract", "validate", "sign", "store", "sync"]
    for upstream, downstream in zip(order, order[1:], strict=False):
        assert downstream in dag.get_task(upstream).downstream_task_ids
    # the batch's report waits for every chunk to be routed; signing does not wait for the report
    assert dag.get_task("validation_report").upstream_task_ids == {"intake", "validate"}
    # the stages wait for the chunks taken, never for the plan alone
    assert dag.get_task("ocr").upstream_task_ids == {"intake", "take"}
    assert not dag.get_task("validation_report").downstream_task_ids
    # queued with the first signing chunks, the report (the longest light task) goes before them
    report = dag.get_task("validation_report")
    assert report.weight_rule == "absolute"
    # a chunk's tasks weigh what is upstream of them (a chunk begun is finished first): the report
    # still outweighs the heaviest of them, storing
    for task_id in ("ocr", "extract", "sign", "store"):
        assert dag.get_task(task_id).weight_rule == "upstream", task_id
    store = dag.get_task("store")
    store_weight = store.priority_weight + sum(t.priority_weight for t in store.get_flat_relatives(upstream=True))
    assert report.priority_weight > store_weight
    extract, ocr = dag.get_task("extract"), dag.get_task("ocr")
    assert len(extract.get_flat_relatives(upstream=True)) > len(ocr.get_flat_relatives(upstream=True))
    assert {t.task_id for t in dag.tasks} == {*order, "validation_report"}
    assert set(dag.params.keys()) == {"province", "agency", "batch_location", "document_type"}


def test_digitise_batch_maps_the_document_stages_over_chunks(dagbag) -> None:  # type: ignore[no-untyped-def]
    """Intake's taking of files and every per-document stage are mapped tasks over chunks (ids only:
    places in the batch's list of files, then the document ids each chunk took), so any number of
    Celery workers share one batch, its intake included; OCR-heavy tasks and light ones on their own
    queues, with the limits of core/settings.py."""
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    from core.settings import get_settings

    settings = get_settings()
    dag = dagbag.dags["digitise_batch"]
    mapped = {t.task_id for t in dag.tasks
              if isinstance(t, MappedOperator) or t.get_closest_mapped_task_group() is not None}
    assert mapped == {"take", "ocr", "extract", "validate", "sign", "store"}
    for task_id, queue, limit in (("take", settings.light_queue, settings.light_max_active_tasks),
                                  ("ocr", settings.ocr_queue, settings.ocr_max_active_tasks),
                                  ("extract", settings.ocr_queue, settings.ocr_max_active_tasks),
                                  ("validate", settings.light_queue, settings.light_max_active_tasks),
                                  ("sign", settings.light_queue, settings.light_max_active_tasks),
                                  ("store", settings.light_queue, settings.light_max_active_tasks)):
        task = dag.get_task(task_id)
        assert task.queue == queue, task_id
        assert task.max_active_tis_per_dag == limit, task_id
    assert dag.get_task("sync").queue == settings.light_queue
    assert dag.max_active_runs == settings.max_active_batches
    assert {"take", "ocr", "extract", "validate", "sign", "store"} <= dag.get_task("intake").downstream_task_ids
    assert {"ocr", "extract", "validate", "sign", "store"} <= dag.get_task("take").downstream_task_ids


def test_digitise_batch_waits_for_the_whole_batch_only_where_the_domain_needs_it(dagbag) -> None:  # type: ignore[no-untyped-def]
    """A chunk's extraction follows its own OCR, its storing its own signing (one mapped task group
    each: the same map index), never the whole stage; validation waits for every chunk's extraction
    (probable duplicates across the batch) and signing for every chunk's routing (a later record of
    the same subject, a signed paper scanned again), both whole-stage waits."""
    dag = dagbag.dags["digitise_batch"]

    def group(task_id: str):  # type: ignore[no-untyped-def]
        return dag.get_task(task_id).get_closest_mapped_task_group()

    assert group("ocr") is not None and group("ocr") is group("extract")
    assert group("sign") is not None and group("sign") is group("store")
    assert group("ocr") is not group("sign")
    # outside any chunk group: their instances wait for every instance upstream
    assert group("take") is None and group("validate") is None
    assert "extract" in dag.get_task("validate").upstream_task_ids
    assert "validate" in dag.get_task("sign").upstream_task_ids
    # the task ids are the stages' names (logs, retries and the bench name them so)
    assert {"ocr", "extract", "sign", "store"} <= set(dag.task_ids)


def test_dag_files_import_no_stage_package_at_parse_time() -> None:
    # Parsing must stay cheap: stage packages are imported inside tasks only.
    for path in (REPO / "dags").glob("*.py"):
        top_level = [line for line in path.read_text().splitlines() if line.startswith(("import ", "from "))]
        for line in top_level:
            assert not any(pkg in line for pkg in ("ocr", "signing", "storage", "intake", "sohoa", "pyhanko", "cv2")), \
                f"{path.name}: heavy import at parse time: {line}"


def test_trigger_form_lists_the_catalogues_in_vietnamese(dagbag) -> None:  # type: ignore[no-untyped-def]
    """Every declared document type by its Vietnamese name, provinces from the catalogue, a
    description on every field (generated from schemas/ and core/units, never hand-listed)."""
    from core import units
    from schemas import DOCUMENT_TYPES

    params = dagbag.dags["digitise_batch"].params
    doc_type = params.get_param("document_type").schema
    assert doc_type["enum"] == ["auto", *DOCUMENT_TYPES]
    assert {"giay_phep_xay_dung", "trich_luc_khai_sinh"} <= set(doc_type["enum"])
    assert doc_type["values_display"]["giay_phep_xay_dung"] == "Giấy phép xây dựng"
    assert doc_type["values_display"]["trich_luc_khai_sinh"] == "Trích lục khai sinh"
    province = params.get_param("province").schema
    assert {p.name for p in units.new_provinces()} <= set(province["enum"])
    assert "Ninh Thuận" in province["enum"] and "trước 01/07/2025" in province["values_display"]["Ninh Thuận"]
    for name in params:
        param = params.get_param(name)
        assert param.description and param.schema.get("title"), name


def test_dags_are_not_paused_when_deployed(dagbag) -> None:  # type: ignore[no-untyped-def]
    for dag_id, dag in dagbag.dags.items():
        assert dag.is_paused_upon_creation is False, dag_id


def test_every_name_a_task_imports_exists() -> None:
    """Tasks import the stage packages when they run (parsing stays cheap), so a DagBag never sees a
    misspelt or unexported name: each `from X import Y` inside a DAG file is resolved here."""
    import ast
    import importlib
    import importlib.util

    for path in (REPO / "dags").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.col_offset > 0:
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name) or importlib.util.find_spec(f"{node.module}.{alias.name}"), \
                        f"{path.name}:{node.lineno}: {node.module} has no {alias.name}"
