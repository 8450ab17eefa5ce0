"""digitise_batch: intake → ocr → extract → validate → sign → store → sync (Decree 45 Art. 25).

Thin wiring only: every task calls one function of sohoa.pipeline with ids; XCom carries ids and
object keys, never images. Imports of the stage packages happen inside the tasks so parsing this
file stays cheap.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

from core import units
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


def _act_for_run() -> None:
    """Audit entries name the person who triggered this run (a schedule names itself)."""
    from airflow.sdk import get_current_context

    from core.actors import act_for_run

    act_for_run(get_current_context().get("dag_run"))


@dag(
    dag_id="digitise_batch",
    description="Số hóa một lô kết quả giải quyết TTHC: tiếp nhận → OCR → trích xuất → kiểm tra → ký số → lưu trữ → đồng bộ",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=2,
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
        "batch_location": Param("", type="string", title="Thư mục lô (đường dẫn trên máy chạy tác vụ)",
                                description="Thư mục chứa các tệp bản quét (PDF, PNG, JPEG, TIFF) và tệp "
                                            "manifest.csv nếu có, trên máy chạy tác vụ Airflow."),
        "document_type": Param("auto", type="string", title="Loại giấy tờ", enum=list(TYPE_CHOICES),
                               values_display=TYPE_CHOICES,
                               description="Loại kết quả của cả lô; «Tự nhận biết» đọc tên loại in trên từng "
                                           "giấy. Tệp manifest.csv có cột loại giấy tờ thì cột đó được dùng."),
    },
)
def digitise_batch() -> None:
    @task
    def intake(params: dict | None = None) -> int:
        _act_for_run()
        from airflow.exceptions import AirflowFailException

        from intake import intake_batch
        from intake.manifest import ManifestError

        assert params is not None
        try:
            report = intake_batch(params["batch_location"], province=params["province"],
                                  agency_code=params["agency"], document_type=params["document_type"])
        except ManifestError as exc:  # a refused manifest stays refused: no retry, the reason shown
            raise AirflowFailException(str(exc)) from None
        return report.batch_id

    @task(execution_timeout=timedelta(hours=6))
    def ocr(batch_id: int) -> int:
        _act_for_run()
        from sohoa.pipeline import ocr_batch

        ocr_batch(batch_id)
        return batch_id

    @task
    def extract(batch_id: int) -> int:
        _act_for_run()
        from sohoa.pipeline import extract_batch

        extract_batch(batch_id)
        return batch_id

    @task
    def validate(batch_id: int) -> int:
        _act_for_run()
        from sohoa.pipeline import validate_batch

        validate_batch(batch_id)
        return batch_id

    @task
    def sign(batch_id: int) -> int:
        _act_for_run()
        from sohoa.pipeline import sign_batch

        sign_batch(batch_id)
        return batch_id

    @task
    def store(batch_id: int) -> int:
        _act_for_run()
        from sohoa.pipeline import store_batch

        store_batch(batch_id)
        return batch_id

    @task
    def sync(batch_id: int) -> dict:
        _act_for_run()
        from sohoa.pipeline import sync_batch

        return sync_batch(batch_id)

    sync(store(sign(validate(extract(ocr(intake()))))))


digitise_batch()
