"""Document types as data (Decree 45 Art. 25.2: which methods apply; the fields of method b)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Method(StrEnum):
    """Art. 25.2: (a) scan stored as a file; (b) content transferred into structured data."""

    SCAN = "a"
    DATA = "b"


class FieldKind(StrEnum):
    TEXT = "text"
    DATE = "date"  # ISO 8601 once extracted
    ID_NUMBER = "id_number"  # CCCD (12 digits) or legacy CMND (9 digits)
    DOCUMENT_NUMBER = "document_number"  # "1234/QĐ-UBND"
    NAME = "name"  # a person's name in Vietnamese letters


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label_vi: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    # Below this confidence the field goes to a data steward.
    review_threshold: float = 0.80


@dataclass(frozen=True)
class DocumentType:
    code: str
    name_vi: str
    # The document kind as printed in the title, upper case, used by `auto` detection.
    title_keywords: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    methods: frozenset[Method] = field(default_factory=lambda: frozenset({Method.SCAN, Method.DATA}))

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


# Decree 30/2020 layout: every administrative document has these.
COMMON_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("issuing_authority", "Cơ quan ban hành"),
    FieldSpec("document_number", "Số, ký hiệu", FieldKind.DOCUMENT_NUMBER),
    FieldSpec("issue_place", "Địa danh", required=False),
    FieldSpec("issue_date", "Ngày ban hành", FieldKind.DATE),
    FieldSpec("title", "Tên loại văn bản"),
    FieldSpec("signer_title", "Chức vụ người ký", required=False),
    FieldSpec("signer_name", "Người ký", FieldKind.NAME),
)

_HOLDER_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("holder_name", "Họ và tên", FieldKind.NAME),
    FieldSpec("holder_birth_date", "Ngày sinh", FieldKind.DATE),
    FieldSpec("holder_id_number", "Số CCCD/CMND", FieldKind.ID_NUMBER),
    FieldSpec("holder_address", "Nơi cư trú", required=False),
)

DOCUMENT_TYPES: dict[str, DocumentType] = {
    t.code: t
    for t in (
        DocumentType(
            code="quyet_dinh",
            name_vi="Quyết định",
            title_keywords=("QUYẾT ĐỊNH",),
            fields=COMMON_FIELDS
            + (
                FieldSpec("summary", "Trích yếu", required=False),
                FieldSpec("holder_name", "Họ và tên", FieldKind.NAME, required=False),
                FieldSpec("holder_birth_date", "Ngày sinh", FieldKind.DATE, required=False),
                FieldSpec("holder_id_number", "Số CCCD/CMND", FieldKind.ID_NUMBER, required=False),
            ),
        ),
        DocumentType(
            code="giay_chung_nhan_ho_kinh_doanh",
            name_vi="Giấy chứng nhận đăng ký hộ kinh doanh",
            title_keywords=("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", "HỘ KINH DOANH"),
            fields=COMMON_FIELDS
            + _HOLDER_FIELDS
            + (
                FieldSpec("registration_number", "Mã số hộ kinh doanh"),
                FieldSpec("business_name", "Tên hộ kinh doanh"),
                FieldSpec("business_address", "Địa điểm kinh doanh", required=False),
            ),
        ),
        DocumentType(
            code="xac_nhan_tinh_trang_hon_nhan",
            name_vi="Giấy xác nhận tình trạng hôn nhân",
            title_keywords=("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "TÌNH TRẠNG HÔN NHÂN"),
            fields=COMMON_FIELDS
            + _HOLDER_FIELDS
            + (FieldSpec("marital_status", "Tình trạng hôn nhân"),),
        ),
    )
}


def get_document_type(code: str) -> DocumentType:
    try:
        return DOCUMENT_TYPES[code]
    except KeyError:
        known = ", ".join(sorted(DOCUMENT_TYPES))
        raise KeyError(f"unknown document type {code!r}; known: {known}") from None
