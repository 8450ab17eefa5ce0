"""The ONE seam that runs Tesseract, and Tesseract's training tools (combine_tessdata,
dawg2wordlist) that the lexicon build reads its dictionary with; programs through core.tools.

A TSV reading (`run(image, ["-l", lang, "--psm", n, "--dpi", d, "-c", "k=v", …, "tsv"])`) goes to
Tesseract's own library in this process (`_library`): the same recogniser the `tesseract` program
wraps, kept loaded. Starting the program cost 0.13 CPU s a call (reading and setting up the model
each time) and a page takes about 3.5 calls (page, signature columns, recipients list); the TSV is
byte for byte the program's (tests/ocr/test_tesseract_in_process.py). Anything else (OSD, plain text,
an unknown option), a library that cannot be loaded, or a process whose OpenMP would use more than
one thread runs the program as before.

Tests (and deployments with a non-standard install) point `TESSERACT_CMD` or the environment
variable SOHOA_TESSERACT_CMD at another executable: then every call runs that program.
SOHOA_TESSERACT_IN_PROCESS=0 turns the library off."""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import tools
from ocr.errors import EngineFailed

# None: read SOHOA_TESSERACT_CMD at call time, else "tesseract".
TESSERACT_CMD: str | None = None
HINT = "install tesseract-ocr"
# One thread per process; we parallelise by processes (5x faster here than OpenMP threads).
_ENV = {"OMP_THREAD_LIMIT": "1"}
_log = logging.getLogger(__name__)


def command() -> str:
    return TESSERACT_CMD or os.environ.get("SOHOA_TESSERACT_CMD") or "tesseract"


def run(image_path: str, args: Sequence[str], *, timeout_s: float = 180, file: str = "<page>") -> str:
    """What `tesseract IMAGE stdout ARGS...` prints (UTF-8). Raises EngineFailed."""
    if TESSERACT_CMD is None and not os.environ.get("SOHOA_TESSERACT_CMD") \
            and os.environ.get("SOHOA_TESSERACT_IN_PROCESS", "1") != "0":
        request = Request.parse(args)
        # One image a file (a list of images or a multi-page TIFF is the program's to walk through).
        if request is not None and Path(image_path).suffix.lower() in _ONE_IMAGE and library_ready():
            tsv = read_tsv(image_path, request, timeout_s=timeout_s, file=file)
            if tsv is not None:
                return tsv
    try:
        done = tools.run([command(), image_path, "stdout", *args], timeout_s=timeout_s, tool="tesseract",
                         env=_ENV, hint=HINT)
    except tools.ToolError as exc:
        raise EngineFailed(file, str(exc)) from exc
    return done.text


def run_gray(gray: np.ndarray, args: Sequence[str], *, timeout_s: float = 180, file: str = "<page>",
             prefix: str = "sohoa-ocr-") -> str:
    """`run` on a grey image in memory, written to a temporary PGM (uncompressed: read within a
    second; PNG cost 0.17 s a page to write) that is removed afterwards."""
    import cv2

    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".pgm")
    os.close(fd)
    try:
        cv2.imwrite(tmp, gray)
        return run(tmp, args, timeout_s=timeout_s, file=file)
    finally:
        os.unlink(tmp)


def languages() -> list[str]:
    """Installed traineddata names (`tesseract --list-langs`); none when tesseract cannot be run."""
    try:
        done = tools.run([command(), "--list-langs"], timeout_s=30, tool="tesseract", env=_ENV, check=False)
    except tools.ToolError:
        return []
    return [line.strip() for line in done.text.splitlines()[1:] if line.strip()]



def dictionary_words(traineddata: Path, *, timeout_s: float = 120) -> list[str]:
    """The word list inside a traineddata file (`combine_tessdata -u`, then `dawg2wordlist`); none
    when the file or the training tools (package tesseract-ocr's) are not there. Raises ToolError."""
    if not traineddata.exists():
        return []
    try:
        tools.find("combine_tessdata")
        tools.find("dawg2wordlist")
    except tools.ToolError:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        parts = f"{tmp}/{traineddata.stem}."
        tools.run(["combine_tessdata", "-u", str(traineddata), parts], timeout_s=timeout_s)
        tools.run(["dawg2wordlist", f"{parts}lstm-unicharset", f"{parts}lstm-word-dawg", f"{tmp}/w.txt"],
                  timeout_s=timeout_s)
        return Path(f"{tmp}/w.txt").read_text(encoding="utf-8").splitlines()


# ---------------------------------------------------------------- the library, in this process
# What `tesseract IMAGE stdout … tsv` prints first (TessTsvRenderer's header); the page's rows follow.
_TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
_PSM_AUTO = 3  # the program's default page segmentation (the library's own is 6)
_ONE_IMAGE = (".pgm", ".ppm", ".pnm", ".png", ".jpg", ".jpeg", ".bmp")


