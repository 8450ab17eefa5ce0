"""Signing sub-commands: sign, verify, print-copy, pki init (Decree 45 Art. 25.3.b-c, Art. 14.3.c, Art. 18)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.exitcodes import ExitCode

DEFAULT_DPI = 300  # assumed when an image carries no resolution
PDF_RASTER_DPI = 200


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("sign", help="ký số bản chuyển đổi có dấu hiệu nhận biết / sign a converted result")
    p.add_argument("input", type=Path, metavar="IN", help="scan: PNG, JPEG, TIFF or PDF")
    p.add_argument("--out", type=Path, required=True, help="signed PDF to write")
    p.add_argument("--pkcs12", type=Path, default=None,
                   help="converter's key and certificate (.p12); default SOHOA_SIGNING_PKCS12")
    p.add_argument("--password-env", metavar="VAR", default=None,
                   help="name of the environment variable holding the PKCS#12 password")
    p.add_argument("--pkcs11-module", default=None, help="PKCS#11 module (.so); default SOHOA_PKCS11_MODULE")
    p.add_argument("--token-label", default=None, help="PKCS#11 token label; default SOHOA_PKCS11_TOKEN_LABEL")
    p.add_argument("--key-label", default=None, help="key/certificate label on the token; default SOHOA_PKCS11_KEY_LABEL")
    p.add_argument("--pin-env", metavar="VAR", default="SOHOA_PKCS11_PIN",
                   help="environment variable holding the token PIN (default SOHOA_PKCS11_PIN)")
    p.add_argument("--tsa-url", default=None, help="RFC 3161 time-stamping authority (PAdES B-T); default SOHOA_TSA_URL")
    p.add_argument("--converter", default=None, help="full name of the converting agency or person, equal to "
                   "the certificate's O or CN; default SOHOA_CONVERTER_NAME (or the --agency entry's name)")
    p.add_argument("--agency", default=None, metavar="CODE",
                   help="sign as this agency: its key and full name from the agency key file")
    p.add_argument("--keys", type=Path, default=None, metavar="FILE.toml",
                   help="agency key file (agency code -> key); default SOHOA_SIGNING_KEYS")
    p.add_argument("--result-code", default=None, help="<mã hồ sơ>-KQ<n>")
    p.add_argument("--lookup-url", default=None)
    p.add_argument("--fields-json", type=Path, default=None,
                   help="structured data of the result (method b), embedded as fields.json")
    p.add_argument("--dpi", type=int, default=None, help=f"scan resolution if the image has none ({DEFAULT_DPI})")
    p.set_defaults(func=_sign)

    p = sub.add_parser("verify", help="kiểm tra chữ ký và dấu hiệu / verify signature and marker")
    p.add_argument("file", type=Path, metavar="FILE.pdf")
    p.add_argument("--trust", type=Path, action="append", default=[], metavar="ROOT.pem",
                   help="trusted root certificate (repeatable); without it only integrity is checked")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--offline", action="store_true",
                   help="do not contact OCSP responders / CRL servers (embedded revocation data is still used)")
    p.add_argument("--no-registry", action="store_true",
                   help="do not ask the system of record whether the result was revoked or superseded")
    p.set_defaults(func=_verify)

    p = sub.add_parser("print-copy", help="bản in giấy của kết quả điện tử (Điều 18 NĐ 45) / paper print")
    p.add_argument("file", type=Path, metavar="SIGNED.pdf")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="OUT.pdf")
    p.add_argument("--trust", type=Path, action="append", default=[], metavar="ROOT.pem")
    p.add_argument("--unit", default=None, help="unit returning results (form item 1); default SOHOA_CONVERTER_NAME")
    p.add_argument("--system-name", default="Hệ thống thông tin một cửa điện tử",
                   help="information system that provides the copy (Art. 18.2.b)")
    p.add_argument("--address", default=None)
    p.add_argument("--phone", default=None)
    p.add_argument("--lookup-url", default=None,
                   help="look-up base URL; default SOHOA_LOOKUP_URL, else <SOHOA_PUBLIC_URL>/tra-cuu")
    p.add_argument("--no-registry", action="store_true",
                   help="do not ask the system of record whether the result was revoked or superseded")
    p.set_defaults(func=_print_copy)

    p = sub.add_parser("pki", help="chứng thư số thử nghiệm / test and demo PKI")
    pki_sub = p.add_subparsers(dest="pki_command", metavar="ACTION", required=True)
    q = pki_sub.add_parser("init", help="create (or reuse) a test root and the converter's PKCS#12")
    q.add_argument("dir", type=Path)
    q.add_argument("--converter", required=True, help="full name of the converting agency")
    q.add_argument("--expired", action="store_true", help="also create an expired certificate (for tests)")
    q.set_defaults(func=_pki_init)


def _load_pages(path: Path, tmp: Path, dpi_override: int | None) -> tuple[list, list[int]]:  # type: ignore[type-arg]
    """Pages and their resolutions; a PDF is rasterised by poppler's seam (the scan is what gets signed)."""
    from PIL import Image, ImageSequence

    from ocr._exec import poppler

    with path.open("rb") as fh:
        head = fh.read(5)
    if head.startswith(b"%PDF"):
        pages = poppler.render_jpegs(path, tmp, dpi=PDF_RASTER_DPI, file=str(path))
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


