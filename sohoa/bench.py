"""`make bench`: performance and accuracy figures (printed and written to var/bench/; never pass/fail).

    python -m sohoa.bench [--documents N] [--ocr-documents N] [--out DIR] [--only PART ...]

1. OCR accuracy and speed on 60 generated samples (seed 7; the five document types; light/medium/heavy
   damage at 300/200/150 dpi):
   CER, WER, exact match of the eight contract fields and of every schema field, per damage level
   and per field; pages per CPU-minute of the OCR alone), from `ocr.bench.measure`; OCR+extract
   throughput on 300-dpi A4; real scans against hand-made ground truth.
   Template families (samples.FAMILIES, --family-documents per family, seed 11): the same figures
   per family, the tuning families together, and the held-out family (HELD_OUT_FAMILY) apart, with
   the fields wrong at confidence >= 0.9.
   Issue 12's done-when figures (`ocr.done_when`): calibrated wrong at >= 0.9 and at the declared
   thresholds on the held-out family and the held-out real documents, exact match per field (and per
   kind) on both, the handwritten number/date read rate on held-out real documents, the small-image
   WER gap (real pages as untagged 576/830-px JPEGs against their true resolution), throughput.
2. Per-stage wall time of the batch stages run directly (no Airflow around them) against a real
   SeaweedFS server and a SQLite results DB in a scratch folder: intake, ocr, extract, validate,
   sign, store, sync (to the reference receiver over HTTP). Then ("real-batch") the 27 transcribed
   real scans as one mixed batch the same way: how many files end with each answer and each type.
3. Signing throughput (signing.bench): B-B, B-T and B-LT against a local TSA/OCSP; size overhead.
4. Storage (testing.storage_bench): S3 put/get, backup/restore into SQLite and PostgreSQL, insert rates.
5. Roadmap (roadmap.bench): seeding N documents and timing the progress queries and pages.
6. Review queue (review.bench --queue): N documents by bulk insert, then the queue page, the next
   page, the all-statuses page and "next record" as a manager and a one-province steward, on SQLite
   and on a throwaway PostgreSQL.
7. Cost (sohoa.cost_bench): `sohoa run` of --cost-documents generated documents (tuning families),
   intake to sync, one OCR worker, pinned to one core, against plain `tesseract … vie` over the same
   page images on the same core, in pairs (median of --cost-repeats): the whole pipeline's pages per
   core-minute beside plain Tesseract's, their ratio, and the run's peak RSS; then one instrumented run
   of the stages: CPU seconds per stage and per part of the OCR (`breakdown`) beside plain Tesseract's
   CPU seconds (`cpu_ratio`), the figure a loaded machine distorts least.
8. Memory (sohoa.memory_bench): `sohoa run` of --memory-counts generated documents (default 8 and 40,
   seed 5, two OCR workers, low review thresholds so that every stage sees the batch): peak RSS of the
   main process and of its process tree, per stage, and each size's ratio to the smallest (issue 16:
   at most 1.5).
9. Celery workers (testing.celery_bench): the same batch (--documents) through digitise_batch on Airflow
   with the CeleryExecutor, Redis and PostgreSQL, with one and with two Celery workers (one task and one
   Tesseract each): wall time, pages per minute, the ratio two/one, mapped instances per stage, task
   instances per worker, peak resident memory per worker (its whole process tree).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from core.settings import get_settings, reset_settings
from storage._exec.weed import free_port


def _say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def bench_ocr(samples: Path, family_samples: Path | None = None) -> dict[str, Any]:
    from core.shared import real_scans_dir
    from ocr.bench import measure, measure_real, measure_small, throughput
    from ocr.bench_fields import calibrated_reliability as real_split
    from ocr.bench_fields import measure as real_fields
    from ocr.calibrate import load_model
    from ocr.calibrate import measure_heldout as heldout_family

    _say(f"OCR: accuracy and speed on {len(list(samples.glob('*.truth.json')))} generated documents")
    figures: dict[str, Any] = {"generated": measure(samples)}
    if family_samples is not None:
        _say(f"OCR: {len(list(family_samples.glob('*.truth.json')))} documents of every template family")
        by_family = measure(family_samples)
        figures["families"] = {k: by_family[k] for k in ("documents", "pages", "by_family", "tuning_families",
                                                         "held_out_family") if k in by_family}
    _say("OCR: reliability of the calibrated confidence on the held-out template family and real pages")
    cache = samples.parent / "calibration"
    figures["reliability"] = {"fitted_on": load_model()["source"],
                              "fresh_seed": figures["generated"]["reliability"],
                              "heldout_family": heldout_family(40, cache),
                              "real_dev": real_split("dev"), "real_heldout": real_split("held-out")}
    _say("OCR: field exact match on the transcribed real documents, development and held-out apart")
    figures["real_fields"] = {split: real_fields(split).get(split, {}) for split in ("dev", "held-out")}
    _say("OCR: throughput of OCR + extraction on 300-dpi A4 pages")
    figures["throughput"] = throughput()
    _say(f"OCR: real scans ({real_scans_dir()}) against hand-made ground truth, plain Tesseract beside ours")
    figures["real_scans"] = measure_real()
    _say("OCR: the same real pages as small JPEGs without a resolution tag")
    figures["small_images"] = measure_small()
    figures["done_when"] = done_when(figures)
    return figures


def done_when(ocr: dict[str, Any]) -> dict[str, Any]:
    """Issue 12's "done when" figures, gathered from the OCR part (each is also in its own section)."""
    rel = ocr.get("reliability", {})
    family = rel.get("heldout_family", {})
    cal = family.get("calibrated", {})
    held_fields = ocr.get("families", {}).get("held_out_family", {}).get("by_field", {})
    real = ocr.get("real_fields", {}).get("held-out", {})
    return {
        "heldout_family_wrong_at_0.9": f"{cal.get('wrong_at_0.9')} of {cal.get('at_0.9')}" if cal else None,
        "heldout_family_wrong_at_0.9_share": round(cal["wrong_at_0.9"] / cal["at_0.9"], 4) if cal.get("at_0.9") else None,
        "heldout_family_wrong_at_threshold": family.get("at_threshold"),
        "heldout_family_exact_by_field": held_fields,
        "heldout_family_min_field": min(held_fields.values()) if held_fields else None,
        "real_heldout_exact_by_field": real.get("by_field_rate"),
        "real_heldout_exact_by_kind": real.get("by_kind"),
        "real_heldout_wrong_at_0.9": real.get("wrong_at_0.9"),
        "real_heldout_wrong_at_threshold": rel.get("real_heldout", {}).get("at_threshold"),
        "real_heldout_handwritten": real.get("handwritten"),
        "small_image_wer_gap_points": ocr.get("small_images", {}).get("gap_points"),
        "pages_per_min_per_core": ocr.get("throughput", {}).get("pages_per_min_per_core"),
    }


