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


#: Circles inside ocr/ still allowed until they are fixed (as sets of modules, by file stem). None
#: left: calibrate reads pages through ocr.reading, not through the package door.
OCR_CIRCLES_ALLOWED: list[set[str]] = []


def ocr_import_arrows(sources: dict[str, str], packages: frozenset[str] = frozenset()) -> dict[str, set[str]]:
    """Which module of ocr/ imports which (file stems; "__init__" is the package door), from every
    import in a file, at the top or inside a function: `from ocr.x import …`, `import ocr.x`,
    `from ocr import x` (x a module, else the door), `from . import x`, `from .x import …`. An import
    of a subpackage (`packages`: ocr/_exec, the one seam per external tool) is no arrow here."""
    arrows: dict[str, set[str]] = {name: set() for name in sources}

    def target(parts: list[str]) -> str:
        return parts[0] if parts and (parts[0] in sources or parts[0] in packages) else "__init__"

    for name, source in sources.items():
        for node in ast.walk(ast.parse(source, name)):
            found: list[str] = []
            if isinstance(node, ast.Import):
                found = [target(a.name.split(".")[1:]) for a in node.names if _top(a.name) == "ocr"]
            elif isinstance(node, ast.ImportFrom) and (node.level == 1 or node.module and _top(node.module) == "ocr"):
                below = (node.module or "").split(".")[0 if node.level else 1:]
                below = [p for p in below if p]
                found = [target(below)] if below else [target([a.name]) for a in node.names]
            arrows[name] |= {t for t in found if t != name and t not in packages}
    return arrows


def import_circles(arrows: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of more than one module (Tarjan): each holds an import circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(arrows[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(arrows):
        if v not in index:
            visit(v)
    return groups


def _ocr_arrows() -> dict[str, set[str]]:
    ocr = REPO / "ocr"
    sources = {p.stem: p.read_text(encoding="utf-8") for p in sorted(ocr.glob("*.py"))}
    return ocr_import_arrows(sources, frozenset(p.parent.name for p in ocr.glob("*/__init__.py")))


def test_ocr_modules_import_one_way() -> None:
    # Low modules of primitives (tsv, segments, labels, fields, signature, labelled) at the bottom, the
    # second readings above them, the engine and the extractor above those: no module imports back
    # up, not even lazily inside a function (a deferred import only hides a circle).
    circles = [c for c in import_circles(_ocr_arrows()) if c not in OCR_CIRCLES_ALLOWED]
    assert circles == [], " ; ".join(" <-> ".join(sorted(c)) for c in circles)


def test_the_ocr_circle_check_sees_lazy_and_relative_imports() -> None:
    # A guard for the test above: each of these arrows would be missed by a check reading only the
    # top-level `from ocr.x import` lines.
    sources = {
        "__init__": "def read():\n    from ocr.b import f\n",
        "a": "def g():\n    from ocr.b import f\n",
        "b": "from ocr import c\n",
        "c": "from . import a\nimport ocr.d\n",
        "d": "from .a import g\nfrom ocr import read\n",
    }
    arrows = ocr_import_arrows(sources)
    assert arrows == {"__init__": {"b"}, "a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"a", "__init__"}}
    assert import_circles(arrows) == [{"__init__", "a", "b", "c", "d"}]
    assert import_circles({"a": {"b"}, "b": set()}) == []
    assert ocr_import_arrows({"a": "from ocr._exec import tool\n"}, frozenset({"_exec"})) == {"a": set()}
    real = _ocr_arrows()
    assert "tesseract_engine" in real["engine"]  # engine.py imports its engines inside a function
