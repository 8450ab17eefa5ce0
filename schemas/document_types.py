"""Document types as data (Decree 45 Art. 25.2: which methods apply; the fields of method b)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Method(StrEnum):
    """Art. 25.2: (a) scan stored as a file; (b) content transferred into structured data."""

    SCAN = "a"
    DATA = "b"


class Severity(StrEnum):
    """A failed warning sends a record to review; a failed error also blocks auto-approval and
    needs a steward's note to approve anyway."""

    WARNING = "warning"
    ERROR = "error"


class FieldKind(StrEnum):
    TEXT = "text"
    DATE = "date"  # ISO 8601 once extracted
    ID_NUMBER = "id_number"  # CCCD (12 digits) or legacy CMND (9 digits)
    DOCUMENT_NUMBER = "document_number"  # "1234/QĐ-UBND"
    NAME = "name"  # a person's name in Vietnamese letters
    AUTHORITY = "authority"  # the name of an agency or body ("UBND HUYỆN VẠN NINH", "BỘ Y TẾ")
    TAX_CODE = "tax_code"  # mã số thuế = mã số doanh nghiệp of an organisation holding the result


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label_vi: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    # Below this confidence the field goes to a data steward. None: the document type's threshold
    # (then the global default). Overridable per type and field by settings or a YAML file
    # (schemas.thresholds).
    review_threshold: float | None = None

    @property
    def withholdable(self) -> bool:
        """Optional, outside the contract and not naming the holder: when doubtful, left out of the
        signed data (WITHHELD_RULE)."""
        return not self.required and self.name not in CONTRACT_FIELDS and self.name not in HOLDER_IDENTITY_FIELDS


@dataclass(frozen=True)
class RuleSpec:
    """One declared rule: what it checks (label_vi, shown to stewards), on which fields, how bad a
    failure is. The validator, the Great Expectations suites and the review form read these."""

    code: str
    severity: Severity
    label_vi: str
    fields: tuple[str, ...] = ()


# Format rules follow from a field's kind; every field of that kind gets the rule.
KIND_RULES: dict[FieldKind, RuleSpec] = {
    FieldKind.DATE: RuleSpec("date_in_range", Severity.ERROR, "Ngày dạng ISO, từ 02/9/1945 đến hôm nay"),
    FieldKind.DOCUMENT_NUMBER: RuleSpec("document_number_format", Severity.ERROR,
                                        "Số, ký hiệu đúng dạng (vd. 1234/QĐ-UBND)"),
    FieldKind.NAME: RuleSpec("name_letters", Severity.ERROR, "Họ tên chỉ gồm chữ cái tiếng Việt"),
    # The shortest real body names ("BỘ Y TẾ", "SỞ Y TẾ") have two words and five letters: a stray
    # key press ("j") or a single letter is never one.
    FieldKind.AUTHORITY: RuleSpec("authority_name", Severity.ERROR,
                                  "Tên cơ quan ban hành đầy đủ (ít nhất hai từ, bốn chữ cái)"),
    FieldKind.ID_NUMBER: RuleSpec("cccd_structure", Severity.ERROR,
                                  "CCCD 12 số: mã tỉnh, giới tính/thế kỷ, năm sinh; CMND 9 số bị đánh dấu"),
    FieldKind.TAX_CODE: RuleSpec("tax_code_check", Severity.ERROR,
                                 "Mã số thuế / mã số doanh nghiệp: 10 chữ số đúng chữ số kiểm tra "
                                 "(đơn vị phụ thuộc: thêm -NNN)"),
}
REQUIRED_RULE = RuleSpec("required", Severity.ERROR, "Trường bắt buộc phải có giá trị")
CONFIDENCE_RULE = RuleSpec("confidence", Severity.WARNING, "Độ tin cậy nhận dạng không thấp hơn ngưỡng")
# The eight fields every result is judged on (the warehouse contract's content: which paper, who
# issued and signed it, whose it is). A doubtful one always sends its record to a person.
CONTRACT_FIELDS: tuple[str, ...] = ("document_number", "issue_date", "issuing_authority", "signer_name", "title",
                                    "holder_name", "holder_id_number", "holder_birth_date")
