"""The import direction of docs/architecture.md, read from the code's own imports (ast, nothing run).

- the stage packages never import Airflow (only dags/ and plugins/ do), nor sohoa/ (the roof that calls them);
- core/ imports nothing of ours (it is the ground floor every room stands on);
- nothing outside tests imports a testing module (testing/ is for tests and benches);
- no circle of imports between top-level packages;
- a document's status is assigned in storage/documents.py only (its `transition` checks the move
  against the table of allowed moves and writes the audit entry).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Our top-level rooms: every package with an __init__.py, plus the two Airflow folders.
OURS = sorted({p.parent.name for p in REPO.glob("*/__init__.py")} | {"dags", "plugins"})
STAGES = ("core", "intake", "ocr", "extract", "schemas", "storage", "signing", "sync", "review", "roadmap", "web",
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


def test_stage_packages_never_import_the_roof() -> None:
    # sohoa/ calls the stage doors; a stage that imported it back would make a circle.
    found = [f"{path.relative_to(REPO)}: {m}" for room in STAGES if room != "sohoa" for path in _files(room)
             for m in _imports(path) if _top(m) == "sohoa"]
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


#: The one module that assigns a document's status.
STATUS_HOME = Path("storage/documents.py")
#: `.status` assignments that are not a Document's (file, the assigned expression), each checked by hand:
#: an outbox event's delivery state, a roadmap row's progress.
NOT_A_DOCUMENT = {("sync/outbox.py", "event.status"), ("roadmap/progress.py", "self.status")}


def status_assignments(path: Path, source: str | None = None) -> list[str]:
    """Every place in a file that sets a `status`: `x.status = …` (alone, in a tuple, augmented or
    annotated), `setattr(x, "status", …)` and `update(…).values(status=…)`; as "line: expression"."""
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"), str(path))
    found: list[str] = []

    def targets(node: ast.AST) -> Iterator[ast.AST]:
        if isinstance(node, ast.Tuple | ast.List):
            for item in node.elts:
                yield from targets(item)
        else:
            yield node

    for node in ast.walk(tree):
        assigned: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            assigned = [t for target in node.targets for t in targets(target)]
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            assigned = [node.target]
        for target in assigned:
            if isinstance(target, ast.Attribute) and target.attr == "status":
                found.append(f"{node.lineno}: {ast.unparse(target)}")
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name == "setattr" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                    and node.args[1].value == "status":
                found.append(f"{node.lineno}: setattr({ast.unparse(node.args[0])}, 'status')")
            elif name.endswith(".values") and any(k.arg == "status" for k in node.keywords):
                found.append(f"{node.lineno}: {name}(status=…)")
    return found


def test_only_storage_documents_assigns_a_document_status() -> None:
    found = []
    for room in OURS:
        for path in _files(room):
            where = path.relative_to(REPO)
            if where == STATUS_HOME:
                continue
            found += [f"{where}:{hit}" for hit in status_assignments(path)
                      if (str(where), hit.split(": ", 1)[1]) not in NOT_A_DOCUMENT]
    assert found == [], "set a document's status with storage.documents.transition: " + "; ".join(found)


def test_the_status_check_sees_every_way_of_assigning() -> None:
    # A guard for the test above: each of these would slip past a check that reads only `doc.status = …`.
    source = """
doc.status = 'approved'
d.status, d.failed_stage = 'failed', 'ocr'
s.get_one(Document, 1).status = 'signed'
setattr(doc, "status", "stored")
s.execute(update(Document).values(status="synced"))
"""
    assert [hit.split(": ", 1)[0] for hit in status_assignments(Path("x.py"), source)] == ["2", "3", "4", "5", "6"]
    assert status_assignments(REPO / STATUS_HOME), \
        "storage/documents.py is where the status is set: the check must find it there"
