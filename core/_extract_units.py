"""Regenerate the administrative-unit data files from the published lists (see data/SOURCES.md).

    python -m core._extract_units NEW_DIVISIONS_JSON OLD_DIVISIONS_JSON

NEW: `nested-divisions.json` of the vietnam-provinces 2025.10.1 wheel (34 provinces, 3,321 communes,
from the Statistics Office's list for Decision 19/2025/QĐ-TTg). OLD: the same file of vietnam-provinces
0.6.0 (63 provinces, 696 districts, 10,051 communes as of 4 January 2025). The script only reshapes:
every code and name is copied as published, names are stripped of stray spaces. The 0.6.0 file's
`division_type` of districts and communes is left out: it labels every district "huyện" and every
ward "xã"; the unit's kind is in its name ("Quận …", "Phường …").
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

DATA = Path(__file__).parent / "data"
_CITY = "Thành phố "


def _short(name: str) -> str:
    return name.strip().removeprefix(_CITY)


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main(new_json: str, old_json: str) -> None:
    new = json.loads(Path(new_json).read_text(encoding="utf-8"))
    old = json.loads(Path(old_json).read_text(encoding="utf-8"))
    _write(DATA / "provinces_2025_codes.csv", ["code", "name", "full_name"],
           [[f"{p['code']:02d}", _short(p["name"]), p["name"].strip()] for p in new])
    _write(DATA / "communes_2025.csv", ["code", "name", "division_type", "province_code"],
           [[f"{w['code']:05d}", w["name"].strip(), w["division_type"], f"{p['code']:02d}"]
            for p in new for w in p["wards"]])
    _write(DATA / "districts_2024.csv", ["code", "name", "old_province_code"],
           [[f"{d['code']:03d}", d["name"].strip(), f"{p['code']:02d}"]
            for p in old for d in p["districts"]])
    _write(DATA / "communes_2024.csv", ["code", "name", "district_code"],
           [[f"{w['code']:05d}", w["name"].strip(), f"{d['code']:03d}"]
            for p in old for d in p["districts"] for w in d["wards"]])


if __name__ == "__main__":
    main(*sys.argv[1:3])
