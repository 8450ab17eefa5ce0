"""What a sample document says: issuer, holder, body text and the ground-truth fields."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from core.identifiers import gender_century_digit
from samples._families import Family

DOCUMENT_TYPES = ("quyet_dinh", "giay_chung_nhan_ho_kinh_doanh", "xac_nhan_tinh_trang_hon_nhan",
                  "giay_phep_xay_dung", "trich_luc_khai_sinh")
FIELD_NAMES = (
    "document_number", "issue_place", "issue_date", "issuing_authority", "title", "summary",
    "signer_title", "signer_name", "holder_name", "holder_birth_date", "holder_id_number",
    "holder_address", "registration_number", "business_name", "business_address", "marital_status",
    "construction_site", "total_floor_area", "storeys", "birth_place", "mother_name", "father_name",
)

# Old (pre-2025) statistical codes of the provinces holders are born in (names: core.units.province_codes):
# Hà Nội, Thanh Hóa, Nghệ An, Đà Nẵng, Quảng Nam, Bình Định, Phú Yên, Khánh Hòa, Ninh Thuận, Hồ Chí Minh.
# A CCCD starts with "0" + the code of the province where the birth was registered.
CCCD_PROVINCE_CODES: tuple[str, ...] = ("01", "38", "40", "48", "49", "52", "54", "56", "58", "79")

_SURNAMES = ("Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Huỳnh",
             "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trương", "Đinh")
_MIDDLE = {"M": ("Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Ngọc", "Xuân", "Đình"),
           "F": ("Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Phương", "Thùy", "Hồng")}
_GIVEN = {"M": ("An", "Bình", "Cường", "Dũng", "Hùng", "Hải", "Khánh", "Long", "Nam", "Phúc",
                "Quang", "Sơn", "Thắng", "Tuấn", "Việt", "Hiếu", "Lộc", "Trung", "Đạt", "Tài"),
          "F": ("Anh", "Bích", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai",
                "Ngân", "Nhung", "Thảo", "Trang", "Yến", "Oanh", "Vân", "Huyền", "Loan", "Thủy")}
_HAMLETS = ("Tây Bắc", "Đông Nam", "Xuân Tự 1", "Xuân Tự 2", "Quảng Hội", "Phú Hội", "Tân Phước",
            "Hòa Thuận", "Bình Trung", "Mỹ Lương", "Phước Lâm", "Tứ Chánh", "Lộc Thọ", "Trung Dõng")
_STREETS = ("Lê Lợi", "Trần Phú", "Nguyễn Huệ", "Hùng Vương", "Quang Trung", "Lê Thánh Tôn",
            "Hai Bà Trưng", "Phan Bội Châu", "Nguyễn Trãi", "Võ Thị Sáu")
_SHOP_KINDS = (("TẠP HÓA", "Bán lẻ lương thực, thực phẩm, đồ uống trong các cửa hàng kinh doanh tổng hợp"),
               ("QUÁN CÀ PHÊ", "Dịch vụ phục vụ đồ uống"),
               ("CƠM BÌNH DÂN", "Nhà hàng và các dịch vụ ăn uống phục vụ lưu động"),
               ("SỬA XE", "Bảo dưỡng, sửa chữa mô tô, xe máy"),
               ("VẬT LIỆU XÂY DỰNG", "Bán lẻ đồ ngũ kim, sơn, kính và thiết bị lắp đặt khác trong xây dựng"),
               ("HẢI SẢN", "Bán buôn thủy sản"))


@dataclass(frozen=True)
class District:
    kind: str  # huyện | thị xã | thành phố | quận
    name: str
    communes: tuple[tuple[str, str], ...]  # (xã | phường | thị trấn, name)
    letter: str  # household-business registration district letter


@dataclass(frozen=True)
class Province:
    kind: str  # tỉnh | thành phố
    name: str
    business_code: str  # first two characters of a household-business registration number
    districts: tuple[District, ...]


PROVINCES: dict[str, Province] = {
    p.name: p
    for p in (
        Province("tỉnh", "Khánh Hòa", "37", (
            District("huyện", "Vạn Ninh", (("xã", "Vạn Thọ"), ("xã", "Vạn Phước"), ("xã", "Vạn Long"),
                                           ("xã", "Vạn Hưng"), ("thị trấn", "Vạn Giã")), "A"),
            District("thị xã", "Ninh Hòa", (("xã", "Ninh Đa"), ("phường", "Ninh Hiệp"), ("xã", "Ninh Thọ")), "B"),
            District("huyện", "Diên Khánh", (("xã", "Diên An"), ("xã", "Diên Phú"), ("xã", "Diên Toàn")), "C"),
            District("thành phố", "Nha Trang", (("phường", "Vĩnh Hải"), ("phường", "Phước Hải"),
                                                ("phường", "Lộc Thọ")), "D"),
        )),
        Province("tỉnh", "Bình Định", "35", (
            District("huyện", "Tuy Phước", (("xã", "Phước Hưng"), ("xã", "Phước Thuận")), "A"),
            District("huyện", "Phù Cát", (("xã", "Cát Hanh"), ("xã", "Cát Tân")), "B"),
            District("thành phố", "Quy Nhơn", (("phường", "Ghềnh Ráng"), ("phường", "Trần Phú")), "C"),
        )),
        Province("thành phố", "Hà Nội", "01", (
            District("quận", "Ba Đình", (("phường", "Kim Mã"), ("phường", "Ngọc Hà")), "A"),
            District("huyện", "Gia Lâm", (("xã", "Bát Tràng"), ("xã", "Đa Tốn")), "B"),
            District("quận", "Cầu Giấy", (("phường", "Dịch Vọng"), ("phường", "Nghĩa Đô")), "C"),
        )),
    )
}


@dataclass
class Paragraph:
    """One block of body text; `lead` words are printed bold (e.g. "Điều 1.")."""

    text: str
    align: str = "justify"  # justify | center | left
    style: str = "regular"  # regular | bold | italic
    lead: int = 0
    indent: bool = True
    size: float = 14.0
    space_before: int = 0


@dataclass
class Content:
    header_left: tuple[str, ...]  # issuing body, superior body first (1 to 3 lines)
    header_left_bold_first: bool
    number: str
    place: str
    issued: date
    title: str | None  # None: a công văn, whose "V/v" summary stands under the number instead
    summary: str | None
    body: list[Paragraph]
    signer_lines: tuple[str, ...]
    signer_name: str
    recipients: tuple[str, ...]
    seal_text: str
    fields: dict[str, str | None] = field(default_factory=dict)
    highlighted: tuple[str, ...] = ()  # words a clerk marked with a highlighter (an injected error)
    face: str = "noto-serif"  # the typeface family (samples._families)
    handwritten: bool = False  # number and day written by hand into dotted blanks
    incoming: tuple[str, date] | None = None  # an incoming-mail stamp: its own number and date (not the document's)
    recipient_line: str | None = None  # "Kính gửi: …" of a công văn
    summary_width: int = 0  # > 0: the summary under the title wrapped at this width (px at 300 dpi)
    date_style: str = "classic"  # classic | spaced | plain (vn_date_line)
    body_points: float = 0.0  # > 0: body text at this size instead of the paragraphs' 14 pt
    line_spacing: float = 1.3  # body line height in font sizes


def vn_date_line(place: str, d: date, style: str = "classic") -> str:
    """Decree 30: days below 10 and months 1-2 take a leading zero. "spaced": the same with wide gaps
    (a line typed with blanks left for the day, filled in later); "plain": no leading zeros."""
    if style == "plain":
        return f"{place}, ngày {d.day} tháng {d.month} năm {d.year}"
    day = f"{d.day:02d}"
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    if style == "spaced":
        return f"{place}, ngày   {day}   tháng   {month}   năm {d.year}"
    return f"{place}, ngày {day} tháng {month} năm {d.year}"


def dmy(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _upper(text: str) -> str:
    return text.upper()


@dataclass
class _Person:
    name: str
    gender: str  # M | F
    birth: date
    cccd: str
    cccd_issued: date
    address: str

    @property
    def honorific(self) -> str:
        return "ông" if self.gender == "M" else "bà"

    @property
    def gender_vi(self) -> str:
        return "Nam" if self.gender == "M" else "Nữ"


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def person_name(rng: random.Random, gender: str) -> str:
    return f"{rng.choice(_SURNAMES)} {rng.choice(_MIDDLE[gender])} {rng.choice(_GIVEN[gender])}"


def cccd_number(rng: random.Random, province_code: str, gender: str, birth_year: int) -> str:
    """12 digits: 0 + province code, gender/century digit, 2-digit birth year, 6 random digits."""
    digit = gender_century_digit(birth_year, female=gender != "M")
    return f"0{province_code}{digit}{birth_year % 100:02d}{rng.randrange(1_000_000):06d}"


def _address(rng: random.Random, province: Province, district: District, commune: tuple[str, str]) -> str:
    if commune[0] == "phường" or district.kind in ("quận", "thành phố"):
        place = f"Số {rng.randrange(2, 240)} đường {rng.choice(_STREETS)}"
    else:
        place = f"Thôn {rng.choice(_HAMLETS)}"
    return f"{place}, {commune[0]} {commune[1]}, {district.kind} {district.name}, {province.kind} {province.name}"


def _person(rng: random.Random, issued: date, province: Province, district: District) -> _Person:
    gender = rng.choice("MF")
    birth = _random_date(rng, date(1952, 1, 1), date(issued.year - 19, 12, 31))
    code = "56" if province.name == "Khánh Hòa" and rng.random() < 0.6 else rng.choice(CCCD_PROVINCE_CODES)
    cccd_issued = _random_date(rng, max(date(2016, 6, 1), birth + timedelta(days=14 * 365)),
                               issued - timedelta(days=30))
    return _Person(
        name=person_name(rng, gender), gender=gender, birth=birth,
        cccd=cccd_number(rng, code, gender, birth.year), cccd_issued=cccd_issued,
        address=_address(rng, province, district, rng.choice(district.communes)),
    )


def _signer(rng: random.Random, chief: str, deputy: str, on_behalf: str | None) -> tuple[tuple[str, ...], str]:
    lines: list[str] = [f"TM. {on_behalf}"] if on_behalf else []
    lines += [f"KT. {chief}", deputy] if rng.random() < 0.6 else [chief]
    return tuple(lines), person_name(rng, rng.choice("MMF"))


def _base_fields(content: Content) -> dict[str, str | None]:
    fields: dict[str, str | None] = dict.fromkeys(FIELD_NAMES)
    fields.update(
        document_number=content.number, issue_place=content.place, issue_date=content.issued.isoformat(),
        issuing_authority=" ".join(content.header_left), title=content.title, summary=content.summary,
        signer_title=content.signer_lines[-1], signer_name=content.signer_name,
    )
    return fields


def _district_header(province: Province, district: District) -> tuple[str, str]:
    return "ỦY BAN NHÂN DÂN", _upper(f"{district.kind} {district.name}")


def _quyet_dinh(rng: random.Random, province: Province, issued: date | None = None) -> Content:
    issued = issued or _random_date(rng, date(2017, 3, 1), date(2024, 11, 30))
    district = rng.choice(province.districts)
    holder = _person(rng, issued, province, district)
    commune = rng.choice(district.communes)
    unit = f"{district.kind} {district.name}"
    year = issued.year
    topic = rng.randrange(3)
    if topic == 0:
        summary = f"Về việc công nhận gia đình văn hóa tiêu biểu năm {year - 1}"
        office, office_short = "Trưởng phòng Văn hóa và Thông tin", "VHTT"
        basis = [
            "Căn cứ Luật Thi đua, khen thưởng ngày 26 tháng 11 năm 2003; Luật sửa đổi, bổ sung một số "
            "điều của Luật Thi đua, khen thưởng ngày 16 tháng 11 năm 2013;",
            "Căn cứ Nghị định số 122/2018/NĐ-CP ngày 17 tháng 9 năm 2018 của Chính phủ quy định về xét "
            "tặng danh hiệu Gia đình văn hóa, Thôn văn hóa, Làng văn hóa, Ấp văn hóa, Bản văn hóa, Tổ dân "
            "phố văn hóa;",
        ]
        article1 = (f"Điều 1. Công nhận gia đình {holder.honorific} {holder.name} đạt danh hiệu gia đình "
                    f"văn hóa tiêu biểu năm {year - 1}, có thông tin như sau:")
        article2 = (f"Điều 2. Gia đình {holder.honorific} {holder.name} được tặng Giấy khen kèm theo tiền "
                    f"thưởng theo quy định hiện hành. Kinh phí khen thưởng được chi từ nguồn quỹ thi đua, khen "
                    f"thưởng của {unit} năm {year}.")
    elif topic == 1:
        amount = rng.choice(("20.000.000", "25.000.000", "30.000.000", "40.000.000"))
        summary = "Về việc hỗ trợ kinh phí sửa chữa nhà ở cho hộ nghèo"
        office, office_short = "Trưởng phòng Lao động - Thương binh và Xã hội", "LĐTBXH"
        basis = [
            "Căn cứ Quyết định số 33/2015/QĐ-TTg ngày 10 tháng 8 năm 2015 của Thủ tướng Chính phủ về chính "
            "sách hỗ trợ nhà ở đối với hộ nghèo theo chuẩn nghèo giai đoạn 2011 - 2015;",
            f"Căn cứ kết quả rà soát hộ nghèo, hộ cận nghèo năm {year - 1} trên địa bàn {unit};",
        ]
        article1 = (f"Điều 1. Hỗ trợ kinh phí sửa chữa nhà ở cho hộ {holder.honorific} {holder.name} với số "
                    f"tiền {amount} đồng, có thông tin như sau:")
        article2 = (f"Điều 2. Kinh phí hỗ trợ được cấp từ nguồn ngân sách {unit} năm {year}. Ủy ban nhân "
                    f"dân {commune[0]} {commune[1]} có trách nhiệm hướng dẫn, giám sát việc sửa chữa nhà ở "
                    "đúng mục đích, bảo đảm chất lượng và thanh quyết toán kinh phí theo quy định.")
    else:
        area = f"{rng.randrange(80, 300)},{rng.randrange(10, 99)}"
        summary = "Về việc giao đất ở cho hộ gia đình, cá nhân"
        office, office_short = "Trưởng phòng Tài nguyên và Môi trường", "TNMT"
        basis = [
            "Căn cứ Luật Đất đai ngày 29 tháng 11 năm 2013;",
            "Căn cứ Nghị định số 43/2014/NĐ-CP ngày 15 tháng 5 năm 2014 của Chính phủ quy định chi tiết "
            "thi hành một số điều của Luật Đất đai;",
        ]
        article1 = (f"Điều 1. Giao cho hộ {holder.honorific} {holder.name} thửa đất có diện tích {area} m2 "
                    f"tại {commune[0]} {commune[1]} để sử dụng vào mục đích đất ở, có thông tin như sau:")
        article2 = (f"Điều 2. Hộ {holder.honorific} {holder.name} có trách nhiệm nộp tiền sử dụng đất, lệ phí "
                    f"trước bạ theo quy định; sử dụng đất đúng mục đích, đúng ranh giới được giao. Phòng Tài "
                    f"nguyên và Môi trường {unit} chủ trì bàn giao đất trên thực địa và cập nhật hồ sơ địa chính.")
    amended = [] if issued < date(2020, 7, 1) else [
        "Căn cứ Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền "
        "địa phương ngày 22 tháng 11 năm 2019;"]
    number = f"{rng.randrange(12, 4800)}/QĐ-UBND"
    proposal = _random_date(rng, issued - timedelta(days=30), issued - timedelta(days=3))
    body = [
        Paragraph(_upper(f"ỦY BAN NHÂN DÂN {unit}"), align="center", style="bold", indent=False, space_before=30),
        Paragraph("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;", style="italic",
                  space_before=30),
        *(Paragraph(b, style="italic") for b in amended + basis),
        Paragraph(f"Xét đề nghị của {office} {unit} tại Tờ trình số {rng.randrange(10, 400)}/TTr-"
                  f"{office_short} ngày {proposal.day:02d}/{proposal.month:02d}/{proposal.year}.", style="italic"),
        Paragraph("QUYẾT ĐỊNH:", align="center", style="bold", indent=False, space_before=30),
        Paragraph(article1, lead=2, space_before=20),
        Paragraph(f"- Họ và tên: {holder.name}; giới tính: {holder.gender_vi};"),
        Paragraph(f"- Ngày sinh: {dmy(holder.birth)};"),
        Paragraph(f"- Số CCCD: {holder.cccd}, cấp ngày {dmy(holder.cccd_issued)};"),
        Paragraph(f"- Nơi cư trú: {holder.address}."),
        Paragraph(article2, lead=2),
        Paragraph("Điều 3. Quyết định này có hiệu lực kể từ ngày ký.", lead=2),
        Paragraph(f"Chánh Văn phòng Hội đồng nhân dân và Ủy ban nhân dân {unit}, {office} {unit}, Chủ "
                  f"tịch Ủy ban nhân dân {commune[0]} {commune[1]}, Thủ trưởng các cơ quan, đơn vị có liên "
                  f"quan và {holder.honorific} {holder.name} chịu trách nhiệm thi hành Quyết định này./."),
    ]
    signer_lines, signer_name = _signer(rng, "CHỦ TỊCH", "PHÓ CHỦ TỊCH", "ỦY BAN NHÂN DÂN")
    content = Content(
        header_left=_district_header(province, district), header_left_bold_first=True, number=number,
        place=district.name, issued=issued, title="QUYẾT ĐỊNH", summary=summary, body=body,
        signer_lines=signer_lines, signer_name=signer_name,
        recipients=("- Như Điều 3;", "- UBND tỉnh (b/c);", "- CT, các PCT UBND huyện;",
                    f"- Lưu: VT, {office_short}."),
        seal_text=_upper(f"ỦY BAN NHÂN DÂN {unit} * {province.kind} {province.name} *"),
    )
    content.fields = _base_fields(content)
    content.fields.update(holder_name=holder.name, holder_birth_date=holder.birth.isoformat(),
                          holder_id_number=holder.cccd, holder_address=holder.address)
    return content


def _ho_kinh_doanh(rng: random.Random, province: Province, issued: date | None = None) -> Content:
    issued = issued or _random_date(rng, date(2017, 3, 1), date(2024, 11, 30))
    district = rng.choice(province.districts)
    holder = _person(rng, issued, province, district)
    kind, trade = rng.choice(_SHOP_KINDS)
    business_name = f"{kind} {_upper(rng.choice(_GIVEN['F'] + _GIVEN['M']))} {rng.choice(('', '', '2', 'XANH'))}".strip()
    business_name = _upper(business_name)
    business_address = _address(rng, province, district, rng.choice(district.communes))
    registration = f"{province.business_code}{district.letter}8{rng.randrange(1_000_000):06d}"
    capital = rng.choice(("30.000.000", "50.000.000", "80.000.000", "100.000.000", "150.000.000"))
    phone = f"0{rng.choice('39')}{rng.randrange(10, 99)} {rng.randrange(100, 999)} {rng.randrange(100, 999)}"
    body = [
        Paragraph(f"Mã số hộ kinh doanh: {registration}", align="center", style="bold", indent=False),
        Paragraph(f"Đăng ký lần đầu: ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year}",
                  align="center", style="italic", indent=False, size=13),
        Paragraph(f"1. Tên hộ kinh doanh: {business_name}", space_before=40),
        Paragraph(f"2. Địa điểm kinh doanh: {business_address}"),
        Paragraph(f"Điện thoại: {phone}"),
        Paragraph(f"3. Ngành, nghề kinh doanh: {trade}"),
        Paragraph(f"4. Vốn kinh doanh: {capital} đồng"),
        Paragraph(f"5. Số lượng lao động: {rng.randrange(1, 6)} người"),
        Paragraph("6. Thông tin về chủ hộ kinh doanh:"),
        Paragraph(f"Họ và tên: {_upper(holder.name)}\tGiới tính: {holder.gender_vi}"),
        Paragraph(f"Sinh ngày: {dmy(holder.birth)}\tDân tộc: Kinh\tQuốc tịch: Việt Nam"),
        Paragraph("Loại giấy tờ pháp lý của cá nhân: Căn cước công dân"),
        Paragraph(f"Số giấy tờ pháp lý của cá nhân: {holder.cccd}"),
        Paragraph(f"Ngày cấp: {dmy(holder.cccd_issued)}\tNơi cấp: Cục Cảnh sát QLHC về TTXH"),
        Paragraph(f"Nơi đăng ký thường trú: {holder.address}"),
        Paragraph(f"Chỗ ở hiện tại: {holder.address}"),
    ]
    signer_lines, signer_name = _signer(rng, "TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG", None)
    unit = f"{district.kind} {district.name}"
    content = Content(
        header_left=(_upper(f"UBND {unit}"), "PHÒNG TÀI CHÍNH - KẾ HOẠCH"), header_left_bold_first=False,
        number=f"{rng.randrange(10, 2500)}/GCN-TCKH", place=district.name, issued=issued,
        title="GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", summary=None, body=body,
        signer_lines=signer_lines, signer_name=signer_name,
        recipients=("- Chủ hộ kinh doanh;", f"- Chi cục Thuế {unit};", "- UBND cấp xã;", "- Lưu: VT, TCKH."),
        seal_text=_upper(f"PHÒNG TÀI CHÍNH - KẾ HOẠCH * {unit} *"),
    )
    content.fields = _base_fields(content)
    content.fields.update(
        holder_name=_upper(holder.name), holder_birth_date=holder.birth.isoformat(), holder_id_number=holder.cccd,
        holder_address=holder.address, registration_number=registration, business_name=business_name,
        business_address=business_address,
    )
    return content


def _hon_nhan(rng: random.Random, province: Province, issued: date | None = None) -> Content:
    drawn = _random_date(rng, date(2017, 3, 1), date(2024, 11, 30))
    # Valid 6 months from issue (Decree 123/2015 Art. 23): by default a confirmation issued in the
    # last five months, so it is still valid when converted; `issued` makes an old (expired) one.
    # No extra draw from rng: the rest of the content stays what the seed gave before.
    issued = issued or date.today() - timedelta(days=7 + drawn.toordinal() % 140)
    district = rng.choice(province.districts)
    commune = rng.choice(district.communes)
    holder = _person(rng, issued, province, district)
    holder.address = _address(rng, province, district, commune)
    status = rng.choice(("Chưa đăng ký kết hôn với ai", "Chưa đăng ký kết hôn với ai",
                         "Đã đăng ký kết hôn, nhưng đã ly hôn và hiện tại chưa đăng ký kết hôn với ai"))
    purpose = rng.choice(("Làm thủ tục đăng ký kết hôn", "Bổ sung hồ sơ vay vốn ngân hàng",
                          "Làm thủ tục chuyển nhượng quyền sử dụng đất"))
    since = max(holder.birth, _random_date(rng, date(2000, 1, 1), issued - timedelta(days=400)))
    commune_full = f"{commune[0]} {commune[1]}"
    body = [
        Paragraph(_upper(f"ỦY BAN NHÂN DÂN {commune_full}"), align="center", style="bold", indent=False,
                  space_before=30),
        Paragraph(f"Xét đề nghị của {holder.honorific} {holder.name} về việc cấp Giấy xác nhận tình trạng "
                  "hôn nhân cho bản thân;", style="italic", space_before=20),
        Paragraph("Sau khi kiểm tra, xác minh thông tin trong Cơ sở dữ liệu hộ tịch,", style="italic"),
        Paragraph("XÁC NHẬN:", align="center", style="bold", indent=False, space_before=20),
        Paragraph(f"Họ, chữ đệm, tên: {_upper(holder.name)}", space_before=10),
        Paragraph(f"Ngày, tháng, năm sinh: {dmy(holder.birth)}"),
        Paragraph(f"Giới tính: {holder.gender_vi}\tDân tộc: Kinh\tQuốc tịch: Việt Nam"),
        Paragraph(f"Giấy tờ tùy thân: Căn cước công dân số {holder.cccd}"),
        Paragraph(f"Nơi cư trú: {holder.address}"),
        Paragraph(f"Trong thời gian cư trú tại {commune_full}, {district.kind} {district.name}, "
                  f"{province.kind} {province.name} từ ngày {dmy(since)} đến ngày {dmy(issued)}"),
        Paragraph(f"Tình trạng hôn nhân: {status}."),
        Paragraph(f"Giấy này được cấp để: {purpose}."),
        Paragraph("Giấy này có giá trị sử dụng trong thời hạn 6 tháng, kể từ ngày cấp.", style="italic",
                  space_before=20),
    ]
    signer_lines, signer_name = _signer(rng, "CHỦ TỊCH", "PHÓ CHỦ TỊCH", "ỦY BAN NHÂN DÂN")
    content = Content(
        header_left=("ỦY BAN NHÂN DÂN", _upper(commune_full)), header_left_bold_first=True,
        number=f"{rng.randrange(5, 400)}/UBND-XNTTHN", place=commune[1], issued=issued,
        title="GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN", summary=None, body=body,
        signer_lines=signer_lines, signer_name=signer_name,
        recipients=("- Người được cấp;", "- Lưu: VT, HT."),
        seal_text=_upper(f"ỦY BAN NHÂN DÂN {commune_full} * {district.kind} {district.name} *"),
    )
    content.fields = _base_fields(content)
    content.fields.update(
        holder_name=_upper(holder.name), holder_birth_date=holder.birth.isoformat(), holder_id_number=holder.cccd,
        holder_address=holder.address, marital_status=status,
    )
    return content


def _xay_dung(rng: random.Random, province: Province, issued: date | None = None) -> Content:
    """Decree 15/2021 Appendix II form 01: a building permit for a detached house."""
    issued = issued or _random_date(rng, date(2017, 3, 1), date(2024, 11, 30))
    district = rng.choice(province.districts)
    holder = _person(rng, issued, province, district)
    site_commune = rng.choice(district.communes)
    site = (f"Thửa đất số {rng.randrange(12, 900)}, tờ bản đồ số {rng.randrange(1, 60)}, "
            f"{_address(rng, province, district, site_commune)}")
    storeys = rng.choice((1, 2, 2, 3, 3, 4))
    ground = rng.randrange(60, 160)
    floor_area = f"{ground * storeys - rng.randrange(0, 20)},{rng.randrange(1, 9)} m2"
    height = f"{3.6 * storeys + 1.2:.1f}".replace(".", ",")
    certificate = f"{rng.choice('BCDE')}{rng.choice('KLMN')} {rng.randrange(100_000, 999_999)}"
    land_issued = _random_date(rng, date(2005, 1, 1), issued - timedelta(days=60))
    designer = rng.choice(("Công ty TNHH Tư vấn thiết kế xây dựng Hoàng Long", "Công ty cổ phần Kiến trúc Nam Việt",
                           "chủ đầu tư tự lập"))
    unit = f"{district.kind} {district.name}"
    body = [
        Paragraph("(Sử dụng cho nhà ở riêng lẻ)", align="center", style="italic", indent=False, size=13),
        Paragraph(f"1. Cấp cho: {_upper(holder.name)}", space_before=40),
        Paragraph(f"Địa chỉ: {holder.address}"),
        Paragraph("2. Được phép xây dựng công trình: Nhà ở riêng lẻ"),
        Paragraph(f"- Theo thiết kế do {designer} lập."),
        Paragraph("- Gồm các nội dung sau:"),
        Paragraph(f"+ Vị trí xây dựng: {site}"),
        Paragraph("+ Cốt nền xây dựng công trình: +0,45 m so với cốt vỉa hè"),
        Paragraph(f"+ Mật độ xây dựng: {rng.choice((70, 75, 80, 85, 90))}%"),
        Paragraph(f"+ Diện tích xây dựng tầng 1 (tầng trệt): {ground},0 m2"),
        Paragraph(f"+ Tổng diện tích sàn: {floor_area}"),
        Paragraph(f"+ Chiều cao công trình: {height} m"),
        Paragraph(f"+ Số tầng: {storeys}"),
        Paragraph(f"3. Giấy tờ về quyền sử dụng đất: Giấy chứng nhận quyền sử dụng đất số {certificate} do "
                  f"Ủy ban nhân dân {unit} cấp ngày {dmy(land_issued)}."),
        Paragraph("4. Giấy phép này có hiệu lực khởi công xây dựng trong thời hạn 12 tháng kể từ ngày cấp; quá "
                  "thời hạn trên thì phải đề nghị gia hạn giấy phép xây dựng."),
    ]
    signer_lines, signer_name = _signer(rng, "CHỦ TỊCH", "PHÓ CHỦ TỊCH", "ỦY BAN NHÂN DÂN")
    content = Content(
        header_left=_district_header(province, district), header_left_bold_first=True,
        number=f"{rng.randrange(10, 1900)}/GPXD", place=district.name, issued=issued,
        title="GIẤY PHÉP XÂY DỰNG", summary=None, body=body, signer_lines=signer_lines, signer_name=signer_name,
        recipients=("- Chủ đầu tư;", f"- UBND {site_commune[0]} {site_commune[1]};", "- Lưu: VT, QLĐT."),
        seal_text=_upper(f"ỦY BAN NHÂN DÂN {unit} * {province.kind} {province.name} *"),
    )
    content.fields = _base_fields(content)
    content.fields.update(holder_name=_upper(holder.name), holder_address=holder.address, construction_site=site,
                          total_floor_area=floor_area, storeys=str(storeys))
    return content


def _khai_sinh(rng: random.Random, province: Province, issued: date | None = None) -> Content:
    """Circular 04/2020/TT-BTP: an extract of the birth register, issued by the commune."""
    issued = issued or _random_date(rng, date(2017, 3, 1), date(2024, 11, 30))
    district = rng.choice(province.districts)
    commune = rng.choice(district.communes)
    gender = rng.choice("MF")
    birth = _random_date(rng, date(1995, 1, 1), issued - timedelta(days=90))
    registered = min(issued, birth + timedelta(days=rng.randrange(5, 60)))
    code = "56" if province.name == "Khánh Hòa" else rng.choice(CCCD_PROVINCE_CODES)
    child = _upper(person_name(rng, gender))
    family = child.split()[0]
    father = _upper(f"{family} {rng.choice(_MIDDLE['M'])} {rng.choice(_GIVEN['M'])}")
    mother = _upper(person_name(rng, "F"))
    home = _address(rng, province, district, commune)
    birth_place = rng.choice((f"Trạm Y tế {commune[0]} {commune[1]}, {district.kind} {district.name}, "
                              f"{province.kind} {province.name}",
                              f"Bệnh viện Đa khoa {province.kind} {province.name}"))
    commune_full = f"{commune[0]} {commune[1]}"
    body = [
        Paragraph(f"Họ, chữ đệm, tên: {child}", space_before=40),
        Paragraph(f"Ngày, tháng, năm sinh: {dmy(birth)}"),
        Paragraph(f"Giới tính: {'Nam' if gender == 'M' else 'Nữ'}\tDân tộc: Kinh\tQuốc tịch: Việt Nam"),
        Paragraph(f"Nơi sinh: {birth_place}"),
        Paragraph(f"Quê quán: {district.kind} {district.name}, {province.kind} {province.name}"),
        Paragraph(f"Số định danh cá nhân: {cccd_number(rng, code, gender, birth.year)}"),
        Paragraph(f"Họ, chữ đệm, tên người mẹ: {mother}", space_before=20),
        Paragraph(f"Năm sinh: {birth.year - rng.randrange(20, 36)}\tDân tộc: Kinh\tQuốc tịch: Việt Nam"),
        Paragraph(f"Nơi cư trú: {home}"),
        Paragraph(f"Họ, chữ đệm, tên người cha: {father}", space_before=20),
        Paragraph(f"Năm sinh: {birth.year - rng.randrange(22, 40)}\tDân tộc: Kinh\tQuốc tịch: Việt Nam"),
        Paragraph(f"Nơi cư trú: {home}"),
        Paragraph(f"Nơi đăng ký khai sinh: Ủy ban nhân dân {commune_full}, {district.kind} {district.name}, "
                  f"{province.kind} {province.name}", space_before=20),
        Paragraph(f"Ngày, tháng, năm đăng ký: {dmy(registered)}"),
    ]
    signer_lines, signer_name = _signer(rng, "CHỦ TỊCH", "PHÓ CHỦ TỊCH", "ỦY BAN NHÂN DÂN")
    content = Content(
        header_left=("ỦY BAN NHÂN DÂN", _upper(commune_full)), header_left_bold_first=True,
        number=f"{rng.randrange(5, 600)}/TLKS", place=commune[1], issued=issued,
        title="TRÍCH LỤC KHAI SINH", summary=None, body=body, signer_lines=signer_lines, signer_name=signer_name,
        recipients=("- Người yêu cầu;", "- Lưu: VT, HT."),
        seal_text=_upper(f"ỦY BAN NHÂN DÂN {commune_full} * {district.kind} {district.name} *"),
    )
    content.fields = _base_fields(content)
    number_line = body[5].text
    content.fields.update(holder_name=child, holder_birth_date=birth.isoformat(),
                          holder_id_number=number_line.rsplit(" ", 1)[1], birth_place=birth_place,
                          mother_name=mother, father_name=father)
    return content


_CV_TOPICS = (
    ("V/v đôn đốc thu nộp thuế sử dụng đất phi nông nghiệp năm {year}",
     "Thực hiện chỉ đạo của Ủy ban nhân dân {superior} về việc tập trung thu ngân sách nhà nước năm {year}, "
     "Ủy ban nhân dân {unit} đề nghị các đơn vị rà soát danh sách hộ gia đình, cá nhân còn nợ thuế sử dụng "
     "đất phi nông nghiệp trên địa bàn, thông báo và đôn đốc nộp đủ số thuế còn nợ trước ngày {deadline}."),
    ("V/v báo cáo kết quả rà soát hộ nghèo, hộ cận nghèo năm {year}",
     "Để có cơ sở tổng hợp, báo cáo Ủy ban nhân dân {superior}, Ủy ban nhân dân {unit} đề nghị các đơn vị "
     "khẩn trương hoàn thành việc rà soát hộ nghèo, hộ cận nghèo năm {year} và gửi báo cáo kết quả về Văn "
     "phòng trước ngày {deadline} để tổng hợp."),
    ("V/v tăng cường công tác phòng, chống thiên tai và tìm kiếm cứu nạn",
     "Trước diễn biến phức tạp của thời tiết trong thời gian tới, Ủy ban nhân dân {unit} yêu cầu các đơn vị "
     "chủ động rà soát phương án ứng phó, bố trí lực lượng trực ban 24/24 giờ và báo cáo tình hình về Ban Chỉ "
     "huy phòng, chống thiên tai trước ngày {deadline}."),
    ("V/v đề nghị hỗ trợ kinh phí sửa chữa nhà văn hóa thôn",
     "Nhà văn hóa thôn trên địa bàn {unit} được xây dựng đã lâu, nay xuống cấp nghiêm trọng. Ủy ban nhân "
     "dân {unit} kính đề nghị Ủy ban nhân dân {superior} xem xét, hỗ trợ kinh phí sửa chữa để phục vụ "
     "sinh hoạt cộng đồng của nhân dân; hồ sơ dự toán gửi kèm trước ngày {deadline}."),
)


def _cong_van(rng: random.Random, province: Province, issued: date | None = None) -> Content:
    """A công văn (Decree 30 form 1.4): no title; the "V/v" summary stands under the number."""
    issued = issued or _random_date(rng, date(2017, 3, 1), date(2024, 11, 30))
    district = rng.choice(province.districts)
    commune = rng.choice(district.communes)
    district_level = rng.random() < 0.5
    unit = f"{district.kind} {district.name}" if district_level else f"{commune[0]} {commune[1]}"
    superior = f"{province.kind} {province.name}" if district_level else f"{district.kind} {district.name}"
    summary_t, body_t = rng.choice(_CV_TOPICS)
    deadline = issued + timedelta(days=rng.randrange(7, 30))
    words = {"year": issued.year, "unit": unit, "superior": superior, "deadline": dmy(deadline)}
    recipient = (f"Ủy ban nhân dân các xã, thị trấn thuộc {district.kind}" if district_level
                 else f"Trưởng các thôn, tổ dân phố thuộc {unit}")
    body = [
        Paragraph(body_t.format(**words), space_before=30),
        Paragraph(f"Đề nghị {recipient.split(' thuộc ')[0].lower()} quan tâm, phối hợp thực hiện./."),
    ]
    signer_lines, signer_name = _signer(rng, "CHỦ TỊCH", "PHÓ CHỦ TỊCH", "ỦY BAN NHÂN DÂN")
    number = f"{rng.randrange(10, 3900)}/UBND-VP" if district_level else f"{rng.randrange(5, 900)}/UBND"
    content = Content(
        header_left=("ỦY BAN NHÂN DÂN", _upper(unit)), header_left_bold_first=True, number=number,
        place=district.name if district_level else commune[1], issued=issued, title=None,
        summary=summary_t.format(**words), body=body, signer_lines=signer_lines, signer_name=signer_name,
        recipients=("- Như trên;", f"- UBND {superior} (b/c);", "- Lưu: VT."),
        seal_text=_upper(f"ỦY BAN NHÂN DÂN {unit} * {superior} *"), recipient_line=f"Kính gửi: {recipient}.",
    )
    content.fields = _base_fields(content)
    return content


_BUILDERS = {
    "cong_van": _cong_van,
    "quyet_dinh": _quyet_dinh,
    "giay_chung_nhan_ho_kinh_doanh": _ho_kinh_doanh,
    "xac_nhan_tinh_trang_hon_nhan": _hon_nhan,
    "giay_phep_xay_dung": _xay_dung,
    "trich_luc_khai_sinh": _khai_sinh,
}


def make_content(document_type: str, rng: random.Random, province: str = "Khánh Hòa",
                 issued: date | None = None) -> Content:
    """The text of one document of `document_type` issued in `province` (on `issued`, else a date the
    seed picks)."""
    if document_type not in _BUILDERS:
        raise ValueError(f"unknown document type {document_type!r}; known: {', '.join(_BUILDERS)}")
    if province not in PROVINCES:
        raise ValueError(f"no sample data for province {province!r}; known: {', '.join(PROVINCES)}")
    return _BUILDERS[document_type](rng, PROVINCES[province], issued)


# Signature blocks by authority (Decree 30 Art. 13): which lines stand above the signer's name.
_AUTHORITY = {  # level -> style -> lines
    "district": {"tm": ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), "kt": ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
                 "tl": ("TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"), "tuq": ("TUQ. CHỦ TỊCH", "TRƯỞNG PHÒNG TƯ PHÁP"),
                 "q": ("Q. CHỦ TỊCH",)},
    "commune": {"tm": ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), "kt": ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
                "tl": ("TL. CHỦ TỊCH", "CÔNG CHỨC VĂN PHÒNG - THỐNG KÊ"),
                "tuq": ("TUQ. CHỦ TỊCH", "CÔNG CHỨC TƯ PHÁP - HỘ TỊCH"), "q": ("Q. CHỦ TỊCH",)},
    "office": {"tm": ("TRƯỞNG PHÒNG",), "kt": ("KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"),
               "tl": ("KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"), "tuq": ("Q. TRƯỞNG PHÒNG",), "q": ("Q. TRƯỞNG PHÒNG",)},
}
# The printed label before the holder's name, per type (what a family's wording replaces).
_HOLDER_LABEL = {"quyet_dinh": "- Họ và tên:", "giay_chung_nhan_ho_kinh_doanh": "Họ và tên:",
                 "xac_nhan_tinh_trang_hon_nhan": "Họ, chữ đệm, tên:", "giay_phep_xay_dung": "1. Cấp cho:"}


def _header_variant(lines: tuple[str, ...], count: int, superior: str) -> tuple[str, ...]:
    """The issuing body on `count` lines, superior body first when there are three."""
    body = " ".join(lines)
    if count == 1:
        # One line only when it fits the column at the usual size; a body under a superior keeps both.
        return (body,) if len(body) <= 28 and not lines[0].startswith("UBND ") else lines
    if count == 3:
        if lines[0].startswith("UBND "):  # "UBND HUYỆN X" / "PHÒNG TÀI CHÍNH -" / "KẾ HOẠCH"
            name = lines[1]
            cut = name.find(" - ")
            words = name.split()
            head, tail = (name[:cut + 2], name[cut + 3:]) if cut > 0 else \
                (" ".join(words[:len(words) // 2]), " ".join(words[len(words) // 2:]))
            return lines[0], head, tail
        return (_upper(f"UBND {superior}"), *lines)
    return lines


# Central and provincial issuers (Family.issuers): ministries with one agency each, provincial departments.
_MINISTRIES = (("BỘ TƯ PHÁP", "BTP", "CỤC HỘ TỊCH, QUỐC TỊCH, CHỨNG THỰC", "HTQTCT"),
               ("BỘ XÂY DỰNG", "BXD", "CỤC KINH TẾ XÂY DỰNG", "KTXD"),
               ("BỘ NỘI VỤ", "BNV", "CỤC VIỆC LÀM", "CVL"),
               ("BỘ TÀI CHÍNH", "BTC", "CỤC THUẾ", "CT"),
               ("BỘ Y TẾ", "BYT", "CỤC AN TOÀN THỰC PHẨM", "ATTP"))
_DEPARTMENTS = (("SỞ TƯ PHÁP", "STP"), ("SỞ XÂY DỰNG", "SXD"), ("SỞ NỘI VỤ", "SNV"), ("SỞ TÀI CHÍNH", "STC"),
                ("SỞ Y TẾ", "SYT"), ("SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "SNNMT"))


def _reissue(content: Content, document_type: str, issuer: str, rng: random.Random, province: Province) -> None:
    """The decision or công văn issued by a ministry, its agency, a provincial department or the
    provincial People's Committee: header, the decider's line, number, place, authority block, list."""
    ministry, m_code, agency, a_code = rng.choice(_MINISTRIES)
    n = rng.randrange(8, 3200)
    province_name = _upper(f"{province.kind} {province.name}")
    if issuer == "ministry":
        header: tuple[str, ...] = (ministry,)
        decider, place, code = f"BỘ TRƯỞNG {ministry}", "Hà Nội", m_code
        blocks: tuple[tuple[str, ...], ...] = (("KT. BỘ TRƯỞNG", "THỨ TRƯỞNG"), ("BỘ TRƯỞNG",))
        informed = "- Bộ trưởng (để b/c);"
        addressee = "Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương"
    elif issuer == "agency":
        header, decider, place, code = (ministry, agency), f"CỤC TRƯỞNG {agency}", "Hà Nội", a_code
        blocks = (("KT. CỤC TRƯỞNG", "PHÓ CỤC TRƯỞNG"), ("CỤC TRƯỞNG",))
        informed = "- Bộ trưởng (để b/c);"
        addressee = "Sở Tư pháp các tỉnh, thành phố trực thuộc Trung ương"
    elif issuer == "department":
        department, code = rng.choice(_DEPARTMENTS)
        header, decider, place = (f"UBND {province_name}", department), f"GIÁM ĐỐC {department}", province.name
        blocks = (("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"), ("GIÁM ĐỐC",))
        informed = f"- UBND {province.kind} (b/c);"
        addressee = f"Ủy ban nhân dân các huyện, thị xã, thành phố thuộc {province.kind}"
    else:  # the provincial People's Committee
        header, decider, place, code = ("ỦY BAN NHÂN DÂN", province_name), f"ỦY BAN NHÂN DÂN {province_name}",             province.name, "UBND"
        blocks = (("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"))
        informed = f"- TT HĐND {province.kind} (b/c);"
        addressee = f"Các sở, ban, ngành thuộc {province.kind}"
    office = rng.choice(("VP", "KT", "PC", "KHTC"))
    if document_type == "quyet_dinh":
        year = f"{content.issued.year}/" if issuer == "province" and rng.random() < 0.5 else ""
        content.number = f"{n}/{year}QĐ-{code}"
        first = content.body[0]
        content.body[0] = Paragraph(decider, align=first.align, style=first.style, indent=first.indent,
                                    space_before=first.space_before)
        content.recipients = ("- Như Điều 3;", informed, f"- Lưu: VT, {office}.")
    else:
        content.number = f"{n}/{code}-{office}"
        content.recipient_line = f"Kính gửi: {addressee}."
        content.recipients = ("- Như trên;", informed, f"- Lưu: VT, {office}.")
    content.header_left = header
    content.header_left_bold_first = len(header) == 1 or header[0] == "ỦY BAN NHÂN DÂN"
    content.place = place
    content.signer_lines = rng.choice(blocks)
    content.seal_text = f"{header[-1]} * {province_name if issuer in ('department', 'province') else 'VIỆT NAM'} *"
    content.fields.update(document_number=content.number, issue_place=place,
                          issuing_authority=" ".join(header))


def apply_family(content: Content, document_type: str, family: Family, rng: random.Random,
                 province: Province) -> Content:
    """The classic content re-worded and re-laid the way `family` does it. `rng` is the family's own
    generator: the classic content (names, dates, numbers) is the same for one seed in every family."""
    if family.name == "classic":
        return content
    content.face = family.face
    fields = content.fields
    header = " ".join(content.header_left)
    district = next((d for d in province.districts if _upper(f"{d.kind} {d.name}") in header), None)
    level = "office" if document_type == "giay_chung_nhan_ho_kinh_doanh" else "district" if district else "commune"
    if district is None:  # a commune's header: its district is the superior body
        district = next((d for d in province.districts for k, n in d.communes
                         if _upper(f"{k} {n}") == content.header_left[-1]), province.districts[0])
        superior = f"{district.kind} {district.name}"
    else:
        superior = f"{province.kind} {province.name}"
    if family.header_lines:
        count = rng.choice(family.header_lines)
        content.header_left = _header_variant(content.header_left, count, superior)
        fields["issuing_authority"] = " ".join(content.header_left)
    if family.preamble and document_type == "quyet_dinh":
        first = content.body[0]
        content.body[0] = Paragraph(f"CHỦ TỊCH {first.text}", align=first.align, style=first.style,
                                    indent=first.indent, space_before=first.space_before)
        # The chairman decides in person: no "TM." line above the authority.
        style = rng.choice(family.signer_styles or ("kt",))
        lines = {"kt": ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), "q": ("Q. CHỦ TỊCH",)}.get(style, ("CHỦ TỊCH",))
        content.signer_lines = lines
    elif family.signer_styles:
        content.signer_lines = _AUTHORITY[level][rng.choice(family.signer_styles)]
    if family.issuers and document_type in ("quyet_dinh", "cong_van"):
        _reissue(content, document_type, rng.choice(family.issuers), rng, province)
    if family.summary_width and content.title is not None and content.summary:
        # The subject with its place, and on some a second clause: a summary of two to four lines, as
        # real decisions have; some state what is decided without "Về việc" ("Phê duyệt …").
        where = ", ".join((fields.get("holder_address") or "").split(", ")[-3:])
        summary = f"{content.summary} tại {where}" if where else content.summary
        style = rng.choice(("place", "clause", "bare"))
        if style == "clause":
            summary += "; giao nhiệm vụ tổ chức thực hiện cho các cơ quan, đơn vị có liên quan thuộc phạm vi quản lý"
        elif style == "bare" and summary.startswith("Về việc "):
            rest = summary[len("Về việc "):]
            summary = rest[:1].upper() + rest[1:]
        content.summary = summary
        content.summary_width = family.summary_width
        fields["summary"] = content.summary
    elif family.summary_width and content.title is None and content.summary and rng.random() < 0.5:
        # A công văn's "V/v" on three or four lines of the left column.
        content.summary += " và báo cáo kết quả thực hiện về cơ quan chủ trì theo quy định"
        fields["summary"] = content.summary
    if family.date_styles:
        content.date_style = rng.choice(family.date_styles)
    if family.body_points:
        content.body_points = rng.choice(family.body_points)
    content.line_spacing = family.line_spacing
    fields["signer_title"] = content.signer_lines[-1]
    old = _HOLDER_LABEL.get(document_type)
    if family.holder_labels and old:
        labels = [w for w in family.holder_labels
                  if w != "Chủ hộ kinh doanh" or document_type == "giay_chung_nhan_ho_kinh_doanh"]
        label = rng.choice(labels)
        new = {"quyet_dinh": f"- {label}:", "giay_phep_xay_dung": f"1. Cấp cho {label.lower()}:"}.get(
            document_type, f"{label}:")
        for i, p in enumerate(content.body):
            if p.text.startswith(old):
                content.body[i] = Paragraph(new + p.text[len(old):], align=p.align, style=p.style, lead=p.lead,
                                            indent=p.indent, size=p.size, space_before=p.space_before)
                break
    content.handwritten = rng.random() < family.handwritten
    if rng.random() < family.incoming_stamp:
        received = content.issued + timedelta(days=rng.randrange(1, 9))
        content.incoming = (str(rng.randrange(1, 2400)), received)
    return content
