"""Fixed upper-case phrases of Vietnamese administrative headers and signature blocks.

Tesseract often drops diacritics on bold capitals ("PHONG TÀI CHINH"); a word run whose folded form
equals a known phrase is put back in its printed form. Only phrases that fold unambiguously are listed."""

from __future__ import annotations

import re

from core.text import fold

PHRASES = (
    "ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "PHÒNG TÀI CHÍNH - KẾ HOẠCH", "PHÒNG TÀI CHÍNH", "KẾ HOẠCH", "PHÒNG TƯ PHÁP", "PHÒNG NỘI VỤ",
    "PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG", "PHÒNG KINH TẾ", "PHÒNG VĂN HÓA VÀ THÔNG TIN",
    "SỞ GIÁO DỤC VÀ ĐÀO TẠO", "SỞ TƯ PHÁP", "SỞ NỘI VỤ", "SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "SỞ TÀI CHÍNH",
    "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "SỞ XÂY DỰNG", "SỞ Y TẾ", "LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI",
    "THÀNH PHỐ", "THỊ XÃ", "THỊ TRẤN", "XÃ", "HUYỆN", "TỈNH", "QUẬN", "PHƯỜNG",
    "PHÓ CHỦ TỊCH", "CHỦ TỊCH", "PHÓ GIÁM ĐỐC", "GIÁM ĐỐC", "PHÓ TRƯỞNG PHÒNG", "TRƯỞNG PHÒNG",
    "CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG", "TRƯỞNG BAN", "PHÓ TRƯỞNG BAN", "HIỆU TRƯỞNG",
    "QUYẾT ĐỊNH", "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
    "GIẤY CHỨNG NHẬN", "GIẤY PHÉP", "GIẤY XÁC NHẬN", "CÔNG VĂN", "THÔNG BÁO", "KẾT LUẬN",
    # Ministries, ministry-level and judicial bodies, provincial departments, and their heads' titles:
    # the bodies that issue and sign most central and provincial documents.
    "BỘ CÔNG AN", "BỘ QUỐC PHÒNG", "BỘ NGOẠI GIAO", "BỘ TƯ PHÁP", "BỘ TÀI CHÍNH", "BỘ CÔNG THƯƠNG",
    "BỘ NỘI VỤ", "BỘ Y TẾ", "BỘ GIÁO DỤC VÀ ĐÀO TẠO", "BỘ XÂY DỰNG", "BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG",
    "BỘ KHOA HỌC VÀ CÔNG NGHỆ", "BỘ DÂN TỘC VÀ TÔN GIÁO", "BỘ KẾ HOẠCH VÀ ĐẦU TƯ", "BỘ GIAO THÔNG VẬN TẢI",
    "BỘ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "BỘ THÔNG TIN VÀ TRUYỀN THÔNG", "BỘ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN",
    "VIỆN KIỂM SÁT NHÂN DÂN TỐI CAO", "VIỆN KIỂM SÁT NHÂN DÂN", "TÒA ÁN NHÂN DÂN TỐI CAO", "TÒA ÁN NHÂN DÂN",
    "NGÂN HÀNG NHÀ NƯỚC VIỆT NAM", "THANH TRA CHÍNH PHỦ", "VĂN PHÒNG CHÍNH PHỦ", "SỞ CÔNG THƯƠNG",
    "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "SỞ KHOA HỌC VÀ CÔNG NGHỆ", "SỞ GIAO THÔNG VẬN TẢI", "SỞ DÂN TỘC VÀ TÔN GIÁO",
    "CỤC HÓA CHẤT", "BỘ TRƯỞNG", "TỔNG CỤC TRƯỞNG", "PHÓ CỤC TRƯỞNG", "CỤC TRƯỞNG", "PHÓ VỤ TRƯỞNG", "VỤ TRƯỞNG",
    "PHÓ VIỆN TRƯỞNG", "VIỆN TRƯỞNG", "PHÓ CHÁNH ÁN", "CHÁNH ÁN", "THƯỜNG TRỰC", "ĐẠI DIỆN",
    # Subjects printed in capitals in permits' titles ("GIẤY PHÉP SỬ DỤNG VẬT LIỆU NỔ CÔNG NGHIỆP"),
    # whose one-mark slips ("NÓ" for "NỔ") fold alike; no other tone placement is printed for them.
    "VẬT LIỆU NỔ CÔNG NGHIỆP",
)
# Longest first, so "PHÓ CHỦ TỊCH" wins over "CHỦ TỊCH".
# A dropped hyphen ("TÀI CHÍNH KẾ HOẠCH") still matches.
_BY_LENGTH = sorted([(fold(p).split(), p.split()) for p in PHRASES]
                    + [(fold(p).replace(" - ", " ").split(), p.split()) for p in PHRASES if " - " in p],
                    key=lambda x: -len(x[0]))
SIGNER_TITLES = tuple(p for p in PHRASES if re.search(r"CHỦ TỊCH|GIÁM ĐỐC|TRƯỞNG|CHÁNH", p))


def normalise_upper(text: str, extra: tuple[str, ...] = ()) -> str:
    """Put known phrases (and `extra`, e.g. the place name read from the date line) back in print form."""
    text = re.sub(r"\s*-\s*", " - ", text).strip()
    tokens = text.split()
    folded = [fold(t) for t in tokens]
    table = sorted([(fold(p).split(), p.split()) for p in extra if p] + _BY_LENGTH, key=lambda x: -len(x[0]))
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for key, phrase in table:
            n = len(key)
            if folded[i:i + n] == key:
                out += phrase
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return " ".join(out)


# The commonest Vietnamese family names (over 90% of people). A person's name starts with one of
# them far more often than with the syllable Tesseract confuses it with ("NGUYÊN" for "NGUYỄN").
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
            "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Đoàn", "Lâm", "Mai", "Trương", "Lương", "Tạ", "Cao", "Hà")
_SURNAME_BY_FOLD: dict[str, str] = {}
for _s in SURNAMES:
    _SURNAME_BY_FOLD.setdefault(fold(_s), _s)


def surname_fixed(name: str) -> str:
    """The name with its first word put back as the family name it folds to (case kept)."""
    first, sep, rest = name.partition(" ")
    known = _SURNAME_BY_FOLD.get(fold(first))
    if not known or not sep or first.lower() == known.lower():
        return name
    return (known.upper() if first.isupper() else known) + sep + rest
