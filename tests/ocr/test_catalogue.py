"""ocr.catalogue: the archive's approved records as evidence and as repairs, on synthetic catalogues."""

from __future__ import annotations

from ocr.catalogue import (
    MIN_REPAIR_SUPPORT,
    OVERWHELMING_CONFIDENCE,
    REPAIR_CAP,
    ApprovedRecord,
    Catalogue,
    apply_catalogue,
    repairs,
    symbol_of,
)
from ocr.fields import ExtractedField, Extraction

BODY = "ỦY BAN NHÂN DÂN HUYỆN DIÊN KHÁNH"
OTHER = "ỦY BAN NHÂN DÂN XÃ NINH ĐA"


def _records(name: str, n: int, *, body: str = BODY, province: str = "Khánh Hòa", day: str = "2021-05-12",
             number: str = "12/QĐ-UBND", title: str = "PHÓ CHỦ TỊCH") -> list[ApprovedRecord]:
    return [ApprovedRecord(province, body, name, title, number, day, f"TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH {title}")
            for _ in range(n)]


def _extraction(name: str | None, *, conf: float = 0.95, body: str = BODY, number: str = "345/QĐ-UBND",
                day: str = "2021-09-01", title: str = "PHÓ CHỦ TỊCH") -> Extraction:
    def f(value: str | None, checks: dict[str, bool] | None = None) -> ExtractedField:
        return ExtractedField(value, conf if value else 0.0, 1, (0, 0, 10, 10), checks or {})

    return Extraction("quyet_dinh", 1, {
        "issuing_authority": f(body, {"body_words": True}), "document_number": f(number), "issue_date": f(day),
        "signer_title": f(title), "signer_name": f(name, {"personal_name": True, "under_authority": True}),
        "signer_authority": f(f"TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH {title}", {"whole_block": True}),
    })


def test_a_one_mark_slip_of_a_well_known_signer_is_repaired_below_auto_approval() -> None:
    cat = Catalogue.from_records(_records("Nguyễn Văn Tuấn", 40) + _records("Lê Thị Hoa", 30))
    out = apply_catalogue(_extraction("Nguyễn Văn Tuân"), cat, "Khánh Hòa")
    name = out.fields["signer_name"]
    assert name.value == "Nguyễn Văn Tuấn"
    assert name.confidence <= REPAIR_CAP < 0.9  # a repair alone is not a reading
    assert name.provenance["catalogue"]["read"] == "Nguyễn Văn Tuân"  # the value read is kept
    assert name.checks["known_signer"] is True
    assert repairs(out) == {"signer_name": ("Nguyễn Văn Tuân", "Nguyễn Văn Tuấn")}


def test_a_name_printed_in_capitals_is_repaired_in_capitals() -> None:
    cat = Catalogue.from_records(_records("Nguyễn Văn Tuấn", 10))
    out = apply_catalogue(_extraction("NGUYỄN VĂN TUÂN"), cat, "Khánh Hòa")
    assert out.fields["signer_name"].value == "NGUYỄN VĂN TUẤN"


def test_no_repair_when_two_known_names_are_equally_close() -> None:
    cat = Catalogue.from_records(_records("Nguyễn Văn Tuấn", 400) + _records("Nguyễn Văn Tuần", 5))
    read = _extraction("Nguyễn Văn Tuân")
    out = apply_catalogue(read, cat, "Khánh Hòa")
    assert out.fields["signer_name"].value == "Nguyễn Văn Tuân"
    assert out.fields["signer_name"].confidence == read.fields["signer_name"].confidence
    assert "known_signer" not in out.fields["signer_name"].checks
    assert repairs(out) == {}


def test_no_repair_across_provinces() -> None:
    cat = Catalogue.from_records(_records("Nguyễn Văn Tuấn", 400, province="Bình Định"))
    out = apply_catalogue(_extraction("Nguyễn Văn Tuân"), cat, "Khánh Hòa")
    assert out.fields["signer_name"].value == "Nguyễn Văn Tuân"
    assert repairs(out) == {}
    assert out == _extraction("Nguyễn Văn Tuân")


def test_no_repair_on_thin_support_nor_outside_the_signers_period() -> None:
    thin = Catalogue.from_records(_records("Nguyễn Văn Tuấn", MIN_REPAIR_SUPPORT - 1))
    assert apply_catalogue(_extraction("Nguyễn Văn Tuân"), thin, "Khánh Hòa").fields["signer_name"].value \
        == "Nguyễn Văn Tuân"
    old = Catalogue.from_records(_records("Nguyễn Văn Tuấn", 50, day="2004-03-01"))
    out = apply_catalogue(_extraction("Nguyễn Văn Tuân", day="2021-09-01"), old, "Khánh Hòa")
    assert out.fields["signer_name"].value == "Nguyễn Văn Tuân"
    exact = apply_catalogue(_extraction("Nguyễn Văn Tuấn", day="2021-09-01"), old, "Khánh Hòa")
    assert "known_signer" not in exact.fields["signer_name"].checks  # signed for that body, not then


