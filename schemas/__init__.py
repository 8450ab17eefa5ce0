"""Document types, their fields and rules: one declaration read by the extractor, the
validator, the review form and the Great Expectations suites."""

from schemas.document_types import (
    COMMON_FIELDS,
    DOCUMENT_TYPES,
    RULE_NAMES_VI,
    DocumentType,
    FieldSpec,
    Method,
    field_name_vi,
    get_document_type,
)

__all__ = ["COMMON_FIELDS", "DOCUMENT_TYPES", "RULE_NAMES_VI", "DocumentType", "FieldSpec", "Method", "field_name_vi",
           "get_document_type"]
