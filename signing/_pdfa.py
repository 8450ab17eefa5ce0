"""Turn the rendered result into PDF/A-3b and check what can be checked without veraPDF.

PDF/A-3 (ISO 19005-3) is the archival profile that allows embedded files: the structured fields
(method b, Decree 45 Art. 25.2.b) travel inside the same file as the scan (method a), declared
as an *associated file* of the document (catalog /AF, /AFRelationship /Data).

What this module makes sure of: XMP metadata with pdfaid:part=3 / conformance=B kept in step
with the Info dictionary, an sRGB OutputIntent with its ICC profile, associated files with MIME
type, size and dates, no encryption. Fonts are embedded by reportlab (NotoSans subsets).
"""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from signing._logs import quiet

PDFA_PART = "3"
PDFA_CONFORMANCE = "B"
SRGB_IDENTIFIER = "sRGB IEC61966-2.1"


@cache
def srgb_icc() -> bytes:
    """An sRGB ICC profile built by LittleCMS (through Pillow): no profile file to ship or find."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _producer() -> str:
    from pyhanko.pdf_utils.metadata.model import VENDOR

    return VENDOR


def _pdf_date(t: datetime) -> str:
    t = t.astimezone(UTC)
    return t.strftime("D:%Y%m%d%H%M%SZ")


def make_pdfa(pdf: bytes, *, title: str, author: str, subject: str, created: datetime,
              attachments: dict[str, bytes] | None = None) -> bytes:
    """Add what PDF/A-3b needs on top of reportlab's output, plus the associated files."""
    import pikepdf
    from pikepdf import Dictionary, Name, String

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        created_str = _pdf_date(created)
        # The Info dictionary and XMP must agree (ISO 19005-3 6.6.3): both written from one source.
        info = doc.trailer.get("/Info")
        if info is None:
            doc.trailer.Info = doc.make_indirect(Dictionary())
            info = doc.trailer.Info
        for key in list(info.keys()):
            del info[key]
        info.Title = String(title)
        info.Author = String(author)
        info.Subject = String(subject)
        info.Creator = String("sohoa")
        # pyHanko's incremental update rewrites pdf:Producer in XMP to its own name and appends that
        # name to Info /Producer unless already there: start from it so both stay equal after signing.
        info.Producer = String(_producer())
        info.CreationDate = String(created_str)
        info.ModDate = String(created_str)

        with doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["pdfaid:part"] = PDFA_PART
            meta["pdfaid:conformance"] = PDFA_CONFORMANCE
            meta["dc:title"] = title
            meta["dc:creator"] = [author]
            meta["dc:description"] = subject
            meta["dc:format"] = "application/pdf"
            meta["xmp:CreatorTool"] = "sohoa"
            meta["pdf:Producer"] = _producer()
            iso = created.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            meta["xmp:CreateDate"] = iso
            meta["xmp:ModifyDate"] = iso
            meta["xmp:MetadataDate"] = iso

        for page in doc.pages:
            # reportlab writes an empty /Trans (page transition) on every page: meaningless in print.
            if "/Trans" in page.obj and not page.obj.Trans.keys():
                del page.obj["/Trans"]
        icc = doc.make_stream(srgb_icc())
        icc.N = 3
        intent = Dictionary(Type=Name.OutputIntent, S=Name.GTS_PDFA1, OutputConditionIdentifier=String(SRGB_IDENTIFIER),
                            Info=String(SRGB_IDENTIFIER), DestOutputProfile=icc)
        doc.Root.OutputIntents = pikepdf.Array([doc.make_indirect(intent)])

        if attachments:
            _associate(doc, attachments, created_str)
        out = io.BytesIO()
        # Object streams are allowed in PDF/A-2/3; the version is 1.7 (ISO 32000-1), PDF/A-3's base.
        doc.save(out, min_version="1.7", fix_metadata_version=False)
        return out.getvalue()