def test_a_known_signer_is_evidence_not_a_change() -> None:
    cat = Catalogue.from_records(_records("Nguyễn Văn Tuấn", 5))
    read = _extraction("Nguyễn Văn Tuấn")
    out = apply_catalogue(read, cat, "Khánh Hòa")
    name = out.fields["signer_name"]
    assert (name.value, name.confidence) == ("Nguyễn Văn Tuấn", read.fields["signer_name"].confidence)
    assert name.checks["known_signer"] is True and name.provenance == {}
    assert out.fields["signer_title"].checks["known_title"] is True
    assert out.fields["issuing_authority"].checks["known_body"] is True
    assert out.fields["document_number"].checks["known_symbol"] is True
    assert out.fields["signer_authority"].checks["known_authority"] is True
    # A signer of another body of the province is not evidence for this one.
    elsewhere = apply_catalogue(_extraction("Nguyễn Văn Tuấn", body=OTHER),
                                Catalogue.from_records(_records("Nguyễn Văn Tuấn", 5) + _records("Lê Hoa", 5, body=OTHER)),
                                "Khánh Hòa")
    assert "known_signer" not in elsewhere.fields["signer_name"].checks


def test_only_overwhelming_unambiguous_support_lets_a_repair_reach_auto_approval() -> None:
    cat = Catalogue.from_records(_records("Nguyễn Văn Tuấn", 400))
    assert apply_catalogue(_extraction("Nguyễn Văn Tuân"), cat, "Khánh Hòa").fields["signer_name"].confidence \
        == OVERWHELMING_CONFIDENCE
    # A letter (not a mark) slipped: the letters themselves are in doubt.
    assert apply_catalogue(_extraction("Nguyễn Văn Tuấm"), cat, "Khánh Hòa").fields["signer_name"].confidence \
        <= REPAIR_CAP
    # A second known name within two characters makes it a person's call even when not as close.
    crowded = Catalogue.from_records(_records("Nguyễn Văn Tuấn", 400) + _records("Nguyễn Văn Toàn", 3))
    assert apply_catalogue(_extraction("Nguyễn Văn Tuân"), crowded, "Khánh Hòa").fields["signer_name"].confidence \
        <= REPAIR_CAP


def test_the_body_and_the_symbol_are_repaired_from_the_provinces_known_ones() -> None:
    cat = Catalogue.from_records(_records("Nguyễn Văn Tuấn", 10) + _records("Lê Hoa", 10, body=OTHER))
    out = apply_catalogue(_extraction("Nguyễn Văn Tuấn", body="ỦY BAN NHÂN DÂN. HUYỆN DIÊN KHÁNH",
                                      number="345/QD-UBND"), cat, "Khánh Hòa")
    assert out.fields["issuing_authority"].value == BODY  # the stray period was a speck
    assert out.fields["issuing_authority"].checks["known_body"] is True
    assert out.fields["document_number"].value == "345/QĐ-UBND"
    assert out.fields["document_number"].provenance["catalogue"]["read"] == "345/QD-UBND"
    assert out.fields["document_number"].confidence <= REPAIR_CAP
    lost_line = apply_catalogue(_extraction("Lê Hoa", body="XÃ NINH ĐA"), cat, "Khánh Hòa")
    assert lost_line.fields["issuing_authority"].value == OTHER
    assert lost_line.fields["signer_name"].checks["known_signer"] is True
    slipped = apply_catalogue(_extraction("Lê Hoa", body="ỦY BAN NHÂN DÂN MUYỆN DIÊN KHÁNH"), cat, "Khánh Hòa")
    assert slipped.fields["issuing_authority"].value == BODY


def test_a_real_body_or_symbol_the_archive_has_not_seen_is_not_repaired_to_a_neighbour() -> None:
    cat = Catalogue.from_records(_records("Lê Hoa", 50, body=OTHER))
    # "XÃ NINH AN" is a commune of the administrative catalogue: a new body, not a slip of "NINH ĐA".
    new_body = apply_catalogue(_extraction("Lê Hoa", body="ỦY BAN NHÂN DÂN XÃ NINH AN"), cat, "Khánh Hòa")
    assert new_body.fields["issuing_authority"].value == "ỦY BAN NHÂN DÂN XÃ NINH AN"
    # A công điện's "CĐ-UBND" of a body known for "QĐ-UBND" is another kind, not a slipped mark.
    cd = apply_catalogue(_extraction("Lê Hoa", body=OTHER, number="5/CĐ-UBND"), cat, "Khánh Hòa")
    assert cd.fields["document_number"].value == "5/CĐ-UBND"
    assert repairs(new_body) == {} and repairs(cd) == {}


def test_symbol_of_a_number() -> None:
    assert symbol_of("1234/QĐ-UBND") == "QĐ-UBND"
    assert symbol_of("12/2020/QĐ-UBND") == "QĐ-UBND"
    assert symbol_of("1234") is None
