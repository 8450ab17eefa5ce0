"""digitise_batch: intake → ocr → extract → validate → sign → store → sync (Decree 45 Art. 25).

Thin wiring only: every task calls one function of sohoa.pipeline with ids; XCom carries ids, never
images. Imports of the stage packages happen inside the tasks so parsing this file stays cheap.

Intake cuts the batch's files into chunks (SOHOA_CHUNK_SIZE documents) and takes each chunk in a
mapped task; the per-document stages are mapped over the chunks' documents, so every Celery worker
takes chunks of one batch, its intake included. A chunk goes on through the stages that need only
its own documents without waiting for the others (a mapped task group: `read`, its OCR then its
extraction; `release`, its signing then its storing, which also pushes its records to the
warehouse). Two waits for the whole batch stay, because the domain needs them: validation compares
each record with every other record of the batch (probable duplicates), so it starts once every
chunk is extracted; signing judges a record against the batch's others (a later record of the same
subject, a signed paper scanned again), so it starts once every chunk is routed. The batch's
validation report runs beside signing, which does not need it. OCR and extraction go to the OCR
queue, the light stages to the default queue, so a light worker signs and syncs while the OCR
workers are busy. A retried chunk goes through the same idempotent door: what it finished is
skipped, nothing is signed twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task, task_group

from core import units
from core.settings import get_settings
from schemas import DOCUMENT_TYPES

DEFAULT_ARGS = {"retries": 2, "retry_delay": timedelta(minutes=2), "retry_exponential_backoff": True}

# The trigger form's choices come from the catalogues (never hand-listed): every declared document
# type by its Vietnamese name, every province of the 2025 map, then the pre-2025 names a batch may
# still be written with.
TYPE_CHOICES = {"auto": "Tự nhận biết theo tên loại in trên giấy"} | {
    code: t.name_vi for code, t in DOCUMENT_TYPES.items()}
PROVINCE_CHOICES = {p.name: p.name for p in units.new_provinces()} | {
    p.name: f"{p.name} (tỉnh trước 01/07/2025)" for p in units.old_provinces()
    if p.name not in {n.name for n in units.new_provinces()}}


# Queues and limits are read when the file is parsed (SOHOA_* in the DAG processor's environment).
SETTINGS = get_settings()
HEAVY = {"queue": SETTINGS.ocr_queue, "max_active_tis_per_dag": SETTINGS.ocr_max_active_tasks}
LIGHT = {"queue": SETTINGS.light_queue, "max_active_tis_per_dag": SETTINGS.light_max_active_tasks}


# The tasks of a chunk group weigh what is upstream of them (Airflow's "upstream" rule), not what is
# downstream (its default): when a worker's slot frees, the scheduler sends a chunk's next stage
# (its extraction, its storing) before another chunk's first (OCR, signing), so that a chunk begun
# is finished first and the batch's last chunks do not all wait behind one another at its end.
CHUNK_FIRST = {"weight_rule": "upstream"}

# Above the weight of any task queued with the report (a signing or a storing chunk: the tasks
# upstream of it, itself included: 7).
REPORT_FIRST = 10


def _act_for_run() -> None:
    """Audit entries name the person who triggered this run (a schedule names itself)."""
    from airflow.sdk import get_current_context

    from core.actors import act_for_run

    act_for_run(get_current_context().get("dag_run"))


def _chunk(stage: str, batch_id: int, chunk: list[int]) -> dict:
    """One stage over one chunk; its summary goes to the task log, not to XCom."""
    import logging

    from sohoa.pipeline import run_chunk

    _act_for_run()
    # the bench reads this line: the task's start-up (parse, imports) ends here, its work begins
    logging.getLogger(__name__).info("sohoa work starts: %s, %d documents", stage, len(chunk))
    summary = run_chunk(stage, batch_id, chunk)
    logging.getLogger(__name__).info("%s, %d documents: %s", stage, len(chunk), summary)
    return summary


@dag(
    dag_id="digitise_batch",
    description="Số hóa một lô kết quả giải quyết TTHC: tiếp nhận → OCR → trích xuất → kiểm tra → ký số → lưu trữ → đồng bộ",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=SETTINGS.max_active_batches,
    is_paused_upon_creation=False,  # triggered by people and by `sohoa run`: ready as soon as it is deployed
    default_args=DEFAULT_ARGS,
    tags=["sohoa", "decree-45"],
    params={
        "province": Param("Khánh Hòa", type="string", title="Tỉnh/thành phố", enum=list(PROVINCE_CHOICES),
                          values_display=PROVINCE_CHOICES,
                          description="Tỉnh của cơ quan đã cấp các kết quả trong lô (34 tỉnh từ 01/07/2025; "
                                      "tên tỉnh cũ vẫn nhận, được quy về tỉnh mới)."),
        "agency": Param("000.00.15.H34", type="string", title="Mã cơ quan có thẩm quyền",
                        pattern=r"^\S+$",
                        description="Mã định danh điện tử của cơ quan đã cấp kết quả (ví dụ 000.00.15.H34); "
                                    "dùng để lập mã hồ sơ và tính tiến độ theo cơ quan."),
        "batch_location": Param("", type="string", title="Lô bản quét (thư mục hoặc s3://…)",
                                description="Tiền tố trong bucket hộp thư đến mà trạm quét tải lên "
                                            "(s3://<bucket inbox>/<tiền tố>/, dùng khi có nhiều máy chạy tác vụ), "
                                            "hoặc thư mục trên máy chạy tác vụ Airflow; chứa các tệp bản quét "
                                            "(PDF, PNG, JPEG, TIFF) và tệp manifest.csv nếu có."),
        "document_type": Param("auto", type="string", title="Loại giấy tờ", enum=list(TYPE_CHOICES),
                               values_display=TYPE_CHOICES,
                               description="Loại kết quả của cả lô; «Tự nhận biết» đọc tên loại in trên từng "
                                           "giấy. Tệp manifest.csv có cột loại giấy tờ thì cột đó được dùng."),
    },
)
def digitise_batch() -> None:
    # Intake runs in two parts: `intake` reads the manifest (refused as a whole: no retry), makes the
    # batch and cuts its files into chunks (places in the batch's list, ids only); `take` inspects,
    # hashes and stores one chunk's files on any worker. Its value, the chunk's document ids, is what
    # the per-document stages map over; the batch id goes beside the chunks under its own key.
    @task(queue=SETTINGS.light_queue)
    def intake(params: dict | None = None) -> list[list[int]]:
        _act_for_run()
        from airflow.configuration import conf
        from airflow.sdk import get_current_context
        from airflow.sdk.exceptions import AirflowFailException

        from intake import plan_batch
        from intake.manifest import ManifestError

        assert params is not None
        try:
            # never more chunks than Airflow maps (core.max_map_length): chunks grow instead
            plan = plan_batch(params["batch_location"], province=params["province"], agency_code=params["agency"],
                              document_type=params["document_type"],
                              max_chunks=conf.getint("core", "max_map_length"))
        except ManifestError as exc:  # a refused manifest stays refused: no retry, the reason shown
            raise AirflowFailException(str(exc)) from None
        get_current_context()["ti"].xcom_push(key="batch_id", value=plan.batch_id)
        return plan.chunks

    @task(**LIGHT)
    def take(batch_id: int, places: list[int], params: dict | None = None) -> list[int]:
        import logging

        from airflow.sdk.exceptions import AirflowFailException

        from intake import take_chunk
        from intake.manifest import ManifestError

        _act_for_run()
        assert params is not None
        logging.getLogger(__name__).info("sohoa work starts: take, %d files", len(places))
        try:
            report = take_chunk(params["batch_location"], batch_id, places, province=params["province"],
                                agency_code=params["agency"], document_type=params["document_type"])
        except ManifestError as exc:
            raise AirflowFailException(str(exc)) from None
        logging.getLogger(__name__).info("take, %d files: %s", len(places), report.summary())
        return list(dict.fromkeys(report.accepted))

    @task(execution_timeout=timedelta(hours=2), **HEAVY, **CHUNK_FIRST)
    def ocr(batch_id: int, chunk: list[int]) -> None:
        _chunk("ocr", batch_id, chunk)

    @task(**HEAVY, **CHUNK_FIRST)
    def extract(batch_id: int, chunk: list[int]) -> None:
        _chunk("extract", batch_id, chunk)

    @task(**LIGHT)
    def validate(batch_id: int, chunk: list[int]) -> int:
        return sum(_chunk("validate", batch_id, chunk)["routes"].values())  # records routed now

    # An empty batch (every file quarantined) maps no chunk: its report and the drain still run.
    # The report (its expectation suites: the batch's longest light task) is queued with the first
    # signing chunks and goes before them: started last, it ran on after everything else and ended
    # the batch while the other workers sat idle (docs/benchmarks.md, "Celery workers"). Airflow's
    # default weight (its downstream tasks: none) put it after every signing and storing chunk.
    @task(trigger_rule="none_failed", weight_rule="absolute", priority_weight=REPORT_FIRST, **LIGHT)
    def validation_report(batch_id: int, routed: list[int] | None = None) -> None:
        _act_for_run()
        from sohoa.pipeline import validation_report

        validation_report(batch_id, sum(routed) if routed is not None else 0)

    @task(**LIGHT, **CHUNK_FIRST)
    def sign(batch_id: int, chunk: list[int]) -> None:
        _chunk("sign", batch_id, chunk)

    @task(**LIGHT, **CHUNK_FIRST)
    def store(batch_id: int, chunk: list[int]) -> None:
        _chunk("store", batch_id, chunk)

    @task(trigger_rule="none_failed", **LIGHT)
    def sync(batch_id: int) -> dict:
        _act_for_run()
        from sohoa.pipeline import sync_batch

        return sync_batch(batch_id)

    files = intake()
    batch_id = files["batch_id"]  # the other key intake pushes

    # One instance of each group per chunk; a task in it waits only for its own chunk's task before
    # it (the same map index), not for the whole stage: chunk i is extracted while chunk j is still
    # in OCR, and stored while chunk j is signed. The task ids stay the stages' names.
    @task_group(prefix_group_id=False)
    def read(chunk: list[int]) -> None:
        ocr(batch_id, chunk) >> extract(batch_id, chunk)

    @task_group(prefix_group_id=False)
    def release(chunk: list[int]) -> None:
        sign(batch_id, chunk) >> store(batch_id, chunk)

    chunks = take.partial(batch_id=batch_id).expand(places=files)
    routed = validate.partial(batch_id=batch_id).expand(chunk=chunks)
    # The two waits for the whole batch (see above): every chunk extracted before any is validated,
    # every chunk routed before any is signed.
    read.expand(chunk=chunks) >> routed
    # The report (and its expectation suites) only describes the batch: signing does not wait for it,
    # a second worker writes it while the first signs.
    validation_report(batch_id, routed)
    routed >> release.expand(chunk=chunks) >> sync(batch_id)


digitise_batch()