def _key_from_args(args: argparse.Namespace, settings):  # type: ignore[no-untyped-def]
    """PKCS#11 when a module is given (flag or setting), else PKCS#12 (flag or setting)."""
    import signing

    module = args.pkcs11_module or (settings.pkcs11_module if args.pkcs12 is None else "")
    if module:
        token = args.token_label or settings.pkcs11_token_label
        label = args.key_label or settings.pkcs11_key_label
        if not token or not label:
            raise signing.SigningKeyError("cần nhãn thiết bị và nhãn khóa / --token-label and --key-label are required")
        pin = os.environ.get(args.pin_env) or settings.pkcs11_pin.get_secret_value() or None
        return signing.KeySource.from_pkcs11(module, token, label, pin)
    p12 = args.pkcs12 or settings.signing_pkcs12
    if p12 is None:
        raise signing.SigningKeyError("chưa có khóa ký / no key: give --pkcs12 or --pkcs11-module "
                                      "(or set SOHOA_SIGNING_PKCS12 / SOHOA_PKCS11_MODULE)")
    if args.password_env:
        value = os.environ.get(args.password_env)
        if value is None:
            raise signing.SigningKeyError(f"biến môi trường {args.password_env} (mật khẩu khóa) chưa được đặt / "
                                          f"environment variable {args.password_env} (key password) is not set")
        password: bytes | None = value.encode()
    else:
        password = settings.signing_password.get_secret_value().encode() or None
    return signing.KeySource.from_pkcs12(Path(p12), password)


def _agency_entry(args: argparse.Namespace, settings):  # type: ignore[no-untyped-def]
    import signing

    path = args.keys or settings.signing_keys
    if path is None:
        raise signing.SigningKeyError("--agency cần tệp khóa theo cơ quan / --agency needs an agency key file: "
                                      "give --keys or set SOHOA_SIGNING_KEYS")
    entries = signing.load_agency_keys(Path(path))
    if args.agency not in entries:
        raise signing.SigningKeyError(f"cơ quan {args.agency} không có trong tệp khóa / agency {args.agency} "
                                      f"is not in the key file", Path(path))
    return entries[args.agency]


