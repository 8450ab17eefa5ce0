"""Review thresholds: the confidence every field must reach for a record to be auto-approved.

A field's confidence is a calibrated probability that its value is right (ocr.calibrate, fitted on
documents with known truth), so a threshold is the least probability of being right at which a value
may be signed without a person looking: 0.90 means "at most one value in ten at this level is
wrong", and the reliability table in docs/ocr.md shows how far the observed accuracy keeps to it.
Below its threshold a field routes its record to review (schemas.rules.CONFIDENCE_RULE). The
calibration never gives 0.90 to a value of a field it saw too little of (ocr.calibrate.UNSEEN_CAP)
or one failing its format check, so with thresholds at or above the default those always reach a
person; a lower override trades that guarantee away.

Declared in schemas (FieldSpec.review_threshold, DocumentType.review_threshold), overridable per
type and per field by a YAML file (SOHOA_REVIEW_THRESHOLDS_FILE) and by settings
(SOHOA_REVIEW_THRESHOLDS, JSON), settings winning. Both take the same shape:

    quyet_dinh:                # a document type code, or "*" for every type
      "*": 0.85                # every field of that type
      holder_id_number: 0.95   # one field
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.exitcodes import ExitCode
from core.settings import Settings, get_settings
from schemas.document_types import DOCUMENT_TYPES, DocumentType, FieldSpec

DEFAULT_THRESHOLD = 0.90

Overrides = Mapping[str, Mapping[str, float]]


class ThresholdError(ValueError):
    """A threshold file or setting is malformed; the message names the source and the entry."""

    exit_code: ExitCode = ExitCode.BAD_INPUT
    headline = "Tệp ngưỡng không dùng được"


@dataclass(frozen=True)
class Thresholds:
    default: float = DEFAULT_THRESHOLD
    overrides: Overrides = field(default_factory=dict)

    def for_field(self, doc_type: DocumentType, spec: FieldSpec) -> float:
        # An override beats a declaration; the more specific beats the more general.
        for type_key, name in ((doc_type.code, spec.name), (doc_type.code, "*"), ("*", spec.name), ("*", "*")):
            value = self.overrides.get(type_key, {}).get(name)
            if value is not None:
                return float(value)
        if spec.review_threshold is not None:
            return spec.review_threshold
        if doc_type.review_threshold is not None:
            return doc_type.review_threshold
        return self.default

    def table(self, doc_type: DocumentType) -> dict[str, float]:
        return {spec.name: self.for_field(doc_type, spec) for spec in doc_type.fields}


def check_overrides(data: Any, source: str) -> dict[str, dict[str, float]]:
    """Validate an overrides mapping; unknown types/fields and values outside [0, 1] are refused."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ThresholdError(f"{source}: expected a mapping of document type -> {{field: threshold}}")
    out: dict[str, dict[str, float]] = {}
    for type_code, per_type in data.items():
        if type_code != "*" and type_code not in DOCUMENT_TYPES:
            raise ThresholdError(f"{source}: unknown document type {type_code!r}; known: "
                                 f"{', '.join(sorted(DOCUMENT_TYPES))}")
        if not isinstance(per_type, Mapping):
            raise ThresholdError(f"{source}: {type_code}: expected a mapping of field -> threshold")
        known = ({n for t in DOCUMENT_TYPES.values() for n in t.field_names} if type_code == "*"
                 else set(DOCUMENT_TYPES[type_code].field_names))
        out[type_code] = {}
        for name, value in per_type.items():
            if name != "*" and name not in known:
                raise ThresholdError(f"{source}: {type_code}: unknown field {name!r}")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ThresholdError(f"{source}: {type_code}.{name}: {value!r} is not a number") from None
            if not 0.0 <= number <= 1.0:
                raise ThresholdError(f"{source}: {type_code}.{name}: {number} is outside 0..1")
            out[type_code][name] = number
    return out


def load_thresholds(settings: Settings | None = None) -> Thresholds:
    """Thresholds from the declarations plus the YAML file and settings overrides (settings win)."""
    settings = settings or get_settings()
    merged: dict[str, dict[str, float]] = {}
    path = settings.review_thresholds_file
    if path:
        import yaml

        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ThresholdError(f"{path}: cannot read threshold file: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            raise ThresholdError(f"{path}: not valid YAML: {exc}") from None
        for k, v in check_overrides(data, str(path)).items():
            merged.setdefault(k, {}).update(v)
    for k, v in check_overrides(settings.review_thresholds or {}, "SOHOA_REVIEW_THRESHOLDS").items():
        merged.setdefault(k, {}).update(v)
    default = float(settings.review_confidence_threshold)
    return Thresholds(default=default, overrides=merged)
