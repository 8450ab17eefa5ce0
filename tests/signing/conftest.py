"""Signing fixtures: one test PKI per session (keys are slow to make), one signed sample."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from signing import ConversionMarker, KeySource, SignedResult, sign_result
from signing.pki import TestPki, make_test_pki
from signing.pki_server import TestPkiServer

CONVERTER = "Trung tâm Phục vụ hành chính công tỉnh Khánh Hòa"
RESULT_CODE = "000.00.15.H56-200512-0001-KQ1"
# 07:05 UTC is 14:05 in Vietnam (UTC+7): the marker must show Vietnam time.
CONVERTED_AT = datetime(2026, 11, 22, 7, 5, tzinfo=UTC)
SCAN_DPI = 100
SCAN_SIZE = (827, 1169)  # A4 at 100 dpi


@dataclass(frozen=True)
class Signed:
    path: Path
    result: SignedResult
    scan: Image.Image
    marker: ConversionMarker


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return make_test_pki(tmp_path_factory.mktemp("pki"), converter=CONVERTER, expired=True)


@pytest.fixture(scope="session")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return make_test_pki(tmp_path_factory.mktemp("other-pki"), converter=CONVERTER)


@pytest.fixture(scope="session")
def key(pki: TestPki) -> KeySource:
    return KeySource.from_pkcs12(pki.agency_p12, pki.password)


def make_scan(size: tuple[int, int] = SCAN_SIZE, seed: int = 0) -> Image.Image:
    """A synthetic scan with large flat regions (robust to JPEG) and a dark frame at the very bottom."""
    img = Image.new("RGB", size, (250, 248, 240))
    d = ImageDraw.Draw(img)
    w, h = size
    d.rectangle((40, 40, w - 40, 160), fill=(200, 30, 30))
    d.rectangle((40, 200 + seed * 10, w // 2, 600), fill=(20, 20, 20))
    d.rectangle((w // 2 + 20, 200, w - 40, 600), fill=(30, 60, 200))
    d.rectangle((0, h - 30, w, h), fill=(0, 0, 0))  # touches the bottom edge: must not be covered
    return img


@pytest.fixture(scope="session")
def marker() -> ConversionMarker:
    return ConversionMarker(converter=CONVERTER, converted_at=CONVERTED_AT, result_code=RESULT_CODE,
                            lookup_url=f"https://dichvucong.khanhhoa.gov.vn/tra-cuu/{RESULT_CODE}")


@pytest.fixture(scope="session")
def signed(tmp_path_factory: pytest.TempPathFactory, key: KeySource, marker: ConversionMarker) -> Signed:
    scan = make_scan()
    result = sign_result([scan], marker, key, dpi=SCAN_DPI)
    path = tmp_path_factory.mktemp("signed") / "result.pdf"
    path.write_bytes(result.pdf)
    return Signed(path, result, scan, marker)


@dataclass(frozen=True)
class OnlinePki:
    """A PKI whose certificates point to a live TSA / OCSP responder / CRL on 127.0.0.1."""

    pki: TestPki
    server: TestPkiServer


@pytest.fixture(scope="session")
def online_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OnlinePki]:
    server = TestPkiServer()  # bound first: its URL goes into the certificates
    pki = make_test_pki(tmp_path_factory.mktemp("online-pki"), converter=CONVERTER, services_url=server.url)
    server.attach(pki)
    with server:
        yield OnlinePki(pki, server)


@pytest.fixture
def services_up(online_pki: OnlinePki) -> Iterator[TestPkiServer]:
    online_pki.server.set_down(False)
    yield online_pki.server
    online_pki.server.set_down(False)
