"""The whole pipeline's cost beside plain Tesseract's over the same pages, on one pinned core.

    python -m sohoa.cost_bench [--documents 20] [--repeats 3] [--core 1] [--profile FILE] [--breakdown]

A batch of generated documents of the tuning template families (COST_FAMILIES) is written once; its pages are
loaded the way the OCR stage loads them and saved as lossless PNG with their resolution. Then, in
pairs (so both sides see the same load on this shared machine), `repeats` times:
- plain `tesseract PAGE - -l vie` over every page, one after another, pinned to `core`
  (OMP_THREAD_LIMIT=1, as the pipeline runs it);
- `sohoa run` of the batch (intake to sync, SOHOA_OCR_WORKERS=1) pinned to the same core, in a fresh
  SOHOA_HOME with its own SeaweedFS and reference receiver (started before the clock, not pinned).
The figure is the median wall time of each side, pages per core-minute and their ratio; the peak RSS
of the `sohoa run` process (sampled every 0.1 s) is reported too. Review thresholds are set low
(REVIEW_THRESHOLD) so that signing, storing and syncing are part of what is measured. `--profile` runs the pipeline once
more under cProfile and writes the stats there. `--breakdown` runs the stages once more in this process
pinned to `core` and reports, in CPU seconds (what a loaded machine distorts least) and wall seconds,
each stage and what the OCR spends inside: Tesseract's page pass, its column pass and OSD, the second
recogniser, rasterising, preprocessing, page quality and marks (`breakdown`); plain Tesseract's CPU
seconds over the same pages are measured beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

PROVINCE, AGENCY = "Khánh Hòa", "000.00.15.H34"
REVIEW_THRESHOLD = 0.3
# The tuning families but the công văn: its generated manifest names the type `cong_van`, which the
# catalogue does not have, so intake quarantines it and its pages would be read by Tesseract alone.
COST_FAMILIES = ("classic", "sans-labels", "handwritten", "phone", "small-jpeg")


def _say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def write_batch(folder: Path, documents: int, seed: int = 3) -> None:
    from samples import DOCUMENT_TYPES, HELD_OUT_FAMILY, generate_batch

    assert HELD_OUT_FAMILY not in COST_FAMILIES
    generate_batch(folder, count=documents, seed=seed, document_types=DOCUMENT_TYPES, families=COST_FAMILIES)


def write_pages(batch: Path, out: Path, dpi: int = 300) -> list[Path]:
    """Every page of every scan of the batch, as the OCR stage loads it, saved as lossless PNG."""
    from ocr.pages import load_pages

    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for scan in sorted(p for p in batch.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".pdf")):
        for page in load_pages(scan, dpi=dpi):
            path = out / f"{scan.stem}-{page.number:03d}.png"
            page.image.save(path, dpi=(page.dpi, page.dpi))
            paths.append(path)
    return paths


def _pinned(core: int, argv: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *argv] if shutil.which("taskset") else argv


def time_tesseract(pages: list[Path], core: int) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    started = time.perf_counter()
    for page in pages:
        subprocess.run(_pinned(core, ["tesseract", str(page), "-", "-l", "vie"]), env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


class _PeakRss:
    """Peak RSS of a process (and of the process with its children) sampled every 0.1 s."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.proc = psutil.Process(pid)
        self.main = self.tree = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                main = self.proc.memory_info().rss
                tree = main + sum(c.memory_info().rss for c in self.proc.children(recursive=True))
            except psutil.Error:
                break
            self.main, self.tree = max(self.main, main), max(self.tree, tree)
            self._stop.wait(0.1)

    def stop(self) -> tuple[float, float]:
        self._stop.set()
        self._thread.join()
        return round(self.main / 2**20, 1), round(self.tree / 2**20, 1)