def _sign(args: argparse.Namespace) -> int:
    import signing
    from core.errors import BadInput, fault_of
    from core.settings import get_settings

    settings = get_settings()
    converter = args.converter or settings.converter_name
    converted_at = datetime.now(UTC)
    if args.agency:
        entry = _agency_entry(args, settings)
        converter = args.converter or entry.converter
        key = entry.open()
    else:
        key = _key_from_args(args, settings)
    with key, tempfile.TemporaryDirectory(prefix="sohoa-sign-") as tmp:
        key.check_fit_for(converter, converted_at)  # the key is refused before the input is read
        if not args.input.is_file():
            raise BadInput(str(args.input), "không phải tệp đọc được / not a readable file")
        attachments = None
        if args.fields_json is not None:
            with fault_of(args.fields_json, OSError, ValueError, doing="không đọc được dữ liệu có cấu trúc"):
                raw = args.fields_json.read_bytes()
                json.loads(raw)
            attachments = {"fields.json": raw}
        marker = signing.ConversionMarker(converter=converter, converted_at=converted_at,
                                          result_code=args.result_code, lookup_url=args.lookup_url)
        options = signing.SigningOptions(tsa_url=args.tsa_url or settings.tsa_url or None)
        # PIL's many errors for an unknown, truncated or oversized image are all the scan's fault.
        with fault_of(args.input, Exception, doing="không đọc được ảnh"):
            pages, dpis = _load_pages(args.input, Path(tmp), args.dpi)
        with fault_of(args.input, OSError, doing="không đọc được ảnh"):  # a truncated image fails on decode
            result = signing.sign_result(pages, marker, key, dpi=dpis, attachments=attachments, options=options)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_name(args.out.name + ".part")
    tmp_out.write_bytes(result.pdf)
    tmp_out.replace(args.out)
    print(f"Đã ký / signed: {args.out}")
    print(f"  Người ký / signer: {result.signer}")
    print(f"  Mức chữ ký / level: {result.level}")
    print(f"  Tình trạng thu hồi / revocation: {result.revocation}")
    print(f"  SHA-256: {result.sha256}")
    print(f"  Số trang / pages: {len(pages)}")
    for line in marker.lines():
        print(f"  {line}")
    for note in result.notes:
        print(f"Ghi chú / note: {note}")
    return ExitCode.OK


def _verify(args: argparse.Namespace) -> int:
    import signing
    from core.errors import BadInput
    from signing.marker import vietnam_tz

    if not args.file.is_file():
        raise BadInput(str(args.file), "không phải tệp đọc được / not a readable file")
    for root in args.trust:
        if not root.is_file():
            raise BadInput(str(root), "không đọc được chứng thư gốc / cannot read the trust root")
    report = signing.verify_pdf(args.file, trust_roots=args.trust, fetch_revocation=not args.offline)
    code = report.marker_fields.get("result_code")
    standing = None if args.no_registry or not code else registry_state(code)
    if args.format == "json":
        data = json.loads(report.to_json())
        data["result_state"] = standing.to_dict() if standing else None
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(f"Tệp / file: {args.file}")
        print(f"Kết quả / status: {report.status.upper()}")
        print(f"Người ký / signer: {report.signer or '-'}")
        if report.signing_time:
            local = report.signing_time.astimezone(vietnam_tz())
            print(f"Thời điểm ký / signing time: {local:%H:%M:%S ngày %d/%m/%Y} (UTC+7)")
        else:
            print("Thời điểm ký / signing time: -")
        print(f"Mức chữ ký / level: {report.level or '-'}")
        if report.timestamp_time:
            local = report.timestamp_time.astimezone(vietnam_tz())
            ok = "hợp lệ / valid" if report.timestamp_ok else "KHÔNG hợp lệ / NOT valid"
            print(f"Dấu thời gian / timestamp: {local:%H:%M:%S ngày %d/%m/%Y} (UTC+7), "
                  f"{report.timestamp_authority or '?'}, {ok}")
        else:
            print("Dấu thời gian / timestamp: - (không có / none)")
        print(f"Thông tin thu hồi nhúng / embedded revocation info: {'có / yes' if report.revocation_embedded else 'không / no'}")
        print(f"Mức sửa đổi sau ký / modification level: {report.modification_level or '-'}")
        pdfa = "không kiểm tra / not checked" if report.pdfa_problems is None else (
            "đạt / ok" if not report.pdfa_problems else "KHÔNG đạt / NOT ok")
        print(f"PDF/A-3b (kiểm tra cấu trúc / structural checks): {pdfa}")
        for name, rel in report.attachments.items():
            print(f"Tệp đính kèm / attachment: {name} (AFRelationship {rel})")
        print("Dấu hiệu chuyển đổi / conversion marker:")
        for line in report.marker_lines or ["(không có / none found)"]:
            print(f"  {line}")
        print("Kiểm tra / checks:")
        for check in report.checks:
            print(f"  {check.checker}: {check.status.upper()} — {check.detail}")
        for note in report.notes:
            print(f"Ghi chú / note: {note}")
        if standing is not None:
            for line in standing.lines():
                print(line)
    if report.status is not signing.SignatureStatus.VALID:
        return ExitCode.INVALID_SIGNATURE
    return standing.exit_code if standing is not None else ExitCode.OK