def bench_stages(samples: Path, scratch: Path, province: str = "Khánh Hòa",
                 agency: str = "000.00.15.H34") -> dict[str, Any]:
    """Run every stage function once over the sample batch; seconds per stage and per document, and
    how many files ended with each answer (processed, needs_review, rejected, failed, quarantined)."""
    from collections import Counter

    from intake import intake_batch
    from signing.pki import make_test_pki
    from sohoa import pipeline, services
    from storage.db import upgrade
    from storage.objects import ObjectStore

    home = scratch / "var"
    os.environ.update({
        "SOHOA_HOME": str(home), "SOHOA_DATABASE_URL": "", "SOHOA_S3_ENDPOINT": f"127.0.0.1:{free_port()}",
        "SOHOA_CITIZEN_WAREHOUSE_URL": f"http://127.0.0.1:{free_port()}",
        "SOHOA_CITIZEN_WAREHOUSE_TOKEN": "bench-token",
    })
    reset_settings()
    settings = get_settings()
    home.mkdir(parents=True, exist_ok=True)
    pki = make_test_pki(home / "pki", converter=settings.converter_name)
    os.environ["SOHOA_SIGNING_PKCS12"] = str(pki.agency_p12)
    os.environ["SOHOA_SIGNING_PASSWORD"] = pki.password.decode()
    reset_settings()
    settings = get_settings()
    services.start_s3(settings)
    services.start_receiver(settings)
    timings: dict[str, float] = {}
    try:
        upgrade(settings.db_url)
        store = ObjectStore(settings)
        t = time.perf_counter()
        report = intake_batch(samples, province=province, agency_code=agency, settings=settings, store=store)
        timings["intake"] = time.perf_counter() - t
        batch_id = report.batch_id
        outputs: dict[str, Any] = {}
        for stage, fn in (("ocr", pipeline.ocr_batch), ("extract", pipeline.extract_batch),
                          ("validate", pipeline.validate_batch), ("sign", pipeline.sign_batch),
                          ("store", pipeline.store_batch)):
            _say(f"stage {stage}")
            t = time.perf_counter()
            outputs[stage] = fn(batch_id, settings, store)
            timings[stage] = time.perf_counter() - t
        t = time.perf_counter()
        outputs["sync"] = pipeline.sync_batch(batch_id, settings)
        timings["sync"] = time.perf_counter() - t
        answers = Counter(a["answer"] for a in pipeline.batch_answers(batch_id))
    finally:
        services.stop_receiver(settings)
        services.stop_s3(settings)
    docs = max(len(report.accepted), 1)
    signed = max(int(outputs["sign"].get("signed", 0)), 1)
    return {
        "documents": len(report.accepted),
        "routes": outputs["validate"]["routes"],
        "answers": dict(sorted(answers.items())),
        "by_type": outputs["extract"].get("by_type"),
        "signed": outputs["sign"].get("signed", 0),
        "delivered": outputs["sync"].get("delivered", 0),
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "seconds_per_document": {k: round(v / (signed if k in ("sign", "store", "sync") else docs), 3)
                                 for k, v in timings.items()},
        "workers": settings.ocr_workers or len(os.sched_getaffinity(0)),
    }


