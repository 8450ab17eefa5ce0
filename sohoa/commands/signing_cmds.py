"""Signing sub-commands: sign, verify, pki init (Decree 45 Art. 25.3.b-c, Art. 14.3.c)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sohoa.exitcodes import ExitCode

DEFAULT_DPI = 300  # assumed when an image carries no resolution
PDF_RASTER_DPI = 200


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("sign", help="ký số bản chuyển đổi có dấu hiệu nhận biết / sign a converted result")
    p.add_argument("input", type=Path, metavar="IN", help="scan: PNG, JPEG, TIFF or PDF")
    p.add_argument("--out", type=Path, required=True, help="signed PDF to write")
    p.add_argument("--pkcs12", type=Path, required=True, help="converter's key and certificate (.p12)")
    p.add_argument("--password-env", metavar="VAR", default=None,
                   help="name of the environment variable holding the PKCS#12 password")
    p.add_argument("--converter", required=True, help="full name of the converting agency or person")
    p.add_argument("--result-code", default=None, help="<mã hồ sơ>-KQ<n>")
    p.add_argument("--lookup-url", default=None)
    p.add_argument("--dpi", type=int, default=None, help=f"scan resolution if the image has none ({DEFAULT_DPI})")
    p.set_defaults(func=_sign)

    p = sub.add_parser("verify", help="kiểm tra chữ ký và dấu hiệu / verify signature and marker")
    p.add_argument("file", type=Path, metavar="FILE.pdf")
    p.add_argument("--trust", type=Path, action="append", default=[], metavar="ROOT.pem",
                   help="trusted root certificate (repeatable); without it only integrity is checked")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_verify)

    p = sub.add_parser("pki", help="chứng thư số thử nghiệm / test and demo PKI")
    pki_sub = p.add_subparsers(dest="pki_command", metavar="ACTION", required=True)
    q = pki_sub.add_parser("init", help="create (or reuse) a test root and the converter's PKCS#12")
    q.add_argument("dir", type=Path)
    q.add_argument("--converter", required=True, help="full name of the converting agency")
    q.add_argument("--expired", action="store_true", help="also create an expired certificate (for tests)")
    q.set_defaults(func=_pki_init)


def _err(vi: str, en: str) -> None:
    print(f"Lỗi: {vi}\nError: {en}", file=sys.stderr)


def _load_pages(path: Path, tmp: Path, dpi_override: int | None) -> tuple[list, list[int]]:  # type: ignore[type-arg]
    """Pages and their resolutions; a PDF is rasterised with pdftoppm (the scan is what gets signed)."""
    from PIL import Image, ImageSequence

    from signing._exec import pdftoppm_jpeg

    with path.open("rb") as fh:
        head = fh.read(5)
    if head.startswith(b"%PDF"):
        pages = pdftoppm_jpeg(path, tmp, dpi=PDF_RASTER_DPI)
        return pages, [PDF_RASTER_DPI] * len(pages)
    images, dpis = [], []
    with Image.open(path) as img:
        for frame in ImageSequence.Iterator(img):
            frame.load()
            images.append(frame.copy())
            dpi = frame.info.get("dpi") or img.info.get("dpi")
            value = dpi_override or (round(float(dpi[0])) if dpi and float(dpi[0]) >= 50 else DEFAULT_DPI)
            dpis.append(int(value))
    return images, dpis


def _sign(args: argparse.Namespace) -> int:
    import signing
    from signing._exec import ToolFailed

    password: bytes | None = None
    if args.password_env:
        value = os.environ.get(args.password_env)
        if value is None:
            _err(f"biến môi trường {args.password_env} (mật khẩu khóa) chưa được đặt",
                 f"environment variable {args.password_env} (key password) is not set")
            return ExitCode.KEY_ERROR
        password = value.encode()
    converted_at = datetime.now(UTC)
    try:
        key = signing.KeySource.from_pkcs12(args.pkcs12, password)
        key.check_fit_for(args.converter, converted_at)
    except signing.SigningKeyError as exc:
        # The reason is already bilingual.
        print(f"Lỗi / Error: khóa ký bị từ chối / signing key refused: {args.pkcs12}: {exc.reason}",
              file=sys.stderr)
        return ExitCode.KEY_ERROR

    if not args.input.is_file():
        _err(f"không đọc được tệp đầu vào {args.input}", f"cannot read input {args.input}: not a file")
        return ExitCode.BAD_INPUT
    marker = signing.ConversionMarker(converter=args.converter, converted_at=converted_at,
                                      result_code=args.result_code, lookup_url=args.lookup_url)
    with tempfile.TemporaryDirectory(prefix="sohoa-sign-") as tmp:
        try:
            pages, dpis = _load_pages(args.input, Path(tmp), args.dpi)
        except ToolFailed as exc:
            if exc.exit_code is None:
                _err(f"công cụ ngoài lỗi: {exc}", f"external tool failed: {exc}")
                return ExitCode.EXTERNAL_TOOL_FAILED
            _err(f"không đọc được PDF {args.input}: {exc.detail}", f"unreadable PDF {args.input}: {exc.detail}")
            return ExitCode.BAD_INPUT
        except Exception as exc:  # PIL: unknown format, truncated, decompression bomb
            _err(f"không đọc được ảnh {args.input}: {exc}", f"unreadable image {args.input}: {exc}")
            return ExitCode.BAD_INPUT
        try:
            result = signing.sign_result(pages, marker, key, dpi=dpis)
        except OSError as exc:  # a truncated image that only fails on decode
            _err(f"không đọc được ảnh {args.input}: {exc}", f"unreadable image {args.input}: {exc}")
            return ExitCode.BAD_INPUT
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_name(args.out.name + ".part")
    tmp_out.write_bytes(result.pdf)
    tmp_out.replace(args.out)
    print(f"Đã ký / signed: {args.out}")
    print(f"  Người ký / signer: {result.signer}")
    print(f"  SHA-256: {result.sha256}")
    print(f"  Số trang / pages: {len(pages)}")
    for line in marker.lines():
        print(f"  {line}")
    return ExitCode.OK


def _verify(args: argparse.Namespace) -> int:
    import signing
    from signing.marker import vietnam_tz

    if not args.file.is_file():
        _err(f"không đọc được tệp {args.file}", f"cannot read {args.file}: not a file")
        return ExitCode.BAD_INPUT
    for root in args.trust:
        if not root.is_file():
            _err(f"không đọc được chứng thư gốc {root}", f"cannot read trust root {root}")
            return ExitCode.BAD_INPUT
    report = signing.verify_pdf(args.file, trust_roots=args.trust)
    if args.format == "json":
        print(report.to_json())
    else:
        print(f"Tệp / file: {args.file}")
        print(f"Kết quả / status: {report.status.upper()}")
        print(f"Người ký / signer: {report.signer or '-'}")
        if report.signing_time:
            local = report.signing_time.astimezone(vietnam_tz())
            print(f"Thời điểm ký / signing time: {local:%H:%M:%S ngày %d/%m/%Y} (UTC+7)")
        else:
            print("Thời điểm ký / signing time: -")
        print(f"Mức sửa đổi sau ký / modification level: {report.modification_level or '-'}")
        print("Dấu hiệu chuyển đổi / conversion marker:")
        for line in report.marker_lines or ["(không có / none found)"]:
            print(f"  {line}")
        print("Kiểm tra / checks:")
        for check in report.checks:
            print(f"  {check.checker}: {check.status.upper()} — {check.detail}")
        for note in report.notes:
            print(f"Ghi chú / note: {note}")
    return ExitCode.OK if report.status is signing.SignatureStatus.VALID else ExitCode.INVALID_SIGNATURE


def _pki_init(args: argparse.Namespace) -> int:
    from signing.pki import make_test_pki

    pki = make_test_pki(args.dir, converter=args.converter, expired=args.expired)
    print("Chứng thư số THỬ NGHIỆM (không dùng cho sản xuất) / TEST PKI (not for production)")
    print(f"  root certificate: {pki.root_cert_pem}")
    print(f"  agency PKCS#12:   {pki.agency_p12}")
    print(f"  agency cert:      {pki.agency_cert_pem}")
    if pki.expired_p12:
        print(f"  expired PKCS#12:  {pki.expired_p12}")
    print(f"  password file:    {Path(args.dir) / 'password.txt'}")
    return ExitCode.OK