@dataclass(frozen=True)
class Request:
    """One TSV reading as the program's arguments say it: language, page segmentation, resolution,
    `-c` variables."""

    language: str
    psm: int
    dpi: int  # 0: none given (the page's own, else Tesseract's estimate)
    variables: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, args: Sequence[str]) -> Request | None:
        """The request of `args`, or None when they ask for anything the library path does not do
        (OSD, text or hOCR output, another option): the program runs then."""
        items = [str(a) for a in args]
        if not items or items[-1] != "tsv":
            return None
        language, psm, dpi, variables = "eng", _PSM_AUTO, 0, []
        i = 0
        try:
            while i < len(items) - 1:
                flag, value = items[i], items[i + 1]
                if flag == "-l":
                    language = value
                elif flag == "--psm":
                    psm = int(value)
                elif flag == "--dpi":
                    dpi = int(value)
                elif flag == "-c" and "=" in value:
                    name, _, setting = value.partition("=")
                    variables.append((name, setting))
                else:
                    return None
                i += 2
        except ValueError:
            return None
        if i != len(items) - 1 or psm in (0, 2) or not 0 <= psm <= 13 or dpi < 0:
            return None  # OSD only / layout only: no words to print
        return cls(language, psm, dpi, tuple(variables))


class _Api:
    """One TessBaseAPI of this process and thread, initialised once for its language. Variables a
    request set are put back to their defaults before the next one: each reading is the program's."""

    def __init__(self, lib: ctypes.CDLL, language: str) -> None:
        self.lib, self.pid = lib, os.getpid()
        self.handle = lib.TessBaseAPICreate()
        if not self.handle or lib.TessBaseAPIInit3(self.handle, None, language.encode()) != 0:
            if self.handle:
                lib.TessBaseAPIDelete(self.handle)
            raise OSError(f"Tesseract has no language {language!r}")
        self.defaults: dict[str, str] = {}
        for name, value in (("tessedit_create_tsv", "1"), ("debug_file", "/dev/null")):  # the `tsv` config; quiet
            lib.TessBaseAPISetVariable(self.handle, name.encode(), value.encode())

    def default(self, name: str) -> str | None:
        """The variable's value before any request changed it (None: no such variable)."""
        if name not in self.defaults:
            lib, h, key = self.lib, self.handle, name.encode()
            number, real, flag = ctypes.c_int(), ctypes.c_double(), ctypes.c_int()
            if lib.TessBaseAPIGetIntVariable(h, key, ctypes.byref(number)):
                self.defaults[name] = str(number.value)
            elif lib.TessBaseAPIGetBoolVariable(h, key, ctypes.byref(flag)):
                self.defaults[name] = "1" if flag.value else "0"
            elif lib.TessBaseAPIGetDoubleVariable(h, key, ctypes.byref(real)):
                self.defaults[name] = repr(real.value)
            else:
                text = lib.TessBaseAPIGetStringVariable(h, key)
                if text is None:
                    return None
                self.defaults[name] = text.decode()
        return self.defaults[name]

    def read(self, image_path: str, request: Request, *, timeout_s: float, file: str) -> str | None:
        """The TSV, or None when leptonica cannot read the image (the program then says why)."""
        lib, h = self.lib, self.handle
        given = dict(request.variables)
        for name in [*given, *self.defaults]:
            if self.default(name) is None:
                raise EngineFailed(file, f"tesseract: unknown variable {name!r}")
        for name, value in {**self.defaults, "user_defined_dpi": str(request.dpi), **given}.items():
            if not lib.TessBaseAPISetVariable(h, name.encode(), value.encode()):
                raise EngineFailed(file, f"tesseract: cannot set {name}={value}")
        lib.TessBaseAPISetPageSegMode(h, request.psm)
        pix = ctypes.c_void_p(_lept().pixRead(image_path.encode()))
        if not pix.value:
            return None
        monitor = lib.TessMonitorCreate()
        try:
            lib.TessBaseAPISetInputName(h, image_path.encode())
            lib.TessBaseAPISetImage2(h, pix)
            started = time.monotonic()
            # The program stops at its time limit (killed); the library at the deadline it checks.
            lib.TessMonitorSetDeadlineMSecs(monitor, max(1, int(timeout_s * 1000)))
            if lib.TessBaseAPIRecognize(h, monitor) < 0:
                late = time.monotonic() - started >= timeout_s
                raise EngineFailed(file, f"tesseract: timed out after {timeout_s:g} s" if late
                                   else "tesseract: recognition failed")
            text = lib.TessBaseAPIGetTsvText(h, 0)
            try:
                rows = ctypes.string_at(text).decode("utf-8", "replace") if text else ""
            finally:
                if text:
                    lib.TessDeleteText(text)
        finally:
            lib.TessMonitorDelete(monitor)
            lib.TessBaseAPIClear(h)
            _lept().pixDestroy(ctypes.byref(pix))
        return _TSV_HEADER + rows

    def close(self) -> None:
        if self.handle:
            self.lib.TessBaseAPIEnd(self.handle)
            self.lib.TessBaseAPIDelete(self.handle)
            self.handle = None


