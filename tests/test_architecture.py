"""The import direction of docs/architecture.md, read from the code's own imports (ast, nothing run).

- the stage packages never import Airflow (only dags/ and plugins/ do);
- core/ imports nothing of ours (it is the ground floor every room stands on);
- nothing outside tests imports a testing module (testing/ is for tests and benches);
- no circle of imports between top-level packages.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Our top-level rooms: every package with an __init__.py, plus the two Airflow folders.
OURS = sorted({p.parent.name for p in REPO.glob("*/__init__.py")} | {"dags", "plugins"})
STAGES = ("core", "intake", "ocr", "schemas", "storage", "signing", "sync", "review", "roadmap", "web",
          "samples", "sohoa")


def _imports(path: Path) -> Iterator[str]:
    """Every absolute module name a file imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def _files(room: str) -> list[Path]:
    return sorted((REPO / room).rglob("*.py"))


def _top(module: str) -> str:
    return module.split(".")[0]


def test_the_rooms_are_found() -> None:
    # A guard for the tests below: they would pass on an empty list.
    assert {"core", "ocr", "storage", "sohoa", "testing", "web"} <= set(OURS)
    assert all(_files(room) for room in STAGES)


def test_stage_packages_never_import_airflow() -> None:
    found = [f"{path.relative_to(REPO)}: {m}" for room in STAGES for path in _files(room)
             for m in _imports(path) if _top(m) == "airflow"]
    assert found == []


def test_core_imports_nothing_of_ours() -> None:
    found = [f"{path.relative_to(REPO)}: {m}" for path in _files("core")
             for m in _imports(path) if _top(m) in OURS and _top(m) != "core"]
    assert found == []


def test_nothing_outside_tests_imports_a_testing_module() -> None:
    # Benches (*/bench.py, testing/*) are measurement harnesses, like tests: they may.
    def is_testing(module: str) -> bool:
        return _top(module) == "testing" or module.split(".")[-1] == "testing"

    found = [f"{path.relative_to(REPO)}: {m}" for room in OURS if room != "testing" for path in _files(room)
             if path.name != "bench.py" for m in _imports(path) if is_testing(m)]
    assert found == []


def test_no_import_circle_between_top_level_packages() -> None:
    arrows: dict[str, set[str]] = {room: set() for room in OURS}
    for room in OURS:
        for path in _files(room):
            arrows[room] |= {_top(m) for m in _imports(path) if _top(m) in OURS and _top(m) != room}

    circles: list[list[str]] = []

    def walk(room: str, trail: list[str]) -> None:
        for target in sorted(arrows[room]):
            if target in trail:
                circles.append(trail[trail.index(target):] + [target])
            elif target not in done:
                walk(target, trail + [target])
        done.add(room)

    done: set[str] = set()
    for room in OURS:
        if room not in done:
            walk(room, [room])
    assert circles == [], " ; ".join(" -> ".join(c) for c in circles)
