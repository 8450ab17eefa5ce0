"""Errors a sample can carry on purpose, so the validation and review path can be tested end to end.

Each error changes what is *printed* (the ground truth follows the print) and says which field and
which declared rule (schemas.document_types) should catch it:

- cccd_birth_year: digits 5-6 of the CCCD do not match the birth year (one wrong digit typed);
- cccd_province: the CCCD's first three digits are no province code;
- issue_date_future: the issue date is years ahead (năm 2099 for năm 20xx: a typo in the year);
- birth_date_impossible: the birth date is 30/02 (no such day);
- id_number_highlighted: a clerk ran a highlighter over the CCCD; OCR reads it through the ink and
  is not sure of it (a low-confidence field).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from samples._content import Content, dmy


@dataclass(frozen=True)
class InjectedError:
    code: str
    field: str
    rule: str  # the rule code in schemas.document_types that should fail
    description: str


INJECTABLE_ERRORS: dict[str, InjectedError] = {e.code: e for e in (
    InjectedError("cccd_birth_year", "holder_id_number", "cccd_structure",
                  "chữ số 5–6 của CCCD không khớp năm sinh"),
    InjectedError("cccd_province", "holder_id_number", "cccd_structure",
                  "mã tỉnh của CCCD không có trong danh mục"),
    InjectedError("issue_date_future", "issue_date", "date_in_range", "ngày ban hành ở tương lai (năm 2099)"),
    InjectedError("birth_date_impossible", "holder_birth_date", "date_in_range", "ngày sinh 30/02 không tồn tại"),
    InjectedError("id_number_highlighted", "holder_id_number", "confidence",
                  "số CCCD bị tô bút dạ quang, nhận dạng không chắc chắn"),
)}
# A province code absent from every catalogue (the codes run 001-096 with gaps; 003 is one).
_NO_PROVINCE = "003"


def _replace_text(content: Content, old: str, new: str) -> None:
    content.body = [replace(p, text=p.text.replace(old, new)) if old in p.text else p for p in content.body]


def inject_errors(content: Content, errors: tuple[str, ...]) -> list[dict[str, str]]:
    """Change `content` (text and fields) so it carries `errors`; what was injected, for the truth file."""
    out: list[dict[str, str]] = []
    for code in errors:
        if code not in INJECTABLE_ERRORS:
            raise ValueError(f"unknown injected error {code!r}; known: {', '.join(INJECTABLE_ERRORS)}")
        spec = INJECTABLE_ERRORS[code]
        fields = content.fields
        original = fields.get(spec.field)
        if spec.field.startswith("holder_") and not original:
            raise ValueError(f"cannot inject {code!r}: this document has no {spec.field}")
        if code == "cccd_birth_year":
            cccd = fields["holder_id_number"] or ""
            wrong = cccd[:5] + str((int(cccd[5]) + 3) % 10) + cccd[6:]
            _replace_text(content, cccd, wrong)
            fields["holder_id_number"] = wrong
        elif code == "cccd_province":
            cccd = fields["holder_id_number"] or ""
            wrong = _NO_PROVINCE + cccd[3:]
            _replace_text(content, cccd, wrong)
            fields["holder_id_number"] = wrong
        elif code == "issue_date_future":
            old = content.issued
            new = date(2099, old.month, min(old.day, 28))
            for a, b in ((dmy(old), dmy(new)), (f"ngày {old.day:02d} tháng {old.month:02d} năm {old.year}",
                                                 f"ngày {new.day:02d} tháng {new.month:02d} năm {new.year}")):
                _replace_text(content, a, b)
            content.issued = new
            fields["issue_date"] = new.isoformat()
        elif code == "birth_date_impossible":
            born = date.fromisoformat(original or "")
            _replace_text(content, dmy(born), f"30/02/{born.year}")
            fields["holder_birth_date"] = f"{born.year}-02-30"  # as printed: no such day
        elif code == "id_number_highlighted":
            content.highlighted = (*content.highlighted, fields["holder_id_number"] or "")
        out.append({"error": code, "field": spec.field, "rule": spec.rule, "description": spec.description,
                    "printed": str(fields.get(spec.field)), "original": str(original)})
    return out


__all__ = ["INJECTABLE_ERRORS", "InjectedError", "inject_errors"]