# The fields the citizen warehouse files a result under when it has no CCCD (sync.payloads.holder_of:
# an organisation's tax code and name, a household business's registration number and name): a
# doubtful one is never left out, it sends its record to a person like a contract field.
HOLDER_IDENTITY_FIELDS: tuple[str, ...] = ("tax_code", "organisation_name", "registration_number", "business_name")
# An optional field outside the contract that is doubtful (below its threshold, or failing its own
# format rule) in a record the rules would otherwise approve is left out of the signed data instead
# of holding the record back: the signature asserts only values that passed (docs/review.md,
# "Doubtful optional fields"). The outcome is stored with the record (the desk shows it on the
# field), and signing and storing leave the value out (storage.records.withheld_fields). The code
# is storage.models.WITHHELD_RULE_CODE (storage cannot import schemas; a test keeps them equal).
WITHHELD_RULE = RuleSpec("withheld", Severity.WARNING,
                         "Trường tùy chọn chưa chắc chắn: không đưa vào dữ liệu ký số (để trống, có ghi lý do)")

# Record-level rules (cross-field checks and catalogue look-ups of the record's context).
TITLE_MATCHES_TYPE = RuleSpec("title_matches_type", Severity.ERROR,
                              "Tên loại văn bản khớp loại giấy tờ (sai loại: từ chối)", ("title",))
SIGNER_MATCHES_AUTHORITY = RuleSpec("signer_title_matches_authority", Severity.WARNING,
                                    "Chức vụ người ký phù hợp cơ quan ban hành",
                                    ("signer_title", "issuing_authority"))
ISSUED_AFTER_BIRTH = RuleSpec("issued_after_birth", Severity.ERROR,
                              "Ngày ban hành sau ngày sinh của người được cấp", ("issue_date", "holder_birth_date"))
PROVINCE_IN_CATALOGUE = RuleSpec("province_in_catalogue", Severity.ERROR,
                                 "Tỉnh của lô có trong danh mục đơn vị hành chính (63 tỉnh cũ / 34 tỉnh 2025)")
AGENCY_IN_CATALOGUE = RuleSpec("agency_code_in_catalogue", Severity.WARNING,
                               "Mã cơ quan đúng dạng mã định danh (vd. 000.00.15.H34)")


class ValidityKind(StrEnum):
    """How a type says whether a paper result is still valid (Decree 45 Art. 25.1: only results
    still valid are converted as such)."""

    NO_EXPIRY = "no_expiry"  # valid until revoked (a decision, an extract of a register)
    MONTHS_FROM_ISSUE = "months_from_issue"  # valid N months from the issue date
    EXPIRY_FIELD = "expiry_field"  # the paper prints its own end date
    SUPERSEDED = "superseded"  # replaced by a later result of the same type for the same subject


@dataclass(frozen=True)
class Validity:
    kind: ValidityKind = ValidityKind.NO_EXPIRY
    months: int | None = None  # MONTHS_FROM_ISSUE
    field: str | None = None  # EXPIRY_FIELD: the date field holding the end of validity
    # SUPERSEDED: the fields that name the same subject (a later result with equal values replaces it)
    subject_fields: tuple[str, ...] = ()
    basis_vi: str = ""  # the legal basis, quoted in the steward's reason


STILL_VALID_RULE = RuleSpec("still_valid", Severity.ERROR,
                            "Giấy tờ còn hiệu lực (Điều 25.1 NĐ 45; hết hiệu lực: chỉ lưu trữ bản quét)")


@dataclass(frozen=True)
class DocumentType:
    code: str
    name_vi: str
    # The document kind as printed in the title, upper case, used by `auto` detection.
    title_keywords: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    methods: frozenset[Method] = field(default_factory=lambda: frozenset({Method.SCAN, Method.DATA}))
    rules: tuple[RuleSpec, ...] = ()
    # Every field's confidence must reach this for auto-approval (None: the global default).
    review_threshold: float | None = None
    validity: Validity = Validity()

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field_rules(self, spec: FieldSpec) -> tuple[RuleSpec, ...]:
        """The rules one field is checked by, in the order the validator reports them."""
        rules = [REQUIRED_RULE] if spec.required else []
        if spec.kind in KIND_RULES:
            rules.append(KIND_RULES[spec.kind])
        return (*rules, CONFIDENCE_RULE)

    def all_rules(self) -> tuple[RuleSpec, ...]:
        """Every distinct rule that applies to this type (field rules, then record rules)."""
        seen: dict[str, RuleSpec] = {}
        for spec in self.fields:
            for rule in self.field_rules(spec):
                seen.setdefault(rule.code, rule)
        for rule in self.rules:
            seen.setdefault(rule.code, rule)
        if self.validity.kind is not ValidityKind.NO_EXPIRY:
            seen.setdefault(STILL_VALID_RULE.code, STILL_VALID_RULE)
        if any(spec.withholdable for spec in self.fields):
            seen.setdefault(WITHHELD_RULE.code, WITHHELD_RULE)
        return tuple(seen.values())