_STATE: dict[str, object] = {}  # "lib", "lept", "pid": loaded once per process; "failed": why not
_LOCAL = threading.local()
_LOAD = threading.Lock()
_OPEN: list[_Api] = []


def _lept() -> ctypes.CDLL:
    return _STATE["lept"]  # type: ignore[return-value]


def library_ready() -> bool:
    """Whether this process reads TSV with the library (loaded here on first use); once it could
    not be loaded, the program runs for the rest of the process (the reason is logged once)."""
    if _STATE.get("pid") == os.getpid():
        return "lib" in _STATE
    with _LOAD:
        if _STATE.get("pid") != os.getpid():
            _STATE.clear()
            _STATE["pid"] = os.getpid()
            try:
                _STATE.update(_load())
            except OSError as exc:
                _log.info("tesseract runs as a program: %s", exc)
    return "lib" in _STATE


def _load() -> dict[str, ctypes.CDLL]:
    # Tesseract parallelises with OpenMP, whose thread limit is read when libgomp starts: one thread,
    # as the program gets (OMP_THREAD_LIMIT=1); the stage runs one process per core.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    lib = ctypes.CDLL("libtesseract.so.5")
    lept = ctypes.CDLL("liblept.so.5")
    try:
        gomp = ctypes.CDLL("libgomp.so.1")
        if gomp.omp_get_thread_limit() > 1:
            raise OSError("OpenMP was started before with more than one thread")
    except AttributeError:
        pass
    p, i, s = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
    for name, args, result in (
            ("TessBaseAPICreate", [], p), ("TessBaseAPIInit3", [p, s, s], i), ("TessBaseAPIEnd", [p], None),
            ("TessBaseAPIDelete", [p], None), ("TessBaseAPISetVariable", [p, s, s], i),
            ("TessBaseAPIGetIntVariable", [p, s, ctypes.POINTER(i)], i),
            ("TessBaseAPIGetBoolVariable", [p, s, ctypes.POINTER(i)], i),
            ("TessBaseAPIGetDoubleVariable", [p, s, ctypes.POINTER(ctypes.c_double)], i),
            ("TessBaseAPIGetStringVariable", [p, s], s), ("TessBaseAPISetPageSegMode", [p, i], None),
            ("TessBaseAPISetInputName", [p, s], None), ("TessBaseAPISetImage2", [p, p], None),
            ("TessBaseAPIRecognize", [p, p], i), ("TessBaseAPIGetTsvText", [p, i], p),
            ("TessDeleteText", [p], None), ("TessBaseAPIClear", [p], None), ("TessMonitorCreate", [], p),
            ("TessMonitorSetDeadlineMSecs", [p, i], None), ("TessMonitorDelete", [p], None)):
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, result
    lept.pixRead.argtypes, lept.pixRead.restype = [s], p
    lept.pixDestroy.argtypes, lept.pixDestroy.restype = [ctypes.POINTER(p)], None
    return {"lib": lib, "lept": lept}


def read_tsv(image_path: str, request: Request, *, timeout_s: float, file: str) -> str | None:
    """The TSV of `tesseract IMAGE stdout …request… tsv`, read by the library; None when it cannot
    read the image. Raises EngineFailed."""
    apis: dict[str, _Api] = getattr(_LOCAL, "apis", None) or {}
    if getattr(_LOCAL, "pid", None) != os.getpid():  # a forked child makes its own
        apis, _LOCAL.pid = {}, os.getpid()
    _LOCAL.apis = apis
    api = apis.get(request.language)
    if api is None:
        try:
            api = apis[request.language] = _Api(_STATE["lib"], request.language)  # type: ignore[arg-type]
        except OSError as exc:
            raise EngineFailed(file, f"tesseract: {exc}") from None
        _OPEN.append(api)
    return api.read(image_path, request, timeout_s=timeout_s, file=file)


@atexit.register
def _close() -> None:
    """Tesseract's caches complain at exit about a model still in use: hand them back first."""
    for api in _OPEN:
        if api.pid == os.getpid():  # a forked child's copies are its parent's to close
            api.close()
    _OPEN.clear()