def _environment(home: Path, pki_home: Path) -> dict[str, str]:
    from core.settings import get_settings
    from signing.pki import make_test_pki
    from storage._exec.weed import free_port

    pki = make_test_pki(pki_home, converter=get_settings().converter_name)  # made once, then reused
    password = pki.password.decode()
    return {
        "SOHOA_HOME": str(home), "SOHOA_DATABASE_URL": "", "SOHOA_S3_ENDPOINT": f"127.0.0.1:{free_port()}",
        "SOHOA_CITIZEN_WAREHOUSE_URL": f"http://127.0.0.1:{free_port()}", "SOHOA_CITIZEN_WAREHOUSE_TOKEN": "bench-token",
        "SOHOA_SIGNING_PKCS12": str(pki.agency_p12), "SOHOA_SIGNING_PASSWORD": password,
        "SOHOA_OCR_WORKERS": "1", "OMP_THREAD_LIMIT": "1",
        # A low review threshold, so that most records are signed, stored and synced: the cost measured
        # is the whole pipeline's, not that of a batch that stops at the review queue.
        "SOHOA_REVIEW_THRESHOLDS": json.dumps({"*": {"*": REVIEW_THRESHOLD}}),
    }

@contextlib.contextmanager
def bench_home(scratch: Path, **extra_env: str) -> Iterator[tuple[Any, dict[str, str]]]:
    """A fresh home under `scratch` with its own S3 server and warehouse receiver, the environment set
    for it (`extra_env` on top); (settings, environment). Everything is stopped, restored and removed
    when the block ends."""
    from core.settings import get_settings, reset_settings
    from sohoa import services

    home = Path(tempfile.mkdtemp(prefix="run-", dir=scratch))
    env = {**_environment(home / "var", scratch / "pki"), **extra_env}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    reset_settings()
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    try:
        services.start_s3(settings)
        services.start_receiver(settings)
        yield settings, env
    finally:
        services.stop_receiver(settings)
        services.stop_s3(settings)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_settings()
        shutil.rmtree(home, ignore_errors=True)


