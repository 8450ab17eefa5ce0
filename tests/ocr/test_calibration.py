"""Calibrated confidence (ocr.calibrate): monotone, conservative where evidence is thin, and honest on
generated documents the model was not fitted on."""

from __future__ import annotations

import json

import pytest

import ocr
from ocr import calibrate as cal
from ocr.calibrate import Features


def _features(name: str, raw: float, **kw: object) -> Features:
    base: dict[str, object] = {"field": name, "document_type": "quyet_dinh", "raw": raw, "format_ok": True,
                               "repaired": False, "poor_page": False}
    return Features(**(base | kw))  # type: ignore[arg-type]


def test_shipped_model_loads_and_names_its_fitting_data() -> None:
    model = cal.load_model()
    assert model["version"] == 3 and "development" in model["source"]
    assert {"document_number", "issue_date", "signer_name", "holder_id_number"} <= set(model["fields"])
    assert set(model["groups"]) <= set(cal.FIELD_GROUPS) and "ok" in model["conditions"]
    for curve in [*model["fields"].values(), *model["groups"].values(), *model["conditions"].values()]:
        ps = [s["p"] for s in curve["steps"]]
        assert ps == sorted(ps) and all(0 <= p <= 1 for p in ps)
        assert sum(s["n"] for s in curve["steps"]) == curve["n"]


@pytest.mark.parametrize("condition", [{}, {"repaired": True}, {"poor_page": True}, {"format_ok": False}])
def test_calibrated_confidence_is_monotone_in_raw_confidence(condition: dict[str, bool]) -> None:
    model = cal.load_model()
    grid = [i / 100 for i in range(101)]
    for name in model["fields"]:
        ps = [cal.probability(_features(name, raw, **condition), model) for raw in grid]
        assert all(a <= b for a, b in zip(ps, ps[1:], strict=False)), (name, condition, ps)


@pytest.mark.parametrize("condition", [{}, {"repaired": True}, {"poor_page": True}, {"doubtful_document": True}])
def test_calibration_never_raises_a_value_above_its_raw_confidence(condition: dict[str, bool]) -> None:
    """Conservative: the calibrated confidence is a lower bound of the raw one, so the values at or above
    a threshold after calibration are a subset of those at or above it before."""
    model = cal.load_model()
    for name in [*model["fields"], "no_such_field"]:
        for raw in [i / 100 for i in range(101)]:
            assert cal.probability(_features(name, raw, **condition), model) <= raw, (name, raw, condition)


def test_a_value_failing_its_format_check_never_reaches_0_9() -> None:
    model = cal.load_model()
    for name in model["fields"]:
        assert cal.probability(_features(name, 1.0, format_ok=False), model) <= cal.FORMAT_FAIL_CAP
    # The checks themselves: forms a value of these fields can never have.
    assert not cal.format_ok("document_number", "+4/34/UBND-XNTTHN ???")
    assert not cal.format_ok("issue_date", "2019-02-31x")
    assert not cal.format_ok("holder_id_number", "05617714858")
    assert not cal.format_ok("holder_name", "chủ hộ kinh doanh")
    assert not cal.format_ok("signer_name", "QUYẾT ĐỊNH")
    assert cal.format_ok("signer_name", "Nguyễn Văn Bình") and cal.format_ok("issue_date", "2019-05-31")


def test_a_field_seen_on_too_few_values_stays_below_0_9() -> None:
    # 20 values, all right, at raw 0.99: an isotonic fit alone would say 1.0.
    rows = [(_features("recipients", 0.99), True)] * 20 + [(_features("document_number", 0.99), True)] * 400
    model = cal.fit(rows, source="test")
    assert cal.probability(_features("recipients", 0.99), model) < cal.AUTO_APPROVE_FLOOR
    assert cal.probability(_features("document_number", 0.99), model) >= cal.AUTO_APPROVE_FLOOR
    # A field the shipped model never saw at all.
    assert cal.probability(_features("no_such_field", 1.0)) < cal.AUTO_APPROVE_FLOOR
    # A rare field is not carried by its group's evidence: it needs enough values of its own, and then
    # it is never above its group (names read wrong elsewhere weigh on it).
    rows = [(_features("mother_name", 0.95), True)] * 20 + [(_features("holder_name", 0.95), True)] * 300
    assert cal.probability(_features("mother_name", 0.95), cal.fit(rows, source="test")) < cal.AUTO_APPROVE_FLOOR
    rows += [(_features("mother_name", 0.95), True)] * 80
    assert cal.probability(_features("mother_name", 0.95), cal.fit(rows, source="test")) >= cal.AUTO_APPROVE_FLOOR
    rows += [(_features("holder_name", 0.95), False)] * 60
    assert cal.probability(_features("mother_name", 0.95), cal.fit(rows, source="test")) < cal.AUTO_APPROVE_FLOOR