# Decree 30: the seal is always stamped over the signature and reaches into the signer's title, and
# OCR caps every word read under a seal or signature at 0.6 (ocr.marks.UNDER_MARK_CAP). These fields
# were signed at a lowered 0.60, which on an unseen template family let wrong titles and authority
# lines through (docs/ocr.md). They now take the default threshold like every field: a value read
# under the seal reaches it only with evidence, the second recogniser reading the same words
# (ocr.signer_lines, which lifts the seal cap where the two engines agree); the calibration then says
# how often such values are right. The title is also cross-checked against the issuing body
# (SIGNER_MATCHES_AUTHORITY), the name against the letters rule.

# Decree 30/2020 layout: every administrative document has these.
COMMON_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("issuing_authority", "Cơ quan ban hành", FieldKind.AUTHORITY),
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
    # The citizen warehouse key: a wrong digit files the result under someone else.
    FieldSpec("holder_id_number", "Số CCCD/CMND", FieldKind.ID_NUMBER, review_threshold=0.90),
    FieldSpec("holder_address", "Nơi cư trú", required=False),
)
# A result owned by an organisation (no citizen ID): its name and its tax code, which is also its
# enterprise code (Law on Enterprises 2020 Art. 29.1). The warehouse files it under that number
# (sync.payloads.holder_of). A wrong check digit would file it under another company: reviewed.
_ORGANISATION_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("organisation_name", "Tên tổ chức, doanh nghiệp", required=False),
    FieldSpec("tax_code", "Mã số thuế / mã số doanh nghiệp", FieldKind.TAX_CODE, required=False,
              review_threshold=0.90),
)

# The kinds of administrative document (Decree 30/2020 Appendix III, plus the legal normative kinds
# and the results of procedures: permits, certificates, extracts). The extractor snaps the title line
# to one of these ("CHÍ THỊ" read -> "CHỈ THỊ", at a confidence that says it was an edit).
DOCUMENT_KINDS: tuple[str, ...] = (
    "NGHỊ QUYẾT", "QUYẾT ĐỊNH", "CHỈ THỊ", "QUY CHẾ", "QUY ĐỊNH", "THÔNG CÁO", "THÔNG BÁO", "HƯỚNG DẪN",
    "CHƯƠNG TRÌNH", "KẾ HOẠCH", "PHƯƠNG ÁN", "ĐỀ ÁN", "DỰ ÁN", "BÁO CÁO", "BIÊN BẢN", "TỜ TRÌNH",
    "HƯỚNG DẪN LIÊN NGÀNH", "NGHỊ QUYẾT LIÊN TỊCH", "HỢP ĐỒNG", "CÔNG VĂN", "CÔNG ĐIỆN", "BẢN GHI NHỚ", "BẢN THỎA THUẬN", "GIẤY ỦY QUYỀN", "GIẤY MỜI",
    "GIẤY GIỚI THIỆU", "GIẤY NGHỈ PHÉP", "PHIẾU GỬI", "PHIẾU CHUYỂN", "PHIẾU BÁO", "PHIẾU TRÌNH", "THƯ CÔNG",
    "KẾT LUẬN", "LỆNH", "LUẬT", "NGHỊ ĐỊNH", "THÔNG TƯ", "THÔNG TƯ LIÊN TỊCH", "GIẤY PHÉP", "GIẤY CHỨNG NHẬN",
    "GIẤY XÁC NHẬN", "TRÍCH LỤC", "BẢN SAO",
)

