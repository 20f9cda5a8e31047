"""The import contract of the package: layers, pure stages, private names, no cycles.

Every ``import`` in ``mailflow/`` counts, at module level or inside a function (a function-level
import only hides a cycle, it does not remove it); imports under ``if TYPE_CHECKING:`` count too.
The rules, from design.md §2:

1. A module imports only from its own layer or the layers below it (`LAYERS`, top first).
2. ``mailflow.reading`` and ``mailflow.report`` import neither SQLAlchemy nor ``mailflow.ledger``:
   they are pure and never touch the database.
3. No module imports a ``_private`` name of another module.
4. No import cycle between modules.

`KNOWN` lists violations that remain while their owner reworks that part of the package, each
with a comment naming who and why; the test fails both for a new violation and for an entry that
no longer happens, so the list only shrinks. An AST walk was chosen over import-linter: it needs
no dependency, and import-linter has no contract for rule 3.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import mailflow

PACKAGE = Path(mailflow.__file__).parent

#: Top first. A module's layer is that of its longest listed prefix.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("mailflow.cli", "mailflow.demo", "mailflow.web", "mailflow.testing", "mailflow.__main__"),
    ("mailflow.service",),
    ("mailflow.app",),
    ("mailflow.campaign", "mailflow.pipeline", "mailflow.alerts"),
    ("mailflow.intake",),
    (
        "mailflow.members",
        "mailflow.submissions",
        "mailflow.views",
        "mailflow.browse",
        "mailflow.decisions",
        "mailflow.accounts",
        "mailflow.signin",
    ),
    ("mailflow.answering", "mailflow.report"),
    ("mailflow.ledger",),
    ("mailflow.reading", "mailflow.sources", "mailflow.auth"),
    (
        "mailflow",  # the package's own __init__
        "mailflow.config",
        "mailflow.config_loader",
        "mailflow.config_file",
        "mailflow.states",
        "mailflow.errors",
        "mailflow.notices",
        "mailflow.resources",
        "mailflow.untrusted",
        "mailflow.logs",
        "mailflow.redact",
        "mailflow.collector",
        "mailflow.lazy",
    ),
)

PURE = ("mailflow.reading", "mailflow.report")
IMPURE = ("sqlalchemy", "mailflow.ledger")

#: Violations that remain, as (rule, text of `_violations`); each names its owner.
KNOWN: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import in the module."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                # `from package import module` imports the module
                if f"{module}.{alias.name}" in MODULES:
                    yield f"{module}.{alias.name}", None, node.lineno
                else:
                    yield module, alias.name, node.lineno


def _owner(module: str) -> str:
    """The module of ours that ``module`` names (a package's __init__ for a package)."""
    while module and module not in MODULES:
        module = module.rpartition(".")[0]
    return module


def _layer(module: str) -> int:
    best, layer = -1, -1  # the longest prefix wins; the package itself only as itself
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            inside = module == prefix or (prefix != "mailflow" and module.startswith(prefix + "."))
            if inside and len(prefix) > best:
                best, layer = len(prefix), index
    assert layer >= 0, f"{module} is in no layer: add it to LAYERS"
    return layer


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for module, _, _ in _imports(name, path):
            if module == "mailflow" or module.startswith("mailflow."):
                target = _owner(module)
                if target != name:
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _violations() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for name, path in MODULES.items():
        here = _layer(name)
        for module, imported, line in _imports(name, path):
            where = f"{name}:{line}"
            ours = module == "mailflow" or module.startswith("mailflow.")
            if ours and _layer(_owner(module)) < here:
                found.add(("layer", f"{where} imports {_owner(module)} from a layer above"))
            if name.startswith(PURE) and any(
                module == impure or module.startswith(impure + ".") for impure in IMPURE
            ):
                found.add(("pure", f"{where} imports {module}"))
            if (
                ours
                and imported is not None
                and imported.startswith("_")
                and not imported.startswith("__")
                and imported != "_"  # gettext's conventional name, not a private one
                and _owner(module) != name
            ):
                found.add(("private", f"{where} imports {module}.{imported}"))
    for cycle in _cycles(_graph()):
        found.add(("cycle", " <-> ".join(cycle)))
    return found


def test_every_module_has_a_layer() -> None:
    assert [name for name in MODULES if _layer(name) < 0] == []


@pytest.mark.parametrize("rule", ["layer", "pure", "private", "cycle"])
def test_import_contract_has_no_new_violation(rule: str) -> None:
    found = {v for v in _violations() if v[0] == rule}
    assert sorted(found - KNOWN) == []


def test_import_contract_known_violations_still_happen() -> None:
    """An entry of `KNOWN` that no longer happens must be removed, so the list only shrinks."""
    assert sorted(KNOWN - _violations()) == []


def test_only_the_tests_and_the_benchmark_import_the_server_harness() -> None:
    users = sorted(
        name
        for name, path in MODULES.items()
        if not name.startswith("mailflow.testing")
        for module, _, _ in _imports(name, path)
        if module.startswith("mailflow.testing")
    )
    assert users == []


def test_import_contract_sees_a_function_level_cycle(tmp_path: Path) -> None:
    a = tmp_path / "a.py"
    a.write_text("def f():\n    from mailflow.b import g  # deferred\n")
    b = tmp_path / "b.py"
    b.write_text("from mailflow.a import f\nfrom mailflow.c import _hidden\n")
    graph = {"mailflow.a": set(), "mailflow.b": set()}
    for name, path in (("mailflow.a", a), ("mailflow.b", b)):
        graph[name] = {m for m, _, _ in _imports(name, path) if m in graph}
    private = [i for m, i, _ in _imports("mailflow.b", b) if i and i.startswith("_")]

    assert (_cycles(graph), private) == ([["mailflow.a", "mailflow.b"]], ["_hidden"])
