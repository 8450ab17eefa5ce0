"""Measure the page-hash distances behind `duplicates.MATCH_DISTANCE` on generated documents,
or (--queue N) the review queue's page, count and "next record" on N documents.

    python -m review.bench [--seeds 6] [--damage light] [--families tuning]
    python -m review.bench --queue 100000 [--db sqlite|postgresql|URL] [--keep DIR]

Distances in bits of `duplicates.HASH_BITS`; a document's distance is the largest over its pages
(what `find_matches` compares). Over every document type of the generator:
- one pixel changed (the same scan submitted again with a trivial edit): must match;
- the same scan saved again as JPEG (quality 75): should match;
- a re-scan: the same clean paper through the scanner model twice (new skew, shift, noise): shown,
  not required (the identity rule catches those);
- two different documents of one form (same type, different seeds, same damage level): must NOT match.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
from typing import Any

import numpy as np
from PIL import Image

from review.duplicates import HASH_BITS, MATCH_DISTANCE, STEP, hamming, page_hash
from samples import FAMILIES, parse_families, render_document
from samples._damage import apply_damage


def _one_pixel(image: Image.Image) -> Image.Image:
    pixels = np.array(image.convert("RGB"))
    y, x = pixels.shape[0] // 2, pixels.shape[1] // 2
    pixels[y, x] = 255 - pixels[y, x]
    return Image.fromarray(pixels)


def _jpeg_again(image: Image.Image) -> Image.Image:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=75)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _stats(values: list[int]) -> dict[str, Any]:
    a = np.asarray(values)
    matched = int((a <= MATCH_DISTANCE).sum())
    return {"n": len(values), "min": int(a.min()), "median": float(np.median(a)), "max": int(a.max()),
            "matched": matched}


def measure(seeds: int = 6, damage: str = "light", families: tuple[str, ...] = ("classic",)) -> dict[str, Any]:
    docs: dict[str, list[int]] = {"one_pixel": [], "jpeg_again": [], "rescan": [], "different": []}
    pages: dict[str, list[int]] = {k: [] for k in docs}
    for family, doc_type in ((f, t) for f in families for t in FAMILIES[f].document_types):
        hashes: list[list[str]] = []
        for seed in range(seeds):
            images, _ = render_document(doc_type, seed=seed, damage=damage, family=family)
            own = [page_hash(p) for p in images]
            hashes.append(own)
            for name, change in (("one_pixel", _one_pixel), ("jpeg_again", _jpeg_again)):
                d = [hamming(h, page_hash(change(p))) for p, h in zip(images, own, strict=True)]
                pages[name] += d
                docs[name].append(max(d))
            if seed < 2:  # re-scans: the clean render through two scanner passes
                clean, _ = render_document(doc_type, seed=seed, damage="none", family=family)
                d = []
                for index, page in enumerate(clean):
                    arr = np.asarray(page.convert("RGB"))
                    once, _ = apply_damage(arr, damage, np.random.default_rng([seed, index, 1]))
                    twice, _ = apply_damage(arr, damage, np.random.default_rng([seed, index, 2]))
                    d.append(hamming(page_hash(once), page_hash(twice)))
                pages["rescan"] += d
                docs["rescan"].append(max(d))
        for first, second in itertools.combinations(hashes, 2):
            if len(first) == len(second):
                d = [hamming(x, y) for x, y in zip(first, second, strict=True)]
                pages["different"] += d
                docs["different"].append(max(d))
    return {"bits": HASH_BITS, "step": STEP, "threshold": MATCH_DISTANCE, "damage": damage, "seeds": seeds,
            "families": list(families),
            "documents": {k: _stats(v) for k, v in docs.items()}, "pages": {k: _stats(v) for k, v in pages.items()}}


# ---------------------------------------------------------------- the review queue at scale
QUEUE_PROVINCES = ("Khánh Hòa", "Ninh Thuận", "Hà Nội", "Lào Cai", "Đà Nẵng", "Cần Thơ", "Huế", "Nghệ An")
# A province's archive after the pipeline: most records signed and kept, a fifth waiting for a steward.
QUEUE_STATUSES = (("synced", 50), ("approved", 15), ("needs_review", 20), ("rejected", 5), ("stored", 10))
BATCH_SIZE = 5_000


def build_queue_db(url: str, documents: int, *, seed: int = 1, chunk: int = 20_000) -> dict[str, Any]:
    """N documents (one batch per BATCH_SIZE, provinces in turn), each with one field and, when waiting
    for review, one failed rule: written with bulk inserts, then the planner's statistics."""
    import random
    import time
    from datetime import UTC, datetime

    from sqlalchemy import insert, text

    from storage.db import get_engine, upgrade
    from storage.models import Batch, Document, Field, RuleOutcome

    upgrade(url)
    rng = random.Random(seed)
    statuses = [s for s, weight in QUEUE_STATUSES for _ in range(weight)]
    types = ("giay_chung_nhan_ho_kinh_doanh", "quyet_dinh", "giay_phep_xay_dung")
    now = datetime.now(UTC)
    started = time.perf_counter()
    engine = get_engine(url)
    with engine.begin() as conn:
        batches = []
        for b in range((documents + BATCH_SIZE - 1) // BATCH_SIZE):
            province = QUEUE_PROVINCES[b % len(QUEUE_PROVINCES)]
            batches.append((conn.execute(insert(Batch).values(
                batch_key=f"bench-{seed}-{b}", province=province, agency_code=f"000.00.{b % 90:02d}.H34",
                location=f"/bench/{b}").returning(Batch.id)).scalar_one(), province))
    done = 0
    while done < documents:
        n = min(chunk, documents - done)
        with engine.begin() as conn:
            first = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM documents")).scalar_one() + 1
            docs, fields, outcomes = [], [], []
            for k in range(n):
                i, doc_id = done + k, first + k
                batch_id, province = batches[i // BATCH_SIZE]
                status = rng.choice(statuses)
                confidence = round(rng.random(), 4)
                docs.append({"id": doc_id, "batch_id": batch_id, "file_name": f"{i:08d}.png",
                             "sha256": f"{seed:04d}{i:060d}", "content_type": "image/png", "size_bytes": 300_000,
                             "page_count": 1, "province": province, "agency_code": "000.00.15.H34",
                             "document_type": types[i % len(types)], "dossier_provisional": False,
                             "status": status, "raw_key": f"raw/{i}.png", "min_confidence": confidence,
                             "review_reasons": [], "created_at": now, "updated_at": now})
                fields.append({"document_id": doc_id, "name": "holder_name", "value": "Trần Thị Bích Ngọc",
                               "confidence": confidence, "source": "ocr"})
                if status == "needs_review":
                    outcomes.append({"document_id": doc_id, "rule": "field_confidence", "field_name": "holder_name",
                                     "severity": "warning", "passed": False, "message": "độ tin cậy thấp"})
            conn.execute(insert(Document), docs)
            conn.execute(insert(Field), fields)
            if outcomes:
                conn.execute(insert(RuleOutcome), outcomes)
        done += n
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return {"documents": documents, "batches": len(batches), "build_s": round(time.perf_counter() - started, 1)}


def _timed(fn: Any, repeat: int = 5) -> tuple[float, Any]:
    """Median wall time in ms over `repeat` calls (after one warm-up call), and the last result."""
    import statistics
    import time

    result = fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1), result


def measure_queue(url: str, repeat: int = 5) -> dict[str, Any]:
    """The desk's reads as a manager and a one-province steward see them (median ms)."""
    from types import SimpleNamespace

    from sqlalchemy import func, select

    from review import service
    from storage.db import session_scope
    from storage.models import Document

    manager = SimpleNamespace(role="manager", province_names=[])
    steward = SimpleNamespace(role="steward", province_names=["Lào Cai"])
    with session_scope(url) as s:
        waiting = s.scalar(select(func.count()).select_from(Document).where(Document.status == "needs_review")) or 0
        middle = s.scalar(select(Document.id).where(Document.status == "needs_review")
                          .order_by(Document.id).offset(waiting // 2).limit(1))
    assert middle is not None, "no record waits for review"
    out: dict[str, Any] = {}
    for who, user in (("manager", manager), ("steward", steward)):
        ms, q = _timed(lambda user=user: service.queue(user, db_url=url), repeat)
        out[f"{who}_queue_page_ms"], out[f"{who}_queue_total"] = ms, q.total
        after = q.next_page
        out[f"{who}_second_page_ms"], _ = _timed(lambda user=user, after=after: service.queue(
            user, after=after, db_url=url), repeat)
        out[f"{who}_all_statuses_page_ms"], q = _timed(lambda user=user: service.queue(user, status=None, db_url=url),
                                                       repeat)
        out[f"{who}_all_statuses_rows"] = len(q.rows)
        out[f"{who}_next_first_ms"], _ = _timed(lambda user=user: service.next_doubtful(user, db_url=url), repeat)
        out[f"{who}_next_after_ms"], _ = _timed(lambda user=user: service.next_doubtful(
            user, after=middle, db_url=url), repeat)
    out["record_view_ms"], _ = _timed(lambda: service.record_view(middle, db_url=url), repeat)
    return out


def queue_bench(documents: int, db: str = "sqlite", keep: str | None = None) -> dict[str, Any]:
    import tempfile
    from pathlib import Path

    from storage._exec import postgres

    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="sohoa-queue-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    cluster = None
    try:
        if db == "sqlite":
            url = f"sqlite:///{root / f'queue-{documents}.db'}"
        elif db == "postgresql":
            cluster = postgres.start()  # its own folder, readable by the server's user
            url = postgres.create_database(cluster, "queue")
        else:
            url = db
        fresh = not (db == "sqlite" and (root / f"queue-{documents}.db").exists())
        built = build_queue_db(url, documents) if fresh else {"documents": documents, "reused": True}
        return {"database": url.split(":", 1)[0], **built, **measure_queue(url)}
    finally:
        if cluster is not None:
            postgres.stop(cluster)
        if not keep:
            import shutil

            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--damage", default="light")
    parser.add_argument("--families", default="classic", help='"tuning", "held-out", "all" or names, commas')
    parser.add_argument("--queue", type=int, default=0, metavar="N", help="time the review queue on N documents")
    parser.add_argument("--db", default="sqlite", help='with --queue: "sqlite", "postgresql" (a throwaway '
                        "cluster) or a database URL")
    parser.add_argument("--keep", default=None, help="with --queue: keep (and reuse) the database in this folder")
    args = parser.parse_args()
    if args.queue:
        print(json.dumps(queue_bench(args.queue, args.db, args.keep), indent=1, ensure_ascii=False))
        return
    print(json.dumps(measure(args.seeds, args.damage, parse_families(args.families)), indent=1))


if __name__ == "__main__":
    main()