# What every văn bản hành chính has beyond COMMON_FIELDS (Decree 30 Art. 8): the kind the title names
# (a công văn has none printed), the summary (trích yếu, or the "V/v" line of a công văn), the signer's
# authority lines as printed ("KT. BỘ TRƯỞNG THỨ TRƯỞNG") and the recipients ("Nơi nhận", "Kính gửi").
GENERAL_FIELDS: tuple[FieldSpec, ...] = (
    # Not required: a record checked before kinds were extracted (or typed in by hand) has none, and a
    # specific type's title already names it; the general type always goes to a person.
    FieldSpec("kind", "Loại văn bản", required=False),
    FieldSpec("summary", "Trích yếu", required=False),
    FieldSpec("signer_authority", "Thẩm quyền, chức vụ người ký", required=False),
    # Small type beside the seal, "Lưu: VT, …" abbreviations: often read with a garbled word. It was
    # signed at 0.5 and wrong in about a quarter of those values; now the default threshold, reached
    # where the second recogniser reads the list's words alike (ocr.signer_lines).
    FieldSpec("recipients", "Nơi nhận", required=False),
)
# The general type: any Decree-30 document whose kind has no declared type of its own.
GENERAL_TYPE_CODE = "van_ban_hanh_chinh"

COMMON_RULES: tuple[RuleSpec, ...] = (TITLE_MATCHES_TYPE, SIGNER_MATCHES_AUTHORITY, PROVINCE_IN_CATALOGUE,
                                      AGENCY_IN_CATALOGUE)
_HOLDER_RULES: tuple[RuleSpec, ...] = (ISSUED_AFTER_BIRTH,)

DOCUMENT_TYPES: dict[str, DocumentType] = {
    t.code: t
    for t in (
        DocumentType(
            # No title keyword: chosen when no specific type's keyword is in the title, never rejected.
            code=GENERAL_TYPE_CODE,
            name_vi="Văn bản hành chính",
            title_keywords=(),
            fields=COMMON_FIELDS + GENERAL_FIELDS,
            rules=(SIGNER_MATCHES_AUTHORITY, PROVINCE_IN_CATALOGUE, AGENCY_IN_CATALOGUE),
        ),
        DocumentType(
            code="quyet_dinh",
            name_vi="Quyết định",
            title_keywords=("QUYẾT ĐỊNH",),
            fields=COMMON_FIELDS
            + GENERAL_FIELDS
            + (
                FieldSpec("holder_name", "Họ và tên", FieldKind.NAME, required=False),
                FieldSpec("holder_birth_date", "Ngày sinh", FieldKind.DATE, required=False),
                FieldSpec("holder_id_number", "Số CCCD/CMND", FieldKind.ID_NUMBER, required=False,
                          review_threshold=0.90),
                # Printed under the holder's name ("- Nơi cư trú: …") like the other holder fields.
                FieldSpec("holder_address", "Nơi cư trú", required=False),
                *_ORGANISATION_FIELDS,
            ),
            rules=COMMON_RULES + _HOLDER_RULES,
        ),
        DocumentType(
            code="giay_chung_nhan_ho_kinh_doanh",
            name_vi="Giấy chứng nhận đăng ký hộ kinh doanh",
            title_keywords=("GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", "HỘ KINH DOANH"),
            fields=COMMON_FIELDS
            + GENERAL_FIELDS
            + _HOLDER_FIELDS
            + (
                FieldSpec("registration_number", "Mã số hộ kinh doanh"),
                FieldSpec("business_name", "Tên hộ kinh doanh"),
                FieldSpec("business_address", "Địa điểm kinh doanh", required=False),
            ),
            rules=COMMON_RULES + _HOLDER_RULES,
            # A change (address, trade, owner) is registered by a new certificate that replaces this one.
            validity=Validity(ValidityKind.SUPERSEDED, subject_fields=("registration_number",),
                              basis_vi="Nghị định 01/2021/NĐ-CP Điều 90: thay đổi nội dung đăng ký cấp giấy "
                                       "chứng nhận mới"),
        ),
        DocumentType(
            code="xac_nhan_tinh_trang_hon_nhan",
            name_vi="Giấy xác nhận tình trạng hôn nhân",
            title_keywords=("GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", "TÌNH TRẠNG HÔN NHÂN"),
            fields=COMMON_FIELDS
            + GENERAL_FIELDS
            + _HOLDER_FIELDS
            + (FieldSpec("marital_status", "Tình trạng hôn nhân"),),
            rules=COMMON_RULES + _HOLDER_RULES,
            validity=Validity(ValidityKind.MONTHS_FROM_ISSUE, months=6,
                              basis_vi="Nghị định 123/2015/NĐ-CP Điều 23: có giá trị 6 tháng kể từ ngày cấp"),
        ),
        DocumentType(
            # Decree 15/2021 Appendix II, form 01 (nhà ở riêng lẻ): issued by the district People's
            # Committee; the owner's ID number is not printed (the dossier carries it).
            code="giay_phep_xay_dung",
            name_vi="Giấy phép xây dựng",
            title_keywords=("GIẤY PHÉP XÂY DỰNG",),
            fields=COMMON_FIELDS
            + GENERAL_FIELDS
            + (
                FieldSpec("holder_name", "Cấp cho (chủ đầu tư)", FieldKind.NAME),
                FieldSpec("holder_address", "Địa chỉ chủ đầu tư", required=False),
                FieldSpec("construction_site", "Vị trí xây dựng"),
                FieldSpec("total_floor_area", "Tổng diện tích sàn", required=False),
                FieldSpec("storeys", "Số tầng", required=False),
                *_ORGANISATION_FIELDS,
            ),
            rules=COMMON_RULES,
        ),
        DocumentType(
            # Circular 04/2020/TT-BTP: an extract of the birth register, issued by the commune.
            code="trich_luc_khai_sinh",
            name_vi="Trích lục khai sinh",
            title_keywords=("TRÍCH LỤC KHAI SINH",),
            fields=COMMON_FIELDS
            + GENERAL_FIELDS
            + (
                FieldSpec("holder_name", "Họ, chữ đệm, tên", FieldKind.NAME),
                FieldSpec("holder_birth_date", "Ngày, tháng, năm sinh", FieldKind.DATE),
                # The personal identification number, the same 12 digits as the later CCCD.
                FieldSpec("holder_id_number", "Số định danh cá nhân", FieldKind.ID_NUMBER, required=False,
                          review_threshold=0.90),
                FieldSpec("birth_place", "Nơi sinh", required=False),
                FieldSpec("mother_name", "Họ, chữ đệm, tên người mẹ", FieldKind.NAME, required=False),
                FieldSpec("father_name", "Họ, chữ đệm, tên người cha", FieldKind.NAME, required=False),
            ),
            rules=COMMON_RULES + _HOLDER_RULES,
        ),
    )
}