def count_answers(files: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many files of a run ended with each answer (signed, review, quarantined …)."""
    answers: dict[str, int] = {}
    for f in files:
        answers[f["answer"]] = answers.get(f["answer"], 0) + 1
    return answers



def stored_bytes(settings: Any) -> dict[str, int]:
    """What the run left behind: bytes per bucket (every version) and of the SQLite results DB."""
    from storage.objects import BUCKETS, ObjectStore

    store = ObjectStore(settings)
    sizes = {}
    for role in BUCKETS:
        bucket = store.bucket(role)
        if store.client.bucket_exists(bucket):
            sizes[role] = sum(o.size or 0 for o in store.client.list_objects(bucket, recursive=True,
                                                                             include_version=True))
    db = settings.home / "sohoa.db"
    sizes["sqlite_db"] = db.stat().st_size if db.exists() else 0
    return sizes


def run_pipeline(batch: Path, scratch: Path, core: int, *, profile: Path | None = None,
                 code: Path | None = None) -> dict[str, Any]:
    """`sohoa run` of the batch pinned to `core`, in a fresh home with its own S3 and receiver;
    `code`: run the `sohoa` of another checkout (a before/after comparison on the same load)."""
    with bench_home(scratch) as (settings, env):
        argv = [sys.executable, *(("-m", "cProfile", "-o", str(profile)) if profile else ()), "-m", "sohoa.cli",
                "run", str(batch), "--province", PROVINCE, "--agency", AGENCY]
        started = time.perf_counter()
        proc = subprocess.Popen(_pinned(core, argv), env={**os.environ, **env}, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, cwd=code)
        peak = _PeakRss(proc.pid)
        out, _ = proc.communicate()
        seconds = time.perf_counter() - started
        main_mib, tree_mib = peak.stop()
        if proc.returncode != 0:
            raise RuntimeError(f"sohoa run exited {proc.returncode}")
        summary = json.loads(out)
        return {"seconds": round(seconds, 2), "peak_rss_mib": main_mib, "peak_rss_tree_mib": tree_mib,
                "answers": count_answers(summary.get("files", [])), "stored_bytes": stored_bytes(settings)}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tesseract_cpu(pages: list[Path], core: int) -> float:
    """CPU seconds of plain `tesseract PAGE - -l vie` over `pages` on `core` (as time_tesseract)."""
    before = _children_cpu()
    time_tesseract(pages, core)
    return round(_children_cpu() - before, 2)


class _Parts:
    """Calls, wall and CPU seconds (this process's and its children's) spent inside wrapped functions."""

    def __init__(self) -> None:
        self.seen: dict[str, list[float]] = {}

    def wrap(self, fn: Callable[..., Any], label: Callable[..., str] | str) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            name = label(*args, **kwargs) if callable(label) else label
            cpu, children, wall = time.process_time(), _children_cpu(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                entry = self.seen.setdefault(name, [0, 0.0, 0.0])
                entry[0] += 1
                entry[1] += time.perf_counter() - wall
                entry[2] += time.process_time() - cpu + _children_cpu() - children
        return timed

    def report(self) -> dict[str, dict[str, float]]:
        return {k: {"calls": int(v[0]), "cpu": round(v[2], 2), "wall": round(v[1], 2)}
                for k, v in sorted(self.seen.items(), key=lambda kv: -kv[1][2])}


def _tool_label(argv: Any, *args: Any, **kwargs: Any) -> str:
    from core import tools

    name = kwargs.get("tool") or tools.tool_name(str(argv[0]))
    return f"{name} (program started)" if name == "tesseract" else name


_READINGS = {"sohoa-ocr": "page pass", "sohoa-cols": "column pass", "sohoa-osd": "OSD",
             "sohoa-list": "recipients list", "sohoa-row": "unread row"}


def _reading_label(image: Any, *args: Any, **kwargs: Any) -> str:
    """Which Tesseract reading (through its seam, in this process or as a program): by the image's name."""
    base = Path(str(image)).name
    return f"tesseract {_READINGS.get('-'.join(base.split('-')[:2]), 'other')}"


@contextlib.contextmanager
def _instrumented(parts: _Parts) -> Iterator[None]:
    """The seams and OCR steps wrapped for `parts`; put back on exit."""
    import ocr
    import ocr.batch
    import ocr.reading as reading
    import ocr.tesseract_engine as engine
    import review.ge
    from core import tools
    from ocr import fingerprint
    from ocr._exec import tesseract

    wrapped: list[tuple[Any, str, Callable[..., str] | str]] = [
        (tools, "run", _tool_label), (tesseract, "run", _reading_label),
        (ocr, "load_pages", "load pages (decode, rasterise)"),
        (reading, "assess", "page quality"), (engine, "prepare", "preprocess"),
        (engine, "reread_words", "second recogniser: number and date lines"),
        (engine, "confirm_words", "second recogniser: signature block, recipients"),
        (engine, "confirm_holder_words", "second recogniser: holder's lines"),
        (engine, "find_marks", "seal and signature marks"), (engine, "correct", "post-correction"),
        (fingerprint, "page_hash", "page fingerprint"),
        (review.ge, "run_batch_expectations", "expectation suites (run, Data Docs; per batch)")]
    saved = [(module, name, getattr(module, name)) for module, name, _ in wrapped]
    try:
        for module, name, label in wrapped:
            setattr(module, name, parts.wrap(getattr(module, name), label))
        yield
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)


def _import_great_expectations() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # as review/ge.py
    import great_expectations  # noqa: F401