def _associate(doc, attachments: dict[str, bytes], created_str: str) -> None:  # type: ignore[no-untyped-def]
    import pikepdf
    from pikepdf import Dictionary, Name, String

    af = pikepdf.Array()
    names = pikepdf.Array()
    for name, content in sorted(attachments.items()):
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        stream = doc.make_stream(content)
        stream.Type = Name.EmbeddedFile
        stream.Subtype = Name("/" + mime)  # written as /application#2Fjson by qpdf
        stream.Params = Dictionary(Size=len(content), ModDate=String(created_str), CreationDate=String(created_str))
        # /Data: information the visual presentation was derived from / stands for (ISO 32000-2 14.13).
        spec = doc.make_indirect(Dictionary(
            Type=Name.Filespec, F=String(name), UF=String(name), Desc=String(_describe(name)),
            AFRelationship=Name.Data, EF=Dictionary(F=stream, UF=stream),
        ))
        af.append(spec)
        names.append(String(name))
        names.append(spec)
    doc.Root.AF = af
    doc.Root.Names = doc.Root.get("/Names", Dictionary())
    doc.Root.Names.EmbeddedFiles = Dictionary(Names=names)


def _describe(name: str) -> str:
    if name.endswith(".json"):
        return "Dữ liệu có cấu trúc của kết quả (phương thức b, Điều 25.2.b Nghị định 45/2020/NĐ-CP)"
    return name


NOT_CHECKED_ALWAYS = (
    "the full ISO 19005-3 rule set as veraPDF checks it (veraPDF is not installable here: "
    "no package on PyPI, Debian or npm)",
)


@dataclass(frozen=True)
class PdfaCheck:
    """What we can check of PDF/A-3b without veraPDF; `not_checked` says what remains open.

    Two layers: our own structural checks (below), and pikepdf's allowlist validator
    (`pikepdf.pdfa`, ISO 19005 rules it knows; anything it does not know is reported as
    "unsupported", i.e. not checked, never as passed)."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    attachments: dict[str, str] = field(default_factory=dict)  # name -> AFRelationship
    not_checked: tuple[str, ...] = NOT_CHECKED_ALWAYS
    allowlist_verdict: str | None = None  # pikepdf.pdfa: "pass", "fail", "not_checked"; None: unavailable
    # broken structure (an /AF that is not an array of file specifications, a null where a dictionary
    # must be...): the file itself is defective, not merely outside PDF/A
    malformed: list[str] = field(default_factory=list)


def allowlist_validate(pdf: bytes) -> tuple[str | None, list[str], list[str]]:
    """pikepdf's PDF/A-3b allowlist validator: (verdict, violations, unsupported constructs)."""
    try:
        import pikepdf.pdfa as pdfa
    except ImportError:  # optional deps (jsonschema, fontTools) missing
        return None, [], ["pikepdf.pdfa allowlist validator (optional dependencies missing)"]
    report = pdfa.validate_written(io.BytesIO(pdf), "3b")
    violations = [f"{f.rule} at {f.where}: {f.message}" for f in report.findings if f.kind == "violation"]
    unsupported = [f"{f.where}: {f.message}" for f in report.findings if f.kind != "violation"]
    return report.verdict, violations, unsupported


def check_pdfa(pdf: bytes) -> PdfaCheck:
    """Structural PDF/A-3b checks: XMP identification, OutputIntent, fonts embedded, no encryption,
    associated files declared. Works on signed files too (incremental updates are read as one)."""
    import pikepdf

    problems: list[str] = []
    attached: dict[str, str] = {}
    try:
        doc = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PasswordError:
        return PdfaCheck(False, ["encrypted (PDF/A forbids encryption)"])
    except pikepdf.PdfError as exc:
        reason = str(exc).splitlines()[0].split(">: ")[-1][:200]  # qpdf opens with "stream <BytesIO …>: "
        return PdfaCheck(False, [f"unreadable: {exc}"], malformed=[f"unreadable: {reason}"])
    malformed: list[str] = []
    with doc:
        try:
            with quiet("pikepdf"):  # pikepdf logs a traceback for unparsable XMP; the problem list says so
                _check_structure(doc, problems, attached, malformed)
        except Exception as exc:  # a null, a wrong type, a cycle anywhere qpdf let through: a reason, not a crash
            malformed.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}".rstrip(": "))
    problems += [f"malformed: {m}" for m in malformed]
    try:
        with quiet("pikepdf"):
            verdict, violations, unsupported = allowlist_validate(pdf)
    except Exception as exc:  # pikepdf.pdfa walks the same broken objects
        verdict, violations, unsupported = None, [], [f"pikepdf.pdfa allowlist validator failed: {type(exc).__name__}"]
    problems += violations
    return PdfaCheck(not problems, problems, attached, NOT_CHECKED_ALWAYS + tuple(unsupported), verdict, malformed)