def _print_copy(args: argparse.Namespace) -> int:
    from core.errors import BadInput
    from core.settings import get_settings
    from signing.print_copy import make_print_copy

    settings = get_settings()
    if not args.file.is_file():
        raise BadInput(str(args.file), "không phải tệp đọc được / not a readable file")
    if not args.no_registry:
        # Decree 45 Art. 15.3: a revoked or replaced result must not be printed as if it were valid.
        from signing.validation import marker_fields, marker_lines_of

        code = marker_fields(marker_lines_of(args.file)).get("result_code")
        standing = registry_state(code) if code else None
        if standing is not None and standing.exit_code != ExitCode.OK:
            for line in standing.lines():
                print(line, file=sys.stderr)
            print(f"Lỗi: không in {args.file}: kết quả {standing.state_vi.lower()} — bản in sẽ không còn giá trị\n"
                  f"Error: refusing to print {args.file}: the result is {standing.state}", file=sys.stderr)
            return standing.exit_code
    pdf, info = make_print_copy(args.file, unit=args.unit or settings.converter_name, system_name=args.system_name,
                                lookup_url=args.lookup_url or settings.lookup_base(), trust_roots=args.trust,
                                address=args.address, phone=args.phone, printed_at=datetime.now(UTC))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(pdf)
    print(f"Đã tạo bản in / print copy: {args.out} ({info.page_count} trang + 1 trang biểu mẫu)")
    print(f"  {'Mã tra cứu'}: {info.result_code}")
    return ExitCode.OK


@dataclass(frozen=True)
class RegistryState:
    """What the system of record says of a result code (`verify`, `print-copy`)."""

    result_code: str
    known: bool
    state: str = ""  # valid | superseded | revoked
    state_vi: str = ""
    detail: str = ""
    superseded_by: str | None = None
    current: str | None = None

    @property
    def exit_code(self) -> ExitCode:
        return {"revoked": ExitCode.RESULT_REVOKED, "superseded": ExitCode.RESULT_SUPERSEDED}.get(
            self.state, ExitCode.OK)

    def lines(self) -> list[str]:
        if not self.known:
            return [f"Hệ thống lưu trữ / system of record: không có mã {self.result_code} / unknown here"]
        out = [f"Tình trạng kết quả / result state: {self.state_vi} / {self.state.upper()}"]
        if self.detail:
            out.append(f"  {self.detail}")
        return out

    def to_dict(self) -> dict[str, object]:
        return {"result_code": self.result_code, "known": self.known, "state": self.state or None,
                "detail": self.detail or None, "superseded_by": self.superseded_by, "current": self.current}


def registry_state(result_code: str) -> RegistryState | None:
    """The result's state in the configured results DB; None when no DB is configured or reachable
    (a citizen verifying a file on their own machine: only the signature is checked then)."""
    from sqlalchemy.exc import SQLAlchemyError

    from core.settings import get_settings
    from signing.marker import vietnam_tz
    from storage.db import session_scope
    from storage.models import RESULT_STATE_VI, ResultState
    from storage.records import lookup_result

    settings = get_settings()
    if settings.db_url.startswith("sqlite:///") and not Path(settings.db_url.removeprefix("sqlite:///")).is_file():
        return None
    try:
        with session_scope(settings.db_url) as s:
            found = lookup_result(s, result_code)
    except SQLAlchemyError:
        return None
    if found is None:
        return RegistryState(result_code, False)
    detail = ""
    if found.state is ResultState.REVOKED and found.revoked_at:
        detail = (f"thu hồi lúc {found.revoked_at.astimezone(vietnam_tz()):%H:%M ngày %d/%m/%Y}; "
                  f"lý do: {found.revocation_reason}")
    elif found.state is ResultState.SUPERSEDED:
        detail = f"được thay thế bằng {found.superseded_by}; bản hiện hành: {found.current}"
    return RegistryState(result_code, True, str(found.state), RESULT_STATE_VI[found.state], detail,
                         found.superseded_by, found.current)


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