def test_a_document_with_several_implausible_values_casts_doubt_on_the_rest() -> None:
    fields = {"signer_name": "QUYẾT ĐỊNH", "holder_name": "chủ hộ kinh doanh", "issue_place": "Đăng ký lần đầu",
              "title": "QUYẾT ĐỊNH"}
    extraction = ocr.Extraction("quyet_dinh", 1, {n: ocr.ExtractedField(v, 0.97, 1, None) for n, v in fields.items()})
    feats = cal.document_features(extraction, None)
    assert [n for n, f in feats.items() if not f.format_ok] == ["signer_name", "holder_name", "issue_place"]
    assert feats["title"].doubtful_document and feats["title"].condition == "doubtful_document"
    calibrated = cal.calibrate(extraction, None)
    assert all(calibrated.fields[n].confidence <= cal.FORMAT_FAIL_CAP for n in ("signer_name", "holder_name"))
    # Doubt never raises a value: at every raw confidence it is at most what the value would get alone.
    for raw in [i / 20 for i in range(21)]:
        alone = cal.probability(_features("title", raw))
        assert cal.probability(_features("title", raw, doubtful_document=True)) <= alone


def test_isotonic_steps_pool_violations_and_lower_small_steps() -> None:
    points = [(0.2, False)] * 20 + [(0.5, True)] * 15 + [(0.5, False)] * 5 + [(0.6, False)] * 20 \
        + [(0.9, True)] * 200
    steps = cal.isotonic_steps(points)
    accuracy = [s["ok"] / s["n"] for s in steps]
    assert accuracy == sorted(accuracy) and sum(s["n"] for s in steps) == len(points)
    curve = cal._curve(points)  # noqa: SLF001 -- the step probabilities are the model's content
    assert [s["p"] for s in curve["steps"]] == sorted(s["p"] for s in curve["steps"])
    # 200 right of 200 is not certainty: the Wilson lower bound stays below 1.
    assert 0.95 < curve["steps"][-1]["p"] < 1.0
    assert cal.wilson_lower(10, 10) < 0.9  # ten right values never make 0.9


def test_reliability_bands_count_every_value_once() -> None:
    pairs = [(0.1, False), (0.6, True), (0.95, True), (0.99, True), (0.99, False)]
    bands = cal.reliability(pairs)
    assert sum(b["values"] for b in bands) == len(pairs)
    assert bands[-1]["values"] == 2 and bands[-1]["accuracy"] == 0.5


@pytest.mark.parametrize(("document_type", "seed", "damage"), [
    ("quyet_dinh", 990_001, "medium"), ("giay_chung_nhan_ho_kinh_doanh", 990_002, "heavy"),
])
def test_no_generated_field_is_wrong_at_0_9(document_type: str, seed: int, damage: str) -> None:
    """End to end on documents outside the fitting seeds: render, OCR, extract, calibrate, compare."""
    from samples import render_document

    images, truth = render_document(document_type, seed=seed, damage=damage)
    pages = [ocr.PageImage(im.convert("RGB"), truth["dpi"], n + 1) for n, im in enumerate(images)]
    result = ocr.ocr_pages(pages, workers=1)
    extraction = cal.calibrate(ocr.extract_fields(result, document_type), result)
    want = cal.truth_fields(truth)
    judged = 0
    for name, field in extraction.fields.items():
        if field.value is None or name not in want:
            continue
        judged += 1
        if field.confidence >= cal.AUTO_APPROVE_FLOOR:
            assert field.value == want[name], (name, field, want[name])
    assert judged >= 9


def test_values_the_model_cannot_vouch_for_route_to_review_under_every_declared_threshold() -> None:
    from schemas.document_types import DOCUMENT_TYPES
    from schemas.thresholds import Thresholds

    thresholds = Thresholds()
    unseen = cal.probability(_features("no_such_field", 1.0))
    failing = max(cal.probability(_features(name, 1.0, format_ok=False)) for name in cal.load_model()["fields"])
    lowered = set()
    for doc_type in DOCUMENT_TYPES.values():
        for spec in doc_type.fields:
            threshold = thresholds.for_field(doc_type, spec)
            if threshold < cal.UNSEEN_CAP:
                lowered.add(spec.name)  # declared lower on purpose, named below
                continue
            assert unseen < threshold and failing < threshold, (doc_type.code, spec.name, threshold)
    # No field is declared lower any more: the signer's fields and the recipients, read under the seal
    # or in small type, reach the default only where the second recogniser read them alike
    # (ocr.signer_lines), never on a lowered bar. Below its threshold a value is never signed: its
    # record goes to review, or, for an optional field outside the contract of a record otherwise
    # approved, the value is left out of the signed data (schemas.rules, docs/review.md).
    assert lowered == set()
    assert thresholds.default == cal.AUTO_APPROVE_FLOOR


def test_exact_match_and_fitting_read_the_same_cached_documents(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """One generated document rendered and read for real, then scored: every value its truth gives is
    counted once, a miss names the cached document, and fitting labels no more values than exist."""
    cal.cache("dev", 1, tmp_path)
    truth = cal.truth_fields(json.loads((tmp_path / "dev" / "0000.json").read_text())["truth"])
    given = [name for name, value in truth.items() if value is not None]
    scored = cal.exact_match("dev", tmp_path, show=True)
    assert scored["values"] == len(given)
    assert sum(int(v.split("/")[1].split()[0]) for v in scored["by_field"].values()) == len(given)
    assert all(m["doc"] == "0000" and m["field"] in given for m in scored["misses"])
    rows = cal.labelled("dev", tmp_path)
    assert 0 < len(rows) <= len(given) and all(isinstance(right, bool) for _, right in rows)