def _check_structure(doc, problems: list[str], attached: dict[str, str],  # type: ignore[no-untyped-def]
                     malformed: list[str]) -> None:
    import pikepdf

    if doc.is_encrypted or "/Encrypt" in doc.trailer:
        problems.append("encrypted (PDF/A forbids encryption)")
    meta = doc.open_metadata()
    if str(meta.get("pdfaid:part", "")) != PDFA_PART:
        problems.append(f"XMP pdfaid:part is {meta.get('pdfaid:part')!r}, want {PDFA_PART}")
    if str(meta.get("pdfaid:conformance", "")) != PDFA_CONFORMANCE:
        problems.append(f"XMP pdfaid:conformance is {meta.get('pdfaid:conformance')!r}, want {PDFA_CONFORMANCE}")
    info: Any = doc.trailer.get("/Info", {})
    # ISO 19005-3 6.6.3: Info entries and their XMP equivalents must agree.
    pairs = (("/Title", "dc:title"), ("/Author", "dc:creator"), ("/Producer", "pdf:Producer"),
             ("/Creator", "xmp:CreatorTool"))
    for key, prop in pairs:
        if key in info:
            xmp_value = meta.get(prop)
            if isinstance(xmp_value, list):
                xmp_value = xmp_value[0] if len(xmp_value) == 1 else "; ".join(xmp_value)
            if xmp_value is None or str(xmp_value) != str(info[key]):
                problems.append(f"Info {key} {str(info[key])!r} differs from XMP {prop} {xmp_value!r}")
    intents: Any = doc.Root.get("/OutputIntents", [])
    rgb = [oi for oi in intents if oi.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in oi
           and int(oi.DestOutputProfile.get("/N", 0)) == 3]
    if not rgb:
        problems.append("no GTS_PDFA1 OutputIntent with an RGB ICC profile")
    for n, page in enumerate(doc.pages, start=1):
        resources: Any = page.get("/Resources", {})
        fonts: Any = resources.get("/Font", {})
        for fname, font in fonts.items():
            if not _font_embedded(font):
                problems.append(f"page {n}: font {fname} ({font.get('/BaseFont')}) not embedded")
    af: Any = doc.Root.get("/AF", pikepdf.Array())
    af_names = set()
    if not isinstance(af, pikepdf.Array):
        malformed.append(f"/AF is {_kind(af)}, not an array of file specifications")
        af = []
    for i, spec in enumerate(af):
        if not isinstance(spec, pikepdf.Dictionary):
            malformed.append(f"/AF entry {i} is {_kind(spec)}, not a file specification")
            continue
        name = str(spec.get("/UF", spec.get("/F", "")))
        af_names.add(name)
        rel = str(spec.get("/AFRelationship", ""))
        attached[name] = rel.lstrip("/")
        ef_dict: Any = spec.get("/EF", {})
        ef = ef_dict.get("/F") if isinstance(ef_dict, pikepdf.Dictionary) else None
        if not rel:
            problems.append(f"attachment {name}: no AFRelationship")
        if not isinstance(ef, pikepdf.Stream) or "/Subtype" not in ef:
            problems.append(f"attachment {name}: no MIME type (embedded file /Subtype)")
        elif not isinstance(ef.get("/Params"), pikepdf.Dictionary) or "/ModDate" not in ef.Params:
            problems.append(f"attachment {name}: no /Params /ModDate")
    for name in doc.attachments:
        if name not in af_names:
            problems.append(f"attachment {name} is not an associated file (/AF)")


def _kind(obj: object) -> str:
    return "null" if obj is None else getattr(obj, "_type_name", type(obj).__name__)


def _font_embedded(font) -> bool:  # type: ignore[no-untyped-def]
    if font.get("/Subtype") == "/Type0":
        font = font.DescendantFonts[0]
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs are content streams
    desc = font.get("/FontDescriptor")
    return desc is not None and any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
