"""Peak memory of `sohoa run` against batch size: is it flat? (issue 16, "flat memory")

    python -m sohoa.memory_bench [--counts 8 40] [--workers 2] [--seed 5] [--repeats 1]

For each count a batch of generated documents (the classic family, `sohoa samples --seed`) goes
through `sohoa run` (intake to sync, SOHOA_OCR_WORKERS=`workers`) in a fresh SOHOA_HOME with its own
SeaweedFS and reference receiver. Review thresholds are low (cost_bench.REVIEW_THRESHOLD) so that most
records are signed, stored and synced: every stage sees the whole batch. RSS is sampled every 0.1 s
(psutil) for the `sohoa run` process ("main") and for it with every descendant ("tree", the OCR
pool's workers and their Tesseracts; shared pages are counted in each process). The stage running
at each sample is read from the run's progress lines on stderr ("intake" before the first one,
"answers" after the last), so the figures say which stage holds the peak. The ratio of the largest
count's peak to the smallest's is the figure issue 16 holds to at most 1.5.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

PROVINCE, AGENCY = "Khánh Hòa", "000.00.15.H34"
_STAGE_LINE = re.compile(r"bước (\d+)/(\d+)")
# The order of `sohoa.pipeline.run_stages`, as numbered in its progress lines.
_STAGES = ("ocr", "extract", "validate", "sign", "store", "sync")


def _say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


class StagePeaks:
    """Peak RSS (MiB) of a process and of its process tree, per stage, sampled every `interval` s."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        import psutil

        self.proc = psutil.Process(pid)
        self.stage = "intake"
        self.main: dict[str, int] = {}
        self.tree: dict[str, int] = {}
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def follow(self, stderr: IO[str]) -> None:
        """Read the run's stderr to its end, moving to each stage as its progress line appears."""
        for line in stderr:
            found = _STAGE_LINE.search(line)
            if found:
                number = int(found.group(1))
                self.stage = _STAGES[number - 1] if number <= len(_STAGES) else f"step{number}"
            elif "xong sau" in line:
                self.stage = "answers"

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                main = self.proc.memory_info().rss
                tree = main
                for child in self.proc.children(recursive=True):
                    with contextlib.suppress(psutil.Error):  # a Tesseract ended between listing and reading
                        tree += child.memory_info().rss
            except psutil.Error:
                break
            stage = self.stage
            self.main[stage] = max(self.main.get(stage, 0), main)
            self.tree[stage] = max(self.tree.get(stage, 0), tree)
            self._stop.wait(self.interval)

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()

        def mib(values: dict[str, int]) -> dict[str, float]:
            return {k: round(v / 2**20, 1) for k, v in values.items()}

        return {"peak_main_mib": round(max(self.main.values(), default=0) / 2**20, 1),
                "peak_tree_mib": round(max(self.tree.values(), default=0) / 2**20, 1),
                "main_by_stage_mib": mib(self.main), "tree_by_stage_mib": mib(self.tree)}


def write_batch(folder: Path, documents: int, seed: int) -> int:
    """`sohoa samples folder --count documents --seed seed`; the number of pages written."""
    from samples import generate_batch

    return sum(d.pages for d in generate_batch(folder, count=documents, seed=seed, province=PROVINCE, agency=AGENCY))


def run_once(batch: Path, scratch: Path, workers: int, *, code: Path | None = None) -> dict[str, Any]:
    """`sohoa run` of the batch in a fresh home with its own S3 and receiver, its memory sampled;
    `code`: run the `sohoa` of another checkout (a before/after comparison)."""
    from sohoa.cost_bench import bench_home, count_answers, stored_bytes

    with bench_home(scratch, SOHOA_OCR_WORKERS=str(workers)) as (settings, env):
        child_env = {**os.environ, **env}
        if code is not None:
            child_env["PYTHONPATH"] = str(code)
        argv = [sys.executable, "-m", "sohoa.cli", "run", str(batch), "--province", PROVINCE, "--agency", AGENCY]
        started = time.perf_counter()
        with tempfile.TemporaryFile(mode="w+") as out:
            proc = subprocess.Popen(argv, env=child_env, stdout=out, stderr=subprocess.PIPE, text=True,
                                    cwd=code)
            peaks = StagePeaks(proc.pid)
            assert proc.stderr is not None
            peaks.follow(proc.stderr)
            proc.wait()
            seconds = time.perf_counter() - started
            figures = peaks.stop()
            out.seek(0)
            text = out.read()
        if proc.returncode != 0:
            raise RuntimeError(f"sohoa run exited {proc.returncode}")
        summary = json.loads(text)
        answers = count_answers(summary.get("files", []))
        return {"seconds": round(seconds, 1), **figures, "answers": dict(sorted(answers.items())),
                "stored_bytes": stored_bytes(settings)}


def measure(counts: tuple[int, ...] = (8, 40), workers: int = 2, seed: int = 5, repeats: int = 1,
            scratch: Path | None = None, code: Path | None = None) -> dict[str, Any]:
    """Peak main and tree RSS of `sohoa run` for each batch size (the highest of `repeats` runs), and
    the ratios of each size's peaks to the smallest's."""
    with tempfile.TemporaryDirectory(prefix="sohoa-memory-", dir=scratch) as tmp:
        root = Path(tmp)
        runs: dict[int, dict[str, Any]] = {}
        for count in counts:
            batch = root / f"batch-{count}"
            pages = write_batch(batch, count, seed)
            tries = []
            for i in range(repeats):
                _say(f"memory: sohoa run of {count} documents ({pages} pages), {workers} OCR workers, run {i + 1}")
                tries.append(run_once(batch, root, workers, code=code))
                _say(f"memory: {count} documents peak {tries[-1]['peak_main_mib']} MiB main, "
                     f"{tries[-1]['peak_tree_mib']} MiB tree, {tries[-1]['seconds']} s")
            worst = max(tries, key=lambda r: r["peak_main_mib"])
            runs[count] = {"documents": count, "pages": pages, **worst,
                           "peak_main_mib_runs": [r["peak_main_mib"] for r in tries],
                           "peak_tree_mib_runs": [r["peak_tree_mib"] for r in tries]}
    base = runs[min(counts)]
    ratios = {str(n): {"main": round(r["peak_main_mib"] / base["peak_main_mib"], 2),
                       "tree": round(r["peak_tree_mib"] / base["peak_tree_mib"], 2)}
              for n, r in runs.items() if n != min(counts)}
    return {"workers": workers, "seed": seed, "repeats": repeats, "runs": {str(n): r for n, r in runs.items()},
            f"ratio_to_{min(counts)}": ratios}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sohoa.memory_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=int, nargs="+", default=[8, 40])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--compare", type=Path, default=None, help="measure another checkout's `sohoa run` instead")
    args = parser.parse_args(argv)
    print(json.dumps(measure(tuple(args.counts), args.workers, args.seed, args.repeats, code=args.compare),
                     indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
