"""Printed labels the readers look for, as patterns on folded text (core.text.fold): the recipient
list's "Nơi nhận:" and "Kính gửi:", the number's "Số:", the motto, the signer's marks and titles.

One home for each: the extractor (ocr.extract), the list reader (ocr.recipient_list) and the
second readings (ocr.signer_lines) find a label the same way."""

from __future__ import annotations

import re

# Folded "Nơi nhận", with OCR slack. Its first letter misread ("Với nhận:", "Xới nhận:" in a serif
# face whose "N" has thin joins) is taken only with the colon after it: a body line starting "Mọi
# nhân …" is no label. One home: the extractor and the signer lines' re-reading match the label so.
NOI_NHAN = r"(?:n\s?[o0]i\s?nh[a-z]{1,2}n\b|[a-z]{1,2}[o0]i\s?nh[a-z]{1,2}n(?=\s*[:;]))"
NOI_NHAN_LABEL = re.compile(r"^\W*" + NOI_NHAN)


LIST_LABEL = re.compile(r"^\s*(?:(?P<noi>" + NOI_NHAN + r")|kinh gui)\s*[:;.]?")


# "Số:" with OCR slack; either a colon or a digit must follow (a handwritten number may be garbage).
NUMBER_LABEL = re.compile(r"^\s*(?:s\s?[o0ô6óơ]|so|s6)\s*(?:[:;]\s*|[.,]?\s*(?=\d|[o0il]\d))")
# The same label where the number is written by hand into a printed blank: the colon may be lost in
# the blank's dots ("SỐ... 94.../GPXD"), and the number itself may be unreadable before the symbol.
# Used to find the line to read again (ocr.key_lines), never to take a printed number.
NUMBER_BLANK_LABEL = re.compile(r"^\s*(?:s\s?[o0ô6óơ]|so|s6)\s*(?:[:;]\s*|[.,…]*\s*(?=\d|[o0il]\d|/))")


SIGNER_HINT = re.compile(r"\b(tm|kt|tl|tuq|q)\s?[.,]|^\s*(dai dien|dd)\b|chu tich|giam doc|truong|pho|thu truong|bo truong|"
                          r"^\s*(nguoi trinh|nguoi lap|chuyen vien|lanh dao)\b|"
                          r"chanh van phong|cuc truong|vu truong|tong giam doc|hieu truong")


MOTTO = re.compile(r"\b(cong hoa|doc lap\b)")
# The same two labels as single OCR words (folded), for passes that work on words, not lines: the
# number label's "Số"/"Số:" word, and the motto column's first words ("CỘNG HÒA …", "Độc lập …").
NUMBER_WORD = re.compile(r"^s[o0]\b|^so:?$")
MOTTO_FIRST_WORDS = frozenset({"cong", "doc"})


# The label of each list, folded; "Nơi nhận" also as Tesseract reads it under a seal or at low
# resolution ("Nơi nhộn:", "Noi nhân:").
RECIPIENT_LABELS = (("kinh gui", r"kinh gui"), ("noi nhan", NOI_NHAN))


# "<place>, ngày … tháng … năm yyyy" with OCR slack (the day is often unreadable): a comma early on,
# then "tháng" and a four-digit year.
DATE_LINE = re.compile(r"^[^,]{2,40},.*th\s?[a-z]{1,3}\s?n?g.*n\s?[a-z]{1,2}m?\s*[0-9oil|]{4}\b")