# Short names of the rules as stewards and managers read them (queue, batch report, validation report).
RULE_NAMES_VI: dict[str, str] = {
    "required": "Thiếu trường bắt buộc", "date_in_range": "Ngày không hợp lệ",
    "document_number_format": "Số, ký hiệu sai dạng", "name_letters": "Họ tên sai chữ",
    "cccd_structure": "Số CCCD/CMND", "confidence": "Độ tin cậy thấp",
    "title_matches_type": "Sai loại giấy tờ", "signer_title_matches_authority": "Chức vụ người ký",
    "issued_after_birth": "Ngày cấp trước ngày sinh", "province_in_catalogue": "Tỉnh ngoài danh mục",
    "agency_code_in_catalogue": "Mã cơ quan", "authority_name": "Tên cơ quan ban hành",
    "still_valid": "Hết hiệu lực", "document_type_in_catalogue": "Loại giấy tờ ngoài danh mục",
    "withheld": "Không đưa vào dữ liệu ký",
}


def field_name_vi(name: str | None, doc_type: str | None = None) -> str:
    """A field as people say it ("Số CCCD/CMND", not "holder_id_number"): the document type's own
    label first, else the first type declaring the field, else the code itself."""
    if not name:
        return ""
    declared = DOCUMENT_TYPES.get(doc_type or "")
    for t in ([declared] if declared else []) + list(DOCUMENT_TYPES.values()):
        for f in t.fields:
            if f.name == name:
                return f.label_vi
    return name


def get_document_type(code: str) -> DocumentType:
    try:
        return DOCUMENT_TYPES[code]
    except KeyError:
        known = ", ".join(sorted(DOCUMENT_TYPES))
        raise KeyError(f"unknown document type {code!r}; known: {known}") from None
