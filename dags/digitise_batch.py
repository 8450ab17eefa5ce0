"""digitise_batch: intake → ocr → extract → validate → sign → store → sync (Decree 45 Art. 25).

Thin wiring only: every task calls one function of sohoa.pipeline with ids; XCom carries ids and
object keys, never images. Imports of the stage packages happen inside the tasks so parsing this
file stays cheap.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

DEFAULT_ARGS = {"retries": 2, "retry_delay": timedelta(minutes=2), "retry_exponential_backoff": True}


@dag(
    dag_id="digitise_batch",
    description="Số hóa một lô kết quả giải quyết TTHC: tiếp nhận → OCR → trích xuất → kiểm tra → ký số → lưu trữ → đồng bộ",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=2,
    default_args=DEFAULT_ARGS,
    tags=["sohoa", "decree-45"],
    params={
        "province": Param("Khánh Hòa", type="string", title="Tỉnh/thành phố"),
        "agency": Param("000.00.15.H34", type="string", title="Mã cơ quan có thẩm quyền"),
        "batch_location": Param("", type="string", title="Thư mục lô (đường dẫn trên máy chạy tác vụ)"),
        "document_type": Param("auto", type="string", title="Loại giấy tờ",
                               enum=["auto", "quyet_dinh", "giay_chung_nhan_ho_kinh_doanh",
                                     "xac_nhan_tinh_trang_hon_nhan"]),
    },
)
def digitise_batch() -> None:
    @task
    def intake(params: dict | None = None) -> int:
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
        from sohoa.pipeline import ocr_batch

        ocr_batch(batch_id)
        return batch_id

    @task
    def extract(batch_id: int) -> int:
        from sohoa.pipeline import extract_batch

        extract_batch(batch_id)
        return batch_id

    @task
    def validate(batch_id: int) -> int:
        from sohoa.pipeline import validate_batch

        validate_batch(batch_id)
        return batch_id

    @task
    def sign(batch_id: int) -> int:
        from sohoa.pipeline import sign_batch

        sign_batch(batch_id)
        return batch_id

    @task
    def store(batch_id: int) -> int:
        from sohoa.pipeline import store_batch

        store_batch(batch_id)
        return batch_id

    @task
    def sync(batch_id: int) -> dict:
        from sohoa.pipeline import sync_batch

        return sync_batch(batch_id)

    sync(store(sign(validate(extract(ocr(intake()))))))


digitise_batch()
