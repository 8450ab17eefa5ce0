"""Signing figures (printed, never asserted): documents per second at B-B, B-T against a TSA,
B-LT, and the size the PDF/A-3b parts and the fields.json attachment add.

    python -m signing.bench [--n 20]

Makes its own test PKI and serves its TSA/OCSP on 127.0.0.1 (signing.pki_server), one process.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageDraw

CONVERTER = "Trung tâm Phục vụ hành chính công tỉnh Khánh Hòa"


def sample_scan(size: tuple[int, int] = (1654, 2339)) -> Image.Image:
    """An A4 page at 200 dpi with text-like strokes (JPEG size close to a real scan's)."""
    img = Image.new("RGB", size, (250, 248, 240))
    d = ImageDraw.Draw(img)
    for row in range(120, size[1] - 200, 38):
        for col in range(120, size[0] - 160, 90):
            d.rectangle((col, row, col + 60 + (row * col) % 23, row + 14), fill=(30, 30, 30))
    d.ellipse((1100, 1900, 1450, 2250), outline=(200, 30, 30), width=12)
    return img


def _rate(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up: fonts, imports, TLS-less HTTP connection set-up
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def measure(n: int = 20) -> dict[str, float]:
    from signing import ConversionMarker, KeySource, SigningOptions, sign_pdf, sign_result
    from signing._assemble import _binary_streams, _render
    from signing.pki import make_test_pki
    from signing.pki_server import TestPkiServer

    scan = sample_scan()
    fields = json.dumps({"result_code": "000.00.15.H34-200512-0001-KQ1", "document_type": "quyet_dinh",
                         "fields": {"document_number": "1234/QĐ-UBND", "signer_name": "Nguyễn Văn A",
                                    "issue_date": "2020-05-12"}}, ensure_ascii=False, indent=1).encode()
    marker = ConversionMarker(CONVERTER, datetime.now(UTC), "000.00.15.H34-200512-0001-KQ1",
                              "https://dichvucong.gov.vn/tra-cuu/000.00.15.H34-200512-0001-KQ1")
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-") as tmp, TestPkiServer() as server:
        pki = make_test_pki(Path(tmp) / "pki", converter=CONVERTER, services_url=server.url)
        server.attach(pki)
        plain = KeySource.from_pkcs12(make_test_pki(Path(tmp) / "plain", converter=CONVERTER).agency_p12,
                                      make_test_pki(Path(tmp) / "plain", converter=CONVERTER).password)
        online = KeySource.from_pkcs12(pki.agency_p12, pki.password)
        figures["b_b_docs_per_s"] = _rate(lambda: sign_result([scan], marker, plain, dpi=200,
                                                              attachments={"fields.json": fields}), n)
        bt = SigningOptions(tsa_url=pki.tsa_url, revocation=False)
        figures["b_t_docs_per_s"] = _rate(lambda: sign_result([scan], marker, plain, dpi=200,
                                                              attachments={"fields.json": fields}, options=bt), n)
        lt = SigningOptions(tsa_url=pki.tsa_url)
        figures["b_lt_docs_per_s"] = _rate(lambda: sign_result([scan], marker, online, dpi=200,
                                                               attachments={"fields.json": fields}, options=lt), n)

        # Size: the same page signed as before (reportlab output, no PDF/A parts, no attachment) vs now.
        with _binary_streams():
            bare = _render([scan], marker, [200], None)
        before = len(sign_pdf(bare, plain))
        now = len(sign_result([scan], marker, plain, dpi=200, attachments={"fields.json": fields}).pdf)
        figures["size_before_bytes"] = before
        figures["size_pdfa_with_fields_bytes"] = now
        figures["size_overhead_bytes"] = now - before
        figures["size_overhead_pct"] = 100.0 * (now - before) / before
        figures["size_b_lt_bytes"] = len(sign_result([scan], marker, online, dpi=200,
                                                     attachments={"fields.json": fields}, options=lt).pdf)
        buf = io.BytesIO()
        scan.save(buf, "JPEG", quality=85)
        figures["scan_jpeg_bytes"] = len(buf.getvalue())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    for name, value in measure(args.n).items():
        print(f"{name:32s} {value:12.1f}")


if __name__ == "__main__":
    main()
