"""Accuracy and speed figures on generated samples (printed by `make bench`; never a pass/fail test).

    from ocr.bench import measure
    figures = measure(Path("var/samples"))   # a folder written by sohoa.samples.generate_batch

CER/WER are edit distances over the page text (truth["text"], rows joined by newlines; whitespace
collapsed), field exact match over every truth field that the document type's schema lists."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from ocr import extract_fields, load_pages, ocr_pages


def _distance(a: list[str] | str, b: list[str] | str) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def _norm(text: str) -> str:
    return " ".join(text.split())


def measure(samples_dir: Path, *, workers: int = 0, **engine_options: Any) -> dict[str, Any]:
    """{"documents", "pages", "seconds", "pages_per_min_per_core", "by_damage": {level: {cer, wer,
    field_exact_match, fields}}, "overall": {...}} for every `*.truth.json` in `samples_dir`."""
    from ocr.engine import get_engine

    engine = get_engine("tesseract", **engine_options)
    per: dict[str, dict[str, float]] = {}
    pages_total, t0, cpu = 0, time.perf_counter(), 0.0
    for truth_file in sorted(Path(samples_dir).glob("*.truth.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        scan = truth_file.with_name(truth_file.name[: -len(".truth.json")])
        c0 = os.times()
        result = ocr_pages(load_pages(scan), engine=engine, workers=workers)
        c1 = os.times()
        # Child CPU time is tesseract's; per-core throughput = pages / CPU minutes of the OCR alone.
        cpu += (c1.user - c0.user) + (c1.system - c0.system) + (c1.children_user - c0.children_user) \
            + (c1.children_system - c0.children_system)
        pages_total += len(result.pages)
        ref = _norm("\n".join("\n".join(rows) for rows in truth["text"]))
        hyp = _norm(result.text())
        extraction = extract_fields(result, truth["document_type"])
        acc = per.setdefault(truth.get("damage", "?"), dict.fromkeys(
            ("chars", "char_err", "words", "word_err", "fields", "field_ok", "docs"), 0.0))
        acc["chars"] += len(ref)
        acc["char_err"] += _distance(ref, hyp)
        acc["words"] += len(ref.split())
        acc["word_err"] += _distance(ref.split(), hyp.split())
        acc["docs"] += 1
        for name, want in truth["fields"].items():
            if name in extraction.fields and want is not None:
                acc["fields"] += 1
                acc["field_ok"] += extraction.fields[name].value == want
    seconds = time.perf_counter() - t0

    def figures(a: dict[str, float]) -> dict[str, Any]:
        return {"documents": int(a["docs"]), "cer": round(a["char_err"] / max(a["chars"], 1), 4),
                "wer": round(a["word_err"] / max(a["words"], 1), 4),
                "field_exact_match": round(a["field_ok"] / max(a["fields"], 1), 4), "fields": int(a["fields"])}

    overall = {k: sum(a[k] for a in per.values()) for k in
               ("chars", "char_err", "words", "word_err", "fields", "field_ok", "docs")}
    return {"documents": int(overall["docs"]), "pages": pages_total, "seconds": round(seconds, 1),
            "pages_per_min_per_core": round(pages_total / max(cpu, 1e-9) * 60, 2),
            "by_damage": {k: figures(v) for k, v in sorted(per.items())}, "overall": figures(overall)}


if __name__ == "__main__":
    print(json.dumps(measure(Path(sys.argv[1])), ensure_ascii=False, indent=2))