def breakdown(batch: Path, scratch: Path, core: int) -> dict[str, Any]:
    """One `sohoa run` of the batch's stages in this process, pinned to `core` (its S3 and receiver are
    started before and not pinned): wall and CPU seconds per stage and inside each part (`_Parts`).
    A part's CPU includes what it calls (the second recogniser's lines include their crops' reads)."""
    from intake import intake_batch
    from sohoa import pipeline
    from storage.db import upgrade

    affinity = os.sched_getaffinity(0)
    parts = _Parts()
    stages: dict[str, dict[str, float]] = {}

    def timed(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        cpu, children, wall = time.process_time(), _children_cpu(), time.perf_counter()
        out = fn(*args, **kwargs)
        stages[name] = {"wall": round(time.perf_counter() - wall, 2), "cpu": round(time.process_time() - cpu, 2),
                        "cpu_children": round(_children_cpu() - children, 2)}
        return out

    with bench_home(scratch):
        try:
            os.sched_setaffinity(0, {core})
            load = os.getloadavg()
            with _instrumented(parts):
                timed("database upgrade", upgrade)
                # Great Expectations' import apart from its suites' run: a fixed cost per process (per
                # `sohoa run`; once per Celery worker under Airflow, sohoa/preload.py), in the total.
                timed("import of Great Expectations (once per process)", _import_great_expectations)
                report = timed("intake", intake_batch, batch, province=PROVINCE, agency_code=AGENCY)
                for name in ("ocr", "extract", "validate", "sign", "store", "sync"):
                    timed(name, getattr(pipeline, f"{name}_batch"), report.batch_id)
                answers = count_answers(pipeline.batch_answers(report.batch_id))
        finally:
            os.sched_setaffinity(0, affinity)
    total = {key: round(sum(s[key] for s in stages.values()), 2) for key in ("wall", "cpu", "cpu_children")}
    return {"stages": stages, "total": total, "parts": parts.report(), "answers": answers,
            "load_average": [round(x, 1) for x in (*load, *os.getloadavg())]}


def measure(documents: int = 20, repeats: int = 3, core: int = 1, scratch: Path | None = None,
            profile: Path | None = None, compare: Path | None = None, with_breakdown: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sohoa-cost-", dir=scratch) as tmp:
        root = Path(tmp)
        batch = root / "batch"
        write_batch(batch, documents)
        pages = write_pages(batch, root / "pages")
        _say(f"cost: {documents} documents, {len(pages)} pages, core {core}, {repeats} paired runs")
        tess: list[float] = []
        runs: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
        for i in range(repeats):
            tess.append(round(time_tesseract(pages, core), 2))
            runs.append(run_pipeline(batch, root, core))
            _say(f"cost pair {i + 1}: tesseract {tess[-1]} s, sohoa run {runs[-1]['seconds']} s "
                 f"(peak {runs[-1]['peak_rss_mib']} MiB)")
            if compare is not None:
                others.append(run_pipeline(batch, root, core, code=compare))
                _say(f"cost pair {i + 1}: sohoa run of {compare} {others[-1]['seconds']} s")
        if profile is not None:
            run_pipeline(batch, root, core, profile=profile)
        parts: dict[str, Any] = {}
        if with_breakdown:
            plain_cpu = tesseract_cpu(pages, core)
            parts = {"breakdown": breakdown(batch, root, core), "tesseract_cpu_seconds": plain_cpu}
            run_cpu = parts["breakdown"]["total"]
            parts["cpu_ratio"] = round((run_cpu["cpu"] + run_cpu["cpu_children"]) / plain_cpu, 3)
            _say(f"cost breakdown: plain Tesseract {plain_cpu} CPU s, the stages {run_cpu['cpu']} + "
                 f"{run_cpu['cpu_children']} (children) CPU s")
        pipe = statistics.median(r["seconds"] for r in runs)
        plain = statistics.median(tess)
        compared = {}
        if others:
            other = statistics.median(r["seconds"] for r in others)
            compared = {"compared_with": str(compare), "compared_seconds": [r["seconds"] for r in others],
                        "compared_ratio": round(other / plain, 3),
                        "compared_paired_ratios": [round(r["seconds"] / t, 3) for r, t in zip(others, tess, strict=True)],
                        "compared_peak_rss_mib": max(r["peak_rss_mib"] for r in others),
                        "compared_answers": others[-1]["answers"]}
        return {
            "documents": documents, "pages": len(pages), "core": core, "repeats": repeats,
            "tesseract_seconds": tess, "pipeline_seconds": [r["seconds"] for r in runs],
            "tesseract_pages_per_core_minute": round(len(pages) / plain * 60, 1),
            "pipeline_pages_per_core_minute": round(len(pages) / pipe * 60, 1),
            "ratio": round(pipe / plain, 3),
            "paired_ratios": [round(r["seconds"] / t, 3) for r, t in zip(runs, tess, strict=True)],
            "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
            "peak_rss_tree_mib": max(r["peak_rss_tree_mib"] for r in runs),
            "answers": runs[-1]["answers"],
            **compared,
            **parts,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sohoa.cost_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--core", type=int, default=1)
    parser.add_argument("--profile", type=Path, default=None, help="also run once under cProfile, stats here")
    parser.add_argument("--compare", type=Path, default=None,
                        help="another checkout whose `sohoa run` is timed in each pair too (before/after)")
    parser.add_argument("--breakdown", action="store_true",
                        help="also run the stages once in this process and report CPU seconds per stage and part")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.documents, args.repeats, args.core, profile=args.profile, compare=args.compare,
                             with_breakdown=args.breakdown), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