def bench_real_batch(scratch: Path) -> dict[str, Any]:
    """Issue 12: every transcribed real scan (tests/data/real-scans, development and held-out, several
    kinds, a phone capture and a low-resolution scan) as one batch with a manifest, through every
    stage at the declared thresholds. None may fail or be refused for its kind; the rest is routing."""
    import shutil

    from core.real_scans import real_documents

    folder = scratch / "real-batch"
    folder.mkdir(parents=True)
    rows = ["file,province,agency_code,document_type,dossier_code,pages"]
    for doc in real_documents():
        shutil.copy(doc.path, folder / doc.file)
        rows.append(f"{doc.file},Lào Cai,000.00.15.H34,,,")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return bench_stages(folder, scratch / "real-stages", province="Lào Cai")


def bench_signing(count: int = 20) -> dict[str, Any]:
    from signing.bench import measure

    _say(f"signing: B-B, B-T and B-LT against a local TSA/OCSP, {count} results each")
    return measure(count)


def bench_storage() -> dict[str, Any]:
    """S3 throughput, store stage, backup/restore (SQLite and PostgreSQL), DB insert rates."""
    import subprocess

    _say("storage: S3 throughput, backup/restore, DB insert rates")
    proc = subprocess.run([sys.executable, "-m", "testing.storage_bench"], capture_output=True, text=True, check=False)
    return {"exit_code": proc.returncode, "lines": proc.stdout.strip().splitlines(),
            "error": proc.stderr.strip().splitlines()[-5:] if proc.returncode else []}


def bench_roadmap(rows: int) -> dict[str, Any]:
    """Both databases: SQLite (the embedded default) and PostgreSQL (production; issue 16 asks for 10 M there)."""
    from roadmap.bench import run

    out = {}
    for db in ("sqlite", "postgresql"):
        _say(f"roadmap: progress queries over {rows:,} seeded documents on {db}")
        out[db] = run(rows=rows, db=db)
    return out


def bench_queue(documents: int) -> dict[str, Any]:
    from review.bench import queue_bench

    out = {}
    for db in ("sqlite", "postgresql"):
        _say(f"review queue: {documents:,} documents on {db}")
        out[db] = queue_bench(documents, db)
    return out


def bench_cost(documents: int, repeats: int, scratch: Path) -> dict[str, Any]:
    from sohoa.cost_bench import measure

    _say(f"cost: sohoa run of {documents} documents against plain Tesseract on one core, {repeats} pairs")
    core = max(os.sched_getaffinity(0))  # the last core the bench may use
    return measure(documents, repeats, core, scratch=scratch, with_breakdown=True)


def bench_memory(counts: list[int], scratch: Path) -> dict[str, Any]:
    from sohoa.memory_bench import measure

    _say(f"memory: peak RSS of sohoa run on {', '.join(map(str, counts))} generated documents")
    return measure(tuple(counts), scratch=scratch)


