"""The per-batch validation report (HTML, Vietnamese), stored in the reports bucket."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from zoneinfo import ZoneInfo

from core.text import vn_number
from review.quality import REASON_PREFIX as QUALITY_PREFIX
from schemas import DOCUMENT_TYPES, RULE_NAMES_VI, field_name_vi
from storage.models import STAGE_VI, STATUS_VI, Batch, Document, Field, QuarantineEntry, RuleOutcome

VN = ZoneInfo("Asia/Ho_Chi_Minh")

_CSS = """
body{font-family:'Noto Sans',sans-serif;margin:2rem;color:#1b1b1b}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #999;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#eee}.err{color:#a00}.warn{color:#8a5a00}.ok{color:#060}.num{text-align:right}
@media (max-width:700px){body{margin:.6rem}table{display:block;overflow-x:auto;max-width:100%}}
"""


def render_validation_report(batch: Batch, docs: Sequence[Document], fields: Sequence[Field],
                             outcomes: Sequence[RuleOutcome], quarantined: Sequence[QuarantineEntry]) -> str:
    e = escape
    now = datetime.now(UTC).astimezone(VN).strftime("%H:%M ngày %d/%m/%Y")
    status_counts = Counter(d.status for d in docs)
    failures = Counter((o.rule, o.field_name, o.severity) for o in outcomes if not o.passed)
    by_doc: dict[int, list[Field]] = {}
    for f in fields:
        by_doc.setdefault(f.document_id, []).append(f)
    failed_by_doc: dict[int, list[RuleOutcome]] = {}
    for o in outcomes:
        if not o.passed:
            failed_by_doc.setdefault(o.document_id, []).append(o)

    parts = [f"<!doctype html><html lang='vi'><head><meta charset='utf-8'><meta name='viewport' content='width=device-width, initial-scale=1'><title>Báo cáo kiểm tra lô {batch.id}</title>"
             f"<style>{_CSS}</style></head><body>",
             f"<h1>Báo cáo kiểm tra dữ liệu — lô số {batch.id}</h1>",
             f"<p>Tỉnh: <b>{e(batch.province)}</b> · Cơ quan: <b>{e(batch.agency_code)}</b> · "
             f"Thư mục lô: <code>{e(batch.location)}</code> · Lập lúc {now}</p>",
             "<h2>Hồ sơ theo trạng thái</h2><table><tr><th>Trạng thái</th><th>Số lượng</th></tr>"]
    for status, n in sorted(status_counts.items()):
        parts.append(f"<tr><td>{e(STATUS_VI.get(status, status))}</td><td class='num'>{vn_number(n)}</td></tr>")
    parts.append(f"<tr><td>Cách ly (tệp bị loại)</td><td class='num'>{vn_number(len(quarantined))}</td></tr></table>")

    parts.append("<h2>Lỗi theo quy tắc và trường</h2><table><tr><th>Quy tắc</th><th>Trường</th><th>Mức</th><th>Số hồ sơ</th></tr>")
    for (rule, field_name, severity), n in failures.most_common():
        cls = "err" if severity == "error" else "warn"
        parts.append(f"<tr><td title='{e(rule)}'>{e(RULE_NAMES_VI.get(rule, rule))}</td>"
                     f"<td title='{e(field_name or '')}'>{e(field_name_vi(field_name))}</td><td class='{cls}'>"
                     f"{'lỗi' if severity == 'error' else 'cảnh báo'}</td><td class='num'>{vn_number(n)}</td></tr>")
    parts.append("</table><h2>Từng hồ sơ</h2><table><tr><th>#</th><th>Tệp</th><th>Loại</th><th>Mã hồ sơ</th>"
                 "<th>Trạng thái</th><th>Vấn đề</th></tr>")
    for d in docs:
        doc_type = DOCUMENT_TYPES.get(d.document_type)
        problems = "<br>".join(
            f"<span class='{'err' if o.severity == 'error' else 'warn'}'>"
            f"{e(field_name_vi(o.field_name, d.document_type) or RULE_NAMES_VI.get(o.rule, o.rule))}: {e(o.message)}</span>"
            for o in failed_by_doc.get(d.id, []))
        # Page quality (blank, too small, blurred, turned, page count): named page by page
        pages = [str(r) for r in d.review_reasons if str(r).startswith(QUALITY_PREFIX)]
        if pages and d.status != "rejected":
            problems = "<br>".join(f"<span class='{'err' if 'cần quét lại' in r else 'warn'} page-quality'>{e(r)}</span>"
                                   for r in pages) + ("<br>" if problems else "") + problems
        if d.status == "failed" and d.failure:  # a stage raised on this document: where and why
            problems = (f"<span class='err'>Lỗi ở bước {e(STAGE_VI.get(d.failed_stage or '', d.failed_stage or ''))}: "
                        f"{e(d.failure)}</span>" + problems)
        elif d.status == "rejected" and not problems and d.review_reasons:
            problems = "<br>".join(f"<span class='err'>{e(str(r))}</span>" for r in d.review_reasons)
        dossier = e(d.dossier_code or "") + (" <i>(tạm thời)</i>" if d.dossier_provisional else "")
        parts.append(f"<tr><td>{d.id}</td><td>{e(d.file_name)}</td><td>{e(doc_type.name_vi if doc_type else d.document_type)}"
                     f"</td><td>{dossier}</td><td>{e(STATUS_VI.get(d.status, d.status))}</td><td>{problems}</td></tr>")
    parts.append("</table>")
    if quarantined:
        parts.append("<h2>Tệp bị cách ly</h2><table><tr><th>Tệp</th><th>Lý do</th></tr>")
        for q in quarantined:
            parts.append(f"<tr><td>{e(q.file_name)}</td><td>{e(q.reason)}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
