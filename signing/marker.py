"""The conversion marker (dấu hiệu nhận biết) carried by every converted result.

Decree 45/2020 Art. 25.3.c and Decree 137/2024 Art. 4.1.a: the electronic version states, in
words, that it was converted from a paper document, the time of conversion and the full name of
the agency, organisation or person who converted it; Art. 4.1.c allows a QR code holding the same
information.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from core.text import nfc

STATEMENT = "Bản điện tử được chuyển đổi từ văn bản giấy"
TIME_LABEL = "Thời gian chuyển đổi"
CONVERTER_LABEL = "Đơn vị chuyển đổi"
RESULT_CODE_LABEL = "Mã kết quả"
# A corrected version names the result it replaces (Decree 45 Art. 15; the old one stays, superseded).
SUPERSEDES_LABEL = "Thay thế kết quả"


def vietnam_tz() -> tzinfo:
    """Asia/Ho_Chi_Minh; Vietnam has kept UTC+7 without DST since 1975, so a fixed offset is exact."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Ho_Chi_Minh")
    except Exception:  # no tz database on the machine
        return timezone(timedelta(hours=7), "ICT")


@dataclass(frozen=True)
class ConversionMarker:
    converter: str  # full name, never an abbreviation (Decree 137 Art. 4.1.a)
    converted_at: datetime  # aware
    result_code: str | None = None  # "<mã hồ sơ>-KQ<n>" (Decree 45 Art. 14.3.d)
    lookup_url: str | None = None
    supersedes: str | None = None  # result code of the version this one replaces

    def __post_init__(self) -> None:
        if not self.converter or not self.converter.strip():
            raise ValueError("converter must be the full name of the converting agency or person")
        if self.converted_at.tzinfo is None or self.converted_at.utcoffset() is None:
            raise ValueError("converted_at must be timezone-aware")
        object.__setattr__(self, "converter", nfc(self.converter.strip()))

    @property
    def local_time(self) -> datetime:
        # Rendered in Vietnam time, never the machine's time zone (UTC on servers).
        return self.converted_at.astimezone(vietnam_tz())

    def time_text(self) -> str:
        t = self.local_time
        return f"{t:%H:%M} ngày {t:%d/%m/%Y}"

    def lines(self) -> list[str]:
        out = [STATEMENT, f"{TIME_LABEL}: {self.time_text()}", f"{CONVERTER_LABEL}: {self.converter}"]
        if self.result_code:
            out.append(f"{RESULT_CODE_LABEL}: {self.result_code}")
        if self.supersedes:
            out.append(f"{SUPERSEDES_LABEL}: {self.supersedes}")
        return out

    def qr_payload(self) -> str:
        """Decree 137 Art. 4.1.c: the same information, machine-readable, plus the look-up address."""
        data: dict[str, str] = {
            "marker": STATEMENT,
            "converted_at": self.local_time.isoformat(timespec="seconds"),
            "converter": self.converter,
        }
        if self.result_code:
            data["result_code"] = self.result_code
        if self.supersedes:
            data["supersedes"] = self.supersedes
        if self.lookup_url:
            data["lookup_url"] = self.lookup_url
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def utcnow() -> datetime:
    return datetime.now(UTC)
