"""The review desk pages (server-rendered, Vietnamese): queue, record, batch report, page images,
Data Docs. Mounted by web.create_app under /review."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from core.text import vn_number
from review import rescan, retype, service
from review.quality import REASON_PREFIX
from schemas import DOCUMENT_TYPES, RULE_NAMES_VI, field_name_vi
from schemas.thresholds import load_thresholds
from storage import keys
from storage.db import session_scope
from storage.models import RESULT_STATE_VI, STATUS_VI, Batch, Document, DocumentStatus
from storage.review_models import ExpectationRun
from web.auth import CurrentUser, Forbidden, UserDep
from web.csrf import csrf_protect
from web.responses import redirect, root

router = APIRouter(prefix="/review")
# "approved" is also a steward's approval here, not only the rules' automatic one.
STATUS_LABELS = STATUS_VI | {"approved": "Đã duyệt (tự động hoặc bởi cán bộ)"}
PAGE_IMAGE_WIDTH = 1400  # px: sharp enough to read a diacritic on a laptop screen
# JPEG at this quality: 370-540 kB a generated page at 1400 px, where PNG was 2.4-3.4 MB (docs/review.md)
PAGE_IMAGE_QUALITY = 85
RULE_VI = RULE_NAMES_VI
# Field names as people say them, for pages that show a field outside its record (history, batch report).
FIELD_VI = {f.name: f.label_vi for t in reversed(DOCUMENT_TYPES.values()) for f in t.fields}
ACTION_VI = {"correct": "Sửa trường", "approve": "Duyệt", "reject": "Từ chối", "change": "Thay đổi giá trị",
             "approve_archive": "Duyệt lưu trữ (hết hiệu lực, chỉ bản quét)", "rescan": "Yêu cầu quét lại",
             "rescanned": "Nhận bản quét lại", "rescan_withdrawn": "Hủy yêu cầu quét lại",
             "change_type": "Đổi loại giấy tờ",
             "reopen": "Mở lại để đính chính sau khi ký", "rekey": "Đổi mã hồ sơ tạm sang mã thật"}
_FLASH = {
    "saved": "Đã lưu các trường đã sửa và kiểm tra lại hồ sơ #{doc}.",
    "unchanged": "Không có trường nào thay đổi (hồ sơ #{doc}).",
    "approved": "Đã duyệt hồ sơ #{doc}; hồ sơ sẽ được ký số ở lượt ký tiếp theo.",
    "rejected": "Đã từ chối hồ sơ #{doc}.",
    "archived": "Đã duyệt lưu trữ hồ sơ #{doc}: chỉ ký bản quét (phương thức a), không phải kết quả còn hiệu lực.",
    "empty": "Không còn hồ sơ nào cần rà soát trong bộ lọc này.",
    "rescan": "Đã yêu cầu quét lại hồ sơ #{doc}; hồ sơ nằm trong danh sách chờ quét lại.",
    "retyped": "Đã đổi loại giấy tờ của hồ sơ #{doc}, trích xuất và kiểm tra lại theo loại mới.",
    "reopened": "Đã mở lại hồ sơ #{doc} để đính chính: sau khi duyệt, bản mới được ký và thay thế bản cũ.",
    "rekeyed": "Đã gắn hồ sơ #{doc} với mã hồ sơ thật (mã tạm được giữ làm bí danh). Nếu hồ sơ đã ký, kết quả "
               "được ký lại với mã thật ở lượt ký tiếp theo và thay thế bản mang mã tạm.",
}


# Banners after a refused action: the URL carries only a code (`?error=errors_left`); any other text
# shows nothing, so a link cannot put words on the page (issue 17, finding 9). The record page itself
# lists the failing fields, duplicates and validity the details of the refusal were about.
_ERRORS = {
    "signed": "Hồ sơ đã ký số: chỉ có thể thu hồi, không sửa (Điều 15).",
    "unknown_field": "Có trường không thuộc loại giấy tờ này: chưa lưu.",
    "expired": "Giấy tờ không còn hiệu lực: không duyệt được như kết quả còn hiệu lực; nếu cơ quan muốn số hóa, "
               "hãy chọn «Duyệt lưu trữ» (chỉ lưu bản quét, phương thức a).",
    "errors_left": "Còn lỗi: hãy sửa, hoặc ghi rõ lý do duyệt dù còn lỗi.",
    "duplicate": "Hồ sơ có thể trùng với hồ sơ khác: ghi rõ lý do vẫn duyệt, hoặc từ chối bản trùng.",
    "archive_note": "Phải ghi rõ quyết định của cơ quan (vd. «cơ quan yêu cầu lưu trữ bản quét»).",
    "still_valid": "Giấy tờ còn hiệu lực: duyệt bình thường, không duyệt lưu trữ.",
    "steward_values": "Giá trị cán bộ nhập không đạt quy tắc kiểm tra (xem các trường tô đỏ): chưa duyệt được.",
    "reject_reason": "Phải ghi lý do từ chối.",
    "rescan": "Bản quét có trang cần quét lại: hãy «Yêu cầu quét lại», hoặc ghi rõ lý do vẫn duyệt.",
    "rescan_reason": "Phải ghi lý do cần quét lại (vd. «trang 2 trắng, thiếu mặt sau»).",
    "rescan_pending": "Hồ sơ đã đang chờ quét lại.",
    "unknown_type": "Loại giấy tờ không có trong danh mục.",
    "same_type": "Hồ sơ đã là loại giấy tờ này.",
    # a correction after signing (review.lifecycle.reopen_signed)
    "refused": "Không thực hiện được thao tác này.",
    "no_result": "Không có kết quả mang mã này.",
    "revoked": "Kết quả đã bị thu hồi: không đính chính được.",
    "superseded": "Kết quả đã được thay thế: hãy đính chính bản hiện hành.",
    "reopen_reason": "Cần ghi lý do đính chính.",
    "not_current": "Mã kết quả không phải bản hiện hành của hồ sơ này.",
    "not_stored": "Kết quả chưa được lưu trữ xong: hãy chạy bước lưu trữ trước khi đính chính.",
    "unknown_agency": "Cơ quan ban hành không có trong danh mục mã định danh cơ quan: sửa tên cơ quan theo danh mục, "
                      "hoặc bổ sung tên in trên giấy tờ vào danh mục («sohoa agencies import») rồi duyệt lại.",
    # re-keying a provisional dossier code (review.lifecycle.rekey_provisional)
    "dossier_code": "Mã hồ sơ thật không đúng dạng <mã cơ quan>-<yymmdd>-<số thứ tự> "
                    "(ví dụ 000.00.15.H34-200512-0001): chưa đổi.",
    "not_provisional": "Hồ sơ đã mang mã hồ sơ thật: mã hồ sơ không bao giờ đổi.",
    "no_provisional": "Không có hồ sơ nào mang mã tạm này.",
}


def _templates(request: Request) -> Any:
    return request.app.state.templates


def _settings(request: Request) -> Any:
    return request.app.state.settings


def _store(request: Request) -> Any:
    store = getattr(request.app.state, "store", None)
    if store is None:
        from storage.objects import ObjectStore

        store = request.app.state.store = ObjectStore(_settings(request))
    return store


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _flash(request: Request) -> str | None:
    code = request.query_params.get("done")
    text = _FLASH.get(code or "")
    return text.format(doc=_int(request.query_params.get("doc")) or "") if text else None


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    base = {"status_vi": STATUS_LABELS, "rule_vi": RULE_VI, "action_vi": ACTION_VI, "types": DOCUMENT_TYPES,
            "field_vi": FIELD_VI, "flash": _flash(request)}
    return _templates(request).TemplateResponse(request, name, base | context, status_code=status_code)


def _document(request: Request, user: CurrentUser, document_id: int) -> Document:
    with session_scope(_settings(request).db_url) as s:
        doc = s.get(Document, document_id)
    # Another province's record answers exactly like a missing one: the answer names no province and
    # does not tell which ids exist (issue 17, finding 9).
    if doc is None or not service.can_see(user, doc.province):
        raise LookupError(f"Hồ sơ #{document_id} không tồn tại.")
    return doc


def _batch(request: Request, user: CurrentUser, batch_id: int) -> Batch:
    with session_scope(_settings(request).db_url) as s:
        batch = s.get(Batch, batch_id)
    if batch is None or not service.can_see(user, batch.province):  # as for records: no province, no hint
        raise LookupError(f"Lô #{batch_id} không tồn tại.")
    return batch


def _back(request: Request, path: str, **params: Any) -> Response:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return redirect(request, path + (f"?{query}" if query else ""))


# ---------------------------------------------------------------- queue
@router.get("", response_class=HTMLResponse)
def queue_page(request: Request, user: UserDep, batch: str = "", province: str = "",
               status: str = DocumentStatus.NEEDS_REVIEW, type: str = "", after: str = "") -> Response:
    status = status if status in STATUS_LABELS or status == "all" else DocumentStatus.NEEDS_REVIEW
    q = service.queue(user, batch_id=_int(batch), province=province or None,
                      status=None if status == "all" else status, document_type=type or None,
                      after=after or None, db_url=_settings(request).db_url)
    filters = {"batch": batch, "province": province, "status": status, "type": type}
    return _render(request, "queue.html", {
        "queue": q, "filters": {"batch": _int(batch), "province": province, "status": status, "type": type},
        "next_query": urlencode({k: v for k, v in {"batch": batch, "province": province}.items() if v}),
        "next_page": urlencode({k: v for k, v in (filters | {"after": q.next_page}).items() if v})
        if q.next_page else None, "first_page": urlencode({k: v for k, v in filters.items() if v}) if after else None,
    })


@router.get("/next")
def next_record(request: Request, user: UserDep, after: str = "", batch: str = "", province: str = "") -> Response:
    target = service.next_doubtful(user, after=_int(after), batch_id=_int(batch), province=province or None,
                                   db_url=_settings(request).db_url)
    if target is None:  # keep "approved #5" rather than "queue empty" when both are true
        done = request.query_params.get("done") or "empty"
        return _back(request, "/review", batch=batch, province=province, done=done,
                     doc=request.query_params.get("doc"))
    return _back(request, f"/review/documents/{target}", done=request.query_params.get("done"),
                 doc=request.query_params.get("doc"))


# ---------------------------------------------------------------- record
@router.get("/documents/{document_id}", response_class=HTMLResponse)
def record_page(request: Request, user: UserDep, document_id: int, error: str = "") -> Response:
    _document(request, user, document_id)
    view = service.record_view(document_id, thresholds=load_thresholds(_settings(request)),
                               db_url=_settings(request).db_url)
    with session_scope(_settings(request).db_url) as s:
        runs = list(s.scalars(select(ExpectationRun).where(ExpectationRun.batch_id == view.document.batch_id)))
    # The browser fetches the next doubtful record's scan while the steward works on this one.
    next_id = service.next_doubtful(user, after=document_id, batch_id=view.document.batch_id,
                                    db_url=_settings(request).db_url)
    return _render(request, "record.html", {
        "next_id": next_id if next_id != document_id else None,
        "field_vi": FIELD_VI | {f.name: f.label_vi for f in view.fields},
        "view": view, "doc": view.document, "doc_type": DOCUMENT_TYPES.get(view.document.document_type),
        "can_review": service.can_review(user, view.document.province) and not view.signed,
        "error": _ERRORS.get(error), "has_errors": any(f.level == "error" for f in view.fields) or any(
            o.severity == "error" for o in view.record_failures) or bool(view.duplicates)
            or any(p.rescan for p in view.page_problems), "runs": runs,
        "expired": next((o.message for o in view.record_failures if o.rule == "still_valid"), None),
        "type_choices": retype.type_choices(),
        "rescan_hint": "; ".join(p.reason.removeprefix(f"{REASON_PREFIX} ") for p in view.page_problems if p.rescan),
        # A valid, current signed version can be corrected by a new one (review.lifecycle.reopen_signed).
        "can_reopen": next((r.result_code for r in view.results if r.valid and r.result_code == r.current),
                           None) if view.signed and service.can_review(user, view.document.province) else None,
        "state_vi": RESULT_STATE_VI,
        # A provisional TAM.… code is linked to the real mã hồ sơ once it is found (signed or not).
        "can_rekey": view.document.dossier_provisional and service.can_review(user, view.document.province),
    })


@router.post("/documents/{document_id}", dependencies=[Depends(csrf_protect)])
async def record_action(request: Request, user: UserDep, document_id: int) -> Response:
    doc = _document(request, user, document_id)
    if not service.can_review(user, doc.province):
        raise Forbidden("Vai trò của bạn chỉ được xem, không được sửa hay duyệt hồ sơ.")
    form = await request.form()
    action = str(form.get("action") or "save")
    db_url = _settings(request).db_url
    changes = {key.removeprefix("field__"): str(value) for key, value in form.multi_items()
               if key.startswith("field__")}
    if action == "rekey":  # the real mã hồ sơ of a provisional one: same service as `sohoa rekey`
        from review.lifecycle import LifecycleError, rekey_provisional

        if not doc.dossier_provisional or not doc.dossier_code:
            return _back(request, f"/review/documents/{document_id}", error="not_provisional")
        try:
            rekey_provisional(doc.dossier_code, str(form.get("real_dossier_code") or ""), user.username,
                              db_url=db_url)
        except LifecycleError as exc:
            return _back(request, f"/review/documents/{document_id}", error=exc.code)
        return _back(request, f"/review/documents/{document_id}", done="rekeyed", doc=document_id)
    if action == "reopen":  # a correction after signing: a new version will replace the signed one
        from review.lifecycle import LifecycleError, reopen_signed

        try:
            reopen_signed(str(form.get("result_code") or ""), user.username, str(form.get("reopen_reason") or ""),
                          db_url=db_url)
        except LifecycleError as exc:
            return _back(request, f"/review/documents/{document_id}", error=exc.code)
        return _back(request, f"/review/documents/{document_id}", done="reopened", doc=document_id)
    try:
        if action in ("save", "approve") and changes:
            correction = service.correct_fields(document_id, changes, user.username,
                                                thresholds=load_thresholds(_settings(request)), db_url=db_url)
            changed = bool(correction.changed)
        else:
            changed = False
        if action == "approve":
            note = str(form.get("note") or "")
            service.check_steward_values(document_id, db_url=db_url)  # refused before any confirmation
            pending = service.unconfirmed_changes(document_id, db_url=db_url)
            # Changed fields are shown once more before the approval counts; the confirmation names
            # the last change it showed, so a change made meanwhile (another tab) is shown again.
            if pending and _int(str(form.get("confirmed") or "")) != max(p.last_change_id for p in pending):
                return _render(request, "confirm.html", {
                    "doc": doc, "doc_type": DOCUMENT_TYPES.get(doc.document_type), "pending": pending,
                    "note": note, "confirmed": max(p.last_change_id for p in pending)})
            service.approve_document(document_id, user.username, note=note, db_url=db_url)
            return _back(request, "/review/next", after=document_id, batch=doc.batch_id, done="approved",
                         doc=document_id)
        if action == "archive":  # Art. 25.1: expired paper kept as a scan only, at the agency's wish
            service.approve_archive_only(document_id, user.username, note=str(form.get("note") or ""),
                                         db_url=db_url)
            return _back(request, "/review/next", after=document_id, batch=doc.batch_id, done="archived",
                         doc=document_id)
        if action == "change_type":  # read again as the named type, validated again, kept in the history
            retype.change_document_type(document_id, str(form.get("document_type") or ""), user.username,
                                        store=_store(request), thresholds=load_thresholds(_settings(request)),
                                        db_url=db_url)
            return _back(request, f"/review/documents/{document_id}", done="retyped", doc=document_id)
        if action == "rescan":
            rescan.request_rescan(document_id, user.username, str(form.get("rescan_reason") or ""), db_url=db_url)
            return _back(request, "/review/next", after=document_id, batch=doc.batch_id, done="rescan",
                         doc=document_id)
        if action == "reject":
            service.reject_document(document_id, user.username, str(form.get("reason") or ""), db_url=db_url)
            return _back(request, "/review/next", after=document_id, batch=doc.batch_id, done="rejected",
                         doc=document_id)
    except service.ReviewError as exc:
        return _back(request, f"/review/documents/{document_id}", error=exc.code)
    return _back(request, f"/review/documents/{document_id}", done="saved" if changed else "unchanged",
                 doc=document_id)


@router.get("/documents/{document_id}/pages/{number}.png")
def page_image(request: Request, user: UserDep, document_id: int, number: int) -> Response:
    """The scan's page at screen size, rendered from the raw object once and cached as JPEG in the
    work bucket. The address keeps its ".png" name (links and prefetches already out there)."""
    doc = _document(request, user, document_id)
    store, settings = _store(request), _settings(request)
    work = store.bucket("work")
    key = keys.work_key(doc.id, f"review-page-{number}.jpg")
    legacy = keys.work_key(doc.id, f"review-page-{number}.png")  # cached before pages were JPEG
    if store.stat(work, key) is not None:
        data = store.get_bytes(work, key)
    elif store.stat(work, legacy) is not None:
        return Response(store.get_bytes(work, legacy), media_type="image/png",
                        headers={"Cache-Control": "private, max-age=3600"})
    else:
        import ocr

        raw = store.get_bytes(store.bucket("raw"), doc.raw_key, expected_sha256=doc.sha256)
        pages = ocr.load_pages(raw, max_pixels=settings.max_image_pixels, dpi=settings.raster_dpi)
        if not 1 <= number <= len(pages):
            raise LookupError(f"Hồ sơ #{document_id} không có trang {number}.")
        image = pages[number - 1].image
        if image.width > PAGE_IMAGE_WIDTH:
            image = image.resize((PAGE_IMAGE_WIDTH, round(image.height * PAGE_IMAGE_WIDTH / image.width)))
        buf = io.BytesIO()
        image.convert("RGB").save(buf, "JPEG", quality=PAGE_IMAGE_QUALITY, optimize=True)
        data = buf.getvalue()
        store.put_bytes(work, key, data, content_type="image/jpeg")
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


# ---------------------------------------------------------------- re-scan list
@router.get("/rescans", response_class=HTMLResponse)
def rescans_page(request: Request, user: UserDep, batch: str = "", province: str = "") -> Response:
    rows = rescan.awaiting(user, batch_id=_int(batch), province=province or None, db_url=_settings(request).db_url)
    query = urlencode({k: v for k, v in {"batch": batch, "province": province}.items() if v})
    return _render(request, "rescans.html", {"rows": rows, "filters": {"batch": _int(batch), "province": province},
                                             "csv_query": query})


@router.get("/rescans.csv")
def rescans_csv(request: Request, user: UserDep, batch: str = "", province: str = "") -> Response:
    rows = rescan.awaiting(user, batch_id=_int(batch), province=province or None, db_url=_settings(request).db_url)
    name = f"cho-quet-lai{f'-lo-{_int(batch)}' if _int(batch) else ''}.csv"
    return Response(rescan.as_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ---------------------------------------------------------------- batch
@router.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, user: UserDep, batch_id: int) -> Response:
    batch = _batch(request, user, batch_id)
    report = service.batch_report(batch_id, db_url=_settings(request).db_url)
    return _render(request, "batch.html", {"batch": batch, "report": report})


@router.get("/batches/{batch_id}/validation.html")
def validation_report(request: Request, user: UserDep, batch_id: int) -> Response:
    batch = _batch(request, user, batch_id)
    if not batch.report_key:
        raise LookupError(f"Lô #{batch_id} chưa có báo cáo kiểm tra.")
    store = _store(request)
    return _sandboxed(store.get_bytes(store.bucket("reports"), batch.report_key), "text/html; charset=utf-8")


EXPECTATION_VI = {  # what a Great Expectations check asks, in words (the rule's label says why)
    "expect_column_values_to_not_be_null": "có giá trị",
    "expect_column_values_to_match_regex": "đúng dạng",
    "expect_column_values_to_match_strftime_format": "đúng dạng ngày NĂM-THÁNG-NGÀY",
    "expect_column_values_to_be_between": "trong khoảng cho phép",
    "expect_column_values_to_be_in_set": "có trong danh mục",
    "expect_column_pair_values_to_be_equal": "hai giá trị khớp nhau",
    "expect_column_pair_values_a_to_be_greater_than_b": "giá trị thứ nhất lớn hơn giá trị thứ hai",
}


BATCH_COLUMNS_VI = {"province": "Tỉnh của lô", "agency_code": "Mã cơ quan", "document_type": "Loại giấy tờ"}


def _example(value: Any) -> str:
    """An unexpected value as read: a confidence (a float) in the Vietnamese number format."""
    return vn_number(value, 2) if isinstance(value, float) else str(value)


@router.get("/batches/{batch_id}/kiem-tra-du-lieu", response_class=HTMLResponse)
def expectations_page(request: Request, user: UserDep, batch_id: int) -> Response:
    """The Great Expectations results in the app's own Vietnamese page: every check of every suite,
    with the rule and field as people say them, how many records failed and examples; local time."""
    import json

    batch = _batch(request, user, batch_id)
    store = _store(request)
    with session_scope(_settings(request).db_url) as s:
        runs = list(s.scalars(select(ExpectationRun).where(ExpectationRun.batch_id == batch_id)
                              .order_by(ExpectationRun.document_type)))
    suites = []
    for run in runs:
        checks = []
        try:
            result = json.loads(store.get_bytes(store.bucket("reports"), run.result_key))
        except Exception:  # an old run whose JSON is gone: the summary row still shows
            result = {"results": []}
        for r in result.get("results", []):
            cfg = r.get("expectation_config") or {}
            meta, res, kwargs = cfg.get("meta") or {}, r.get("result") or {}, cfg.get("kwargs") or {}
            field = meta.get("field") or ""
            column = kwargs.get("column") or ""
            checks.append({
                "success": bool(r.get("success")), "label": meta.get("label_vi") or cfg.get("type", ""),
                "rule": meta.get("rule", ""), "severity": meta.get("severity", ""),
                "field": field_name_vi(field, run.document_type) if field else
                BATCH_COLUMNS_VI.get(column) or field_name_vi(column, run.document_type),
                "what": EXPECTATION_VI.get(cfg.get("type", ""), cfg.get("type", "")),
                "count": res.get("element_count"), "unexpected": res.get("unexpected_count"),
                "unexpected_pct": res.get("unexpected_percent"),
                "examples": [_example(v) for v in (res.get("partial_unexpected_list") or [])[:5]]})
        checks.sort(key=lambda c: (c["success"], c["field"]))
        suites.append({"run": run, "checks": checks})
    return _render(request, "expectations.html", {"batch": batch, "suites": suites})


_SAFE_PATH = re.compile(r"^[A-Za-z0-9_.\-/]+$")
_EXTERNAL = re.compile(r"<link\b[^>]*\bhref=[\"']?(?:https?:)?//[^>]*>|<img\b[^>]*\bsrc=[\"']?(?:https?:)?//[^>]*>|"
                       r"<script\b[^>]*\bsrc=[\"']?(?:https?:)?//[^>]*>\s*</script>", re.I)


@router.get("/batches/{batch_id}/data-docs/{path:path}")
def data_docs(request: Request, user: UserDep, batch_id: int, path: str) -> Response:
    """Great Expectations Data Docs of the batch, from the reports bucket."""
    _batch(request, user, batch_id)
    if not _SAFE_PATH.match(path) or ".." in path.split("/"):
        raise LookupError("Đường dẫn không hợp lệ.")
    store = _store(request)
    bucket, key = store.bucket("reports"), keys.report_key(batch_id, f"data-docs/{path}")
    if store.stat(bucket, key) is None:
        raise LookupError(f"Không có trang Data Docs {path} cho lô #{batch_id}.")
    types = {".html": "text/html; charset=utf-8", ".css": "text/css", ".json": "application/json"}
    suffix = path[path.rfind("."):] if "." in path else ""
    data = store.get_bytes(bucket, key)
    if suffix == ".html":
        data = _house_styled(data.decode("utf-8", "replace"), root(request), batch_id).encode("utf-8")
    return _sandboxed(data, types.get(suffix, "application/octet-stream"))


def _house_styled(html: str, app_root: str, batch_id: int) -> str:
    """GE's page without anything from the Internet (its Bootstrap, fonts and scripts come from public
    CDNs): those tags removed, the app's own style sheet and a Vietnamese header added."""
    html = _EXTERNAL.sub("", html)
    sheet = f'<link rel="stylesheet" href="{app_root}/static/datadocs.css">'
    banner = (f'<p class="sohoa-banner">Trang kết quả gốc của Great Expectations (tiếng Anh). '
              f'<a href="{app_root}/review/batches/{batch_id}/kiem-tra-du-lieu" target="_top">'
              f'Xem bản tóm tắt tiếng Việt</a></p>')
    html = html.replace("</head>", sheet + "</head>", 1) if "</head>" in html else sheet + html
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner, html, count=1)


def _sandboxed(data: bytes, media_type: str) -> Response:
    # Generated reports quote OCR'd text: shown in a sandbox (no scripts, no forms, own origin).
    return Response(data, media_type=media_type, headers={
        "Content-Security-Policy": "sandbox allow-top-navigation-by-user-activation; default-src 'none'; "
                                   "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'"})
