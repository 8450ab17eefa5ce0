"""Template families: the ways real archives differ from one another (fonts, header, preamble,
signature authority, label wording, handwritten fill-ins, stamps, capture device, resolution tag).

Extraction tuned on one family only fits that family. Every family but HELD_OUT_FAMILY may be used
while tuning; HELD_OUT_FAMILY is generated for measurement only and reported apart (see
samples/__init__.py)."""

from __future__ import annotations

from dataclasses import dataclass

ALL_TYPES = ("quyet_dinh", "giay_chung_nhan_ho_kinh_doanh", "xac_nhan_tinh_trang_hon_nhan",
             "giay_phep_xay_dung", "trich_luc_khai_sinh")
DEMO_TYPES = ("giay_chung_nhan_ho_kinh_doanh", "xac_nhan_tinh_trang_hon_nhan", "quyet_dinh")


@dataclass(frozen=True)
class Family:
    name: str
    description: str
    face: str = "noto-serif"  # noto-serif | noto-serif-display | liberation-serif | noto-sans | dejavu-serif | dejavu-sans
    header_lines: tuple[int, ...] = ()  # issuing-body line counts to choose from (1..3); () keeps the type's own
    preamble: bool = False  # "CHỦ TỊCH ỦY BAN NHÂN DÂN …" above the bases, "QUYẾT ĐỊNH:" sub-heading
    signer_styles: tuple[str, ...] = ()  # "kt", "tl", "tuq", "q", "tm"; () keeps the classic TM./KT.
    holder_labels: tuple[str, ...] = ()  # wording of the holder-name label; () keeps the type's own
    handwritten: float = 0.0  # chance that number and day are written by hand into printed dotted blanks
    incoming_stamp: float = 0.0  # chance of an incoming-mail stamp ("CÔNG VĂN ĐẾN") on page 1
    capture: str = "scan"  # scan | phone (perspective, shadow, table around the sheet)
    dpi_range: tuple[int, int] | None = None  # effective dpi drawn from this range (None: the damage level's)
    dpi_metadata: bool = True  # False: images carry no resolution tag, PDFs a wrong one (72)
    document_types: tuple[str, ...] = ALL_TYPES
    # Issuers a decision or công văn is re-issued by ("ministry", "agency", "department", "province"):
    # their header, preamble, number symbol, place and authority block; () keeps the type's own.
    issuers: tuple[str, ...] = ()
    summary_width: int = 0  # > 0: a decision's summary lengthened and wrapped at this width (px at 300 dpi)
    date_styles: tuple[str, ...] = ()  # "classic", "spaced" (wide gaps), "plain" (no leading zeros)
    body_points: tuple[float, ...] = ()  # body text size to choose from; () keeps 14 pt
    line_spacing: float = 1.3  # body line height in font sizes


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("classic", "the original template: Noto Serif, two-line header, TM./KT. signer, scanner "
                      "at 300/200/150 dpi with the resolution tagged"),
    Family("sans-labels", "Noto Sans; issuing body on one to three lines; KT./TL. signers; holder label "
                          "'Ông (bà)', 'Họ và tên', 'Chủ hộ kinh doanh'",
           face="noto-sans", header_lines=(1, 2, 3), signer_styles=("kt", "tl", "tm"),
           holder_labels=("Ông (bà)", "Họ và tên", "Chủ hộ kinh doanh")),
    Family("handwritten", "DejaVu Sans; number and day written by hand into dotted blanks; incoming-mail "
                          "stamp on half the pages; TL./KT. signers",
           face="dejavu-sans", header_lines=(2, 3), signer_styles=("tl", "kt"), handwritten=1.0,
           incoming_stamp=0.5),
    Family("cong-van", "công văn: no title, 'V/v' summary under the number, 'Kính gửi'; Noto Serif; "
                       "header on two or three lines; incoming-mail stamp on most",
           header_lines=(2, 3), signer_styles=("kt", "tl", "tm"), incoming_stamp=0.7,
           document_types=("cong_van",)),
    Family("phone", "a phone photo of the sheet: perspective, a hand's shadow, the table around it; "
                    "90-150 dpi effective, JPEG without a resolution tag",
           face="noto-sans", header_lines=(1, 2), signer_styles=("kt", "tm"), holder_labels=("Họ và tên",),
           capture="phone", dpi_range=(90, 150), dpi_metadata=False),
    Family("small-jpeg", "a small scan (70-110 dpi effective) saved without a resolution tag, as mail "
                         "systems and chat apps pass them on",
           header_lines=(1, 2), signer_styles=("kt", "tm"), dpi_range=(70, 110), dpi_metadata=False),
    Family("serif-preamble", "DejaVu Serif; 'CHỦ TỊCH ỦY BAN NHÂN DÂN …' preamble and 'QUYẾT ĐỊNH:' "
                             "sub-heading; TUQ./Q. signature blocks; header on one or three lines; "
                             "'Ông (bà)' labels; some handwritten fill-ins and incoming-mail stamps",
           face="dejavu-serif", header_lines=(1, 3), preamble=True, signer_styles=("tuq", "q", "kt"),
           holder_labels=("Ông (bà)",), handwritten=0.3, incoming_stamp=0.3,
           document_types=("quyet_dinh", "giay_chung_nhan_ho_kinh_doanh", "xac_nhan_tinh_trang_hon_nhan")),
    # After the held-out family so that its index (a key of its damage) and its documents stay the same.
    Family("acting-preamble", "Noto Serif; the chairman's preamble and 'QUYẾT ĐỊNH:' sub-heading on decisions; "
                              "acting (Q.) and authorised (TUQ.) signers beside KT./TL.; header on one to three "
                              "lines; 'Ông (bà)' and 'Họ và tên' labels; incoming-mail stamps on some",
           header_lines=(1, 2, 3), preamble=True, signer_styles=("q", "tuq", "tl", "kt"),
           holder_labels=("Ông (bà)", "Họ và tên"), incoming_stamp=0.3),
    # A tuning family in a serif face other than Noto Serif, so that a serif face's misreadings (thin
    # joins and hairline serifs broken by the scan) are in the development data; laid out unlike the
    # held-out family: two- or three-line headers, TL./TM./KT. blocks, no preamble.
    Family("display-serif", "Noto Serif Display (high-contrast serif); issuing body on two or three lines; "
                            "TL./TM./KT. signers; 'Họ và tên' and 'Chủ hộ kinh doanh' labels; a few handwritten "
                            "fill-ins and incoming-mail stamps",
           face="noto-serif-display", header_lines=(2, 3), signer_styles=("tl", "tm", "kt"),
           holder_labels=("Họ và tên", "Chủ hộ kinh doanh"), handwritten=0.15, incoming_stamp=0.2,
           document_types=DEMO_TYPES),
    # Liberation Serif (Times New Roman's metrics, the face of most real decisions), laid out unlike the
    # held-out family: a two-line header, KT./TL./TM. blocks, no preamble, no hand-written fill-ins.
    Family("times-serif", "Liberation Serif (Times New Roman's metrics); issuing body on two lines; KT./TL./TM. "
                          "signers; 'Họ và tên' labels; incoming-mail stamps on a few",
           face="liberation-serif", header_lines=(2,), signer_styles=("kt", "tl", "tm"),
           holder_labels=("Họ và tên",), incoming_stamp=0.2, document_types=DEMO_TYPES),
    # Central and provincial issuers, as the real archives hold them besides districts and communes:
    # laid out unlike the held-out family (no DejaVu Serif, no TUQ./Q. blocks).
    Family("ministry", "Liberation Serif at 13 or 14 pt, 1.5 line spacing; decisions and công văn of a ministry "
                       "('BỘ …' on one line), one of its agencies or a provincial department under a superior "
                       "body, or the provincial People's Committee; the decision's summary on two or three "
                       "lines; KT./TM. authority blocks on two or three lines; date lines with wide gaps or no "
                       "leading zeros; numbers with the year and long symbols ('123/2024/QĐ-UBND')",
           face="liberation-serif", header_lines=(2, 3), signer_styles=("kt", "tm"),
           holder_labels=("Họ và tên",), incoming_stamp=0.15,
           issuers=("ministry", "agency", "department", "province"), summary_width=1500,
           date_styles=("spaced", "plain", "classic"), body_points=(13.0, 14.0), line_spacing=1.5,
           document_types=("quyet_dinh", "cong_van", "giay_chung_nhan_ho_kinh_doanh",
                           "xac_nhan_tinh_trang_hon_nhan")),
)}

DEFAULT_FAMILY = "classic"
