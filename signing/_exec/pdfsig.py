"""The one seam to poppler's `pdfsig`, an implementation independent of pyHanko.

Its exit code is 0 even on "Digest Mismatch", so it is never trusted: the report is parsed.
Trust roots are given to it through a temporary NSS database (`-nssdir sql:DIR`), made with NSS's
`certutil`. Both run through core.tools; every failure is a ToolError (missing, timeout, crash).
"""

from __future__ import annotations

import atexit
import hashlib
import re
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core import tools

PDFSIG = "pdfsig"
CERTUTIL = "certutil"
TIMEOUT = 30.0
POPPLER_HINT = "install poppler-utils"
NSS_HINT = "install libnss3-tools"
# Stable, parseable English output with UTF-8 names.
_ENV = {"LC_ALL": "C.UTF-8"}


@dataclass(frozen=True)
class PdfsigSignature:
    field_name: str | None
    signer_cn: str | None
    signing_time: str | None  # as printed (machine-local time, no zone)
    signature_validation: str | None  # e.g. "Signature is Valid.", "Digest Mismatch."
    certificate_validation: str | None  # e.g. "Certificate is Trusted."
    total_document_signed: bool | None  # "Total document signed" / "Not total document signed"
    signed_ranges: str | None


@dataclass(frozen=True)
class PdfsigReport:
    signatures: list[PdfsigSignature] = field(default_factory=list)
    raw: str = ""
    no_signatures: bool = False


_BLOCK = re.compile(r"^Signature #\d+:\s*$", re.M)
_ITEM = re.compile(r"^\s*-\s*(?P<key>[^:]+?)(?::\s*(?P<value>.*))?$")


def parse(output: str) -> PdfsigReport:
    if "does not contain any signatures" in output:
        return PdfsigReport(raw=output, no_signatures=True)
    sigs: list[PdfsigSignature] = []
    blocks = list(_BLOCK.finditer(output))
    if not blocks:
        return PdfsigReport(raw=output, no_signatures=True)
    ends = [m.start() for m in blocks[1:]] + [len(output)]
    for start, end in zip((m.end() for m in blocks), ends, strict=True):
        items: dict[str, str] = {}
        total: bool | None = None
        for line in output[start:end].splitlines():
            m = _ITEM.match(line)
            if not m:
                continue
            key, value = m["key"].strip(), (m["value"] or "").strip()
            if key == "Total document signed":
                total = True
            elif key == "Not total document signed":
                total = False
            else:
                items[key] = value
        sigs.append(PdfsigSignature(
            field_name=items.get("Signature Field Name"),
            signer_cn=items.get("Signer Certificate Common Name"),
            signing_time=items.get("Signing Time"),
            signature_validation=items.get("Signature Validation"),
            certificate_validation=items.get("Certificate Validation"),
            total_document_signed=total,
            signed_ranges=items.get("Signed Ranges"),
        ))
    return PdfsigReport(signatures=sigs, raw=output, no_signatures=not sigs)


# One NSS database per set of roots for the life of the process (building one costs ~100 ms).
_nss_lock = threading.Lock()
_nss_dbs: dict[str, Path] = {}
_nss_parent: Path | None = None


def _cleanup() -> None:
    if _nss_parent is not None:
        shutil.rmtree(_nss_parent, ignore_errors=True)


def nss_db_for(roots: Sequence[Path], *, timeout: float = TIMEOUT) -> Path:
    global _nss_parent
    blobs = [Path(r).read_bytes() for r in roots]
    digest = hashlib.sha256(b"\0".join(sorted(blobs))).hexdigest()[:24]
    with _nss_lock:
        cached = _nss_dbs.get(digest)
        if cached is not None and cached.exists():
            return cached
        if _nss_parent is None:
            _nss_parent = Path(tempfile.mkdtemp(prefix="sohoa-nss-"))
            atexit.register(_cleanup)
        db = _nss_parent / digest
        db.mkdir(exist_ok=True)
        tools.run([CERTUTIL, "-N", "-d", f"sql:{db}", "--empty-password"], timeout_s=timeout, env=_ENV,
                  hint=NSS_HINT)
        for i, root in enumerate(roots):
            # "CT,C,C": trusted CA for e-mail/object signing, which is what pdfsig checks.
            tools.run([CERTUTIL, "-A", "-d", f"sql:{db}", "-n", f"root{i}", "-t", "CT,C,C", "-i", str(root)],
                      timeout_s=timeout, env=_ENV, hint=NSS_HINT)
        _nss_dbs[digest] = db
        return db


def check(pdf: Path, trust_roots: Sequence[Path] = (), *, binary: str | None = None,
          timeout: float | None = None) -> PdfsigReport:
    """Run pdfsig on one file. Raises ToolError (missing binary, timeout, crash, NSS setup)."""
    binary = binary or PDFSIG
    timeout = TIMEOUT if timeout is None else timeout
    # Not "-no-ocsp": poppler 22.12 then reports "Unknown issue with Certificate" even for a
    # trusted chain (measured). Certificates without an AIA extension trigger no OCSP fetch anyway.
    argv = [binary]
    if trust_roots:
        argv += ["-nssdir", f"sql:{nss_db_for(trust_roots, timeout=timeout)}"]
    else:
        argv.append("-nocert")  # integrity only; the chain is not checked
    proc = tools.run([*argv, str(pdf)], timeout_s=timeout, env=_ENV, check=False, hint=POPPLER_HINT)
    out = proc.text
    report = parse(out)
    # Exit code is not a verdict, but with no parseable report it means pdfsig itself failed.
    if report.no_signatures and "does not contain any signatures" not in out:
        err = proc.stderr.decode("utf-8", "replace").strip()[-500:]
        raise tools.ToolError(tools.tool_name(binary), f"no report (exit {proc.returncode}): {err or out[-500:]}",
                              proc.returncode)
    return report