def bench_celery(samples: Path, scratch: Path, chunk_size: int) -> dict[str, Any]:
    """A harness of testing/ (like the storage bench): run as its own program, its figures as JSON."""
    import subprocess

    _say(f"celery: one batch with one, then two workers (chunks of {chunk_size})")
    out = scratch / "celery.json"
    proc = subprocess.run([sys.executable, "-m", "testing.celery_bench", str(samples), str(scratch / "celery"),
                           "--chunk-size", str(chunk_size), "--out", str(out)], capture_output=True, text=True,
                          check=False)
    if proc.returncode or not out.exists():
        return {"exit_code": proc.returncode, "error": proc.stderr.strip().splitlines()[-10:]}
    return json.loads(out.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    from samples import DOCUMENT_TYPES, FAMILY_NAMES, generate_batch

    parser = argparse.ArgumentParser(prog="python -m sohoa.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=12,
                        help="generated documents for the stage timings (default 12)")
    parser.add_argument("--ocr-documents", type=int, default=60,
                        help="generated documents for OCR accuracy, a third per damage level (default 60)")
    parser.add_argument("--family-documents", type=int, default=6,
                        help="generated documents per template family, held-out family reported apart (default 6; "
                             "0 skips)")
    parser.add_argument("--out", type=Path, default=Path("var/bench"), help="where results.json goes")
    parser.add_argument("--roadmap-rows", type=int, default=1_000_000,
                        help="documents seeded for the roadmap query benchmark (make bench: 10 million)")
    parser.add_argument("--queue-documents", type=int, default=1_000_000,
                        help="documents seeded for the review queue benchmark (default 1 million)")
    parser.add_argument("--cost-documents", type=int, default=20,
                        help="generated documents for the whole pipeline's cost against plain Tesseract (default 20)")
    parser.add_argument("--cost-repeats", type=int, default=3, help="paired runs for the cost (default 3)")
    parser.add_argument("--memory-counts", type=int, nargs="+", default=[8, 40],
                        help="batch sizes whose peak memory of `sohoa run` is compared (default 8 40)")
    parser.add_argument("--celery-chunk-size", type=int, default=3,
                        help="SOHOA_CHUNK_SIZE of the Celery runs: small, so that a 12-document batch has chunks "
                             "for both workers (default 3)")
    parser.add_argument("--only", nargs="*", default=None,
                        choices=("ocr", "stages", "real-batch", "signing", "storage", "roadmap", "queue", "cost", "memory",
                                 "celery"),
                        help="run only these parts")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"cores": len(os.sched_getaffinity(0)), "python": sys.version.split()[0]}
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-") as tmp:
        scratch = Path(tmp)
        samples = scratch / "samples"
        _say(f"generating {args.documents} sample scans")
        generate_batch(samples, count=args.documents, seed=42)
        parts = set(args.only or ("ocr", "stages", "real-batch", "signing", "storage", "roadmap", "queue", "cost", "memory",
                                         "celery"))
        if "ocr" in parts:
            ocr_samples = scratch / "ocr-samples"
            _say(f"generating {args.ocr_documents} sample scans for OCR accuracy")
            generate_batch(ocr_samples, count=args.ocr_documents, seed=7, document_types=DOCUMENT_TYPES)
            family_samples = None
            if args.family_documents > 0:
                family_samples = scratch / "family-samples"
                _say(f"generating {args.family_documents} sample scans per template family")
                generate_batch(family_samples, count=args.family_documents * len(FAMILY_NAMES), seed=11,
                               document_types=DOCUMENT_TYPES, families=FAMILY_NAMES)
            figures["ocr"] = bench_ocr(ocr_samples, family_samples)
        if "stages" in parts:
            figures["stages"] = bench_stages(samples, scratch)
        if "real-batch" in parts:
            _say("the transcribed real scans as one batch through every stage")
            figures["real_batch"] = bench_real_batch(scratch)
        if "signing" in parts:
            figures["signing"] = bench_signing()
        if "storage" in parts:
            figures["storage"] = bench_storage()
        if "roadmap" in parts:
            figures["roadmap"] = bench_roadmap(args.roadmap_rows)
        if "queue" in parts:
            figures["queue"] = bench_queue(args.queue_documents)
        if "cost" in parts:
            figures["cost"] = bench_cost(args.cost_documents, args.cost_repeats, scratch)
        if "memory" in parts:
            figures["memory"] = bench_memory(args.memory_counts, scratch)
        if "celery" in parts:
            figures["celery"] = bench_celery(samples, scratch, args.celery_chunk_size)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    _say(f"written to {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
