"""Every exception class of the project crosses a process boundary intact (issue 13) and carries
its exit code (issue 11).

A ProcessPoolExecutor worker sends its exception to the parent by pickling it; an exception whose
__init__ cannot be called again with its pickled arguments breaks the pool, and every pending
document fails with it. The CLI's one handler (sohoa/cli.py) ends with the error's `exit_code`;
a class that only a defect could bring to the command line says so with ExitCode.UNEXPECTED.
The classes are discovered, not listed: a new error class is covered the day it is written.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import pickle
import pkgutil
import types
import typing
from pathlib import Path

import pytest

from core.errors import exit_code_of, one_line
from core.exitcodes import ExitCode

# The packages of the project (dags/ and plugins/ import Airflow, and define no error classes).
PACKAGES = ("core", "intake", "ocr", "review", "roadmap", "samples", "schemas", "signing", "sohoa", "storage", "sync",
            "testing", "web")
_SKIP_MODULES = ("storage.migrations",)  # Alembic scripts run only inside Alembic's context


def _project_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        try:
            module = importlib.import_module(package)
        except ModuleNotFoundError:
            continue  # core/ lands with another change
        names.append(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if not info.name.startswith(_SKIP_MODULES):
                names.append(info.name)
    return names


def _exception_classes() -> list[type[BaseException]]:
    for name in _project_modules():
        importlib.import_module(name)
    found: set[type[BaseException]] = set()
    todo: list[type[BaseException]] = [BaseException]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in PACKAGES:
                found.add(sub)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _value_for(annotation: object, name: str) -> object:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _value_for(options[0], name) if options else None
    if origin in (list, tuple, set, frozenset, dict):
        return origin()
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return next(iter(annotation))
        if issubclass(annotation, bool):
            return True
        if issubclass(annotation, int):
            return 7
        if issubclass(annotation, float):
            return 0.5
        if issubclass(annotation, Path):
            return Path(f"/tmp/{name}.pdf")
    return f"{name} — giá trị thử"  # str, and anything a message can stand for


def _instance(cls: type[BaseException]) -> BaseException:
    init = cls.__init__
    if init is BaseException.__init__ or init is Exception.__init__ or not inspect.isfunction(init):
        return cls("Tệp hỏng: giá trị thử")
    try:
        hints = typing.get_type_hints(init)
    except Exception:
        hints = {}
    args, kwargs = [], {}
    for param in list(inspect.signature(init).parameters.values())[1:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        value = _value_for(hints.get(param.name, str), param.name)
        if param.default is not param.empty and param.kind != param.KEYWORD_ONLY:
            args.append(value)  # optional ones too: their state must survive as well
        elif param.kind == param.KEYWORD_ONLY:
            kwargs[param.name] = value
        else:
            args.append(value)
    return cls(*args, **kwargs)


CLASSES = _exception_classes()


def test_the_discovery_finds_the_project_errors() -> None:
    names = {c.__qualname__ for c in CLASSES}
    assert {"OcrError", "EngineFailed", "RejectedFile", "StoreUnavailable", "SigningKeyError", "ToolError",
            "WorkerDied"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_error_survives_pickling(cls: type[BaseException]) -> None:
    original = _instance(cls)
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is cls
    assert str(copy) == str(original)
    assert copy.args == original.args
    assert {k: repr(v) for k, v in vars(copy).items()} == {k: repr(v) for k, v in vars(original).items()}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_error_carries_its_exit_code(cls: type[BaseException]) -> None:
    assert isinstance(getattr(cls, "exit_code", None), ExitCode), (
        f"{cls.__qualname__} needs `exit_code: ExitCode` (core/exitcodes.py), or ExitCode.UNEXPECTED when only "
        "a defect could bring it to the command line")
    error = _instance(cls)
    code = exit_code_of(error)
    assert code == error.exit_code  # type: ignore[attr-defined]
    assert code == exit_code_of(pickle.loads(pickle.dumps(error)))  # a worker's error ends the same way
    line = one_line(error)
    assert "\n" not in line and line.split(":")[0].strip(), line


def test_the_exit_codes_in_use_are_the_documented_ones() -> None:
    # README and core/exitcodes.py document these; a class may not invent another.
    assert {c.exit_code for c in CLASSES} <= set(ExitCode) - {ExitCode.OK, ExitCode.INTERRUPTED}  # type: ignore[attr-defined]
    assert {ExitCode.BAD_INPUT, ExitCode.KEY_ERROR, ExitCode.SERVICE_UNAVAILABLE, ExitCode.EXTERNAL_TOOL_FAILED,
            ExitCode.USAGE, ExitCode.UNEXPECTED} <= {c.exit_code for c in CLASSES}  # type: ignore[attr-defined]
