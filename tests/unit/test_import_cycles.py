"""No two of the project's modules import each other, directly or round a longer loop.

A cycle makes the import order matter (whichever module is imported first sees the other half
initialised) and usually means one module was split in two while still sharing private names.
Imports inside functions count too: deferring an import to call time hides a cycle, it does not
break it. Only `if TYPE_CHECKING:` blocks are left out, because they never run.

Importing `a.b.c` also runs `a/__init__.py` and `a/b/__init__.py`, so those packages count as
imported as well, except the importer's own enclosing packages (already being initialised when
it runs). That is what makes a package `__init__` that re-exports from its submodules a cycle as
soon as anything below it imports a sibling package's module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = ("domain", "application", "adapters", "projections", "interfaces", "bench", "tests")


def project_modules() -> dict[str, Path]:
    """Every module of the project by dotted name (a package by its `__init__.py`)."""
    modules: dict[str, Path] = {}
    for top in TOP_LEVEL:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, at module level or in a function or class body."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for branch in child.orelse:
                yield from _imports_in(branch)
            continue
        yield from _imports_in(child)


def _imports_in(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    yield from _imports(node)


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules that running `name` imports (itself and its own packages left out)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()

    def add(target: str) -> None:
        parts = target.split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            if prefix in modules and prefix != name and not name.startswith(prefix + "."):
                found.add(prefix)

    for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
            continue
        base = package[: len(package) - node.level + 1] if node.level else []
        source = ".".join([*base, node.module] if node.module else base)
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            add(submodule if submodule in modules else source)
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles


def test_no_project_modules_import_each_other_in_a_cycle() -> None:
    modules = project_modules()
    graph = {name: imported_modules(name, path, modules) for name, path in modules.items()}
    assert import_cycles(graph) == []


def test_the_cycle_check_sees_deferred_and_package_imports(tmp_path: Path) -> None:
    """The check itself: a function-level import and a re-exporting package close a loop, a
    `TYPE_CHECKING` import does not."""
    files = {
        "pkg/__init__.py": "from pkg.app import create_app\n",
        "pkg/app.py": "def create_app() -> None:\n    from other import helper\n",
        "pkg/settings.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from quiet import Q\n",
        "other.py": "from pkg.settings import Settings\n",  # runs pkg/__init__.py first
        "quiet.py": "from pkg import settings\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    modules = {"pkg": tmp_path / "pkg/__init__.py", "other": tmp_path / "other.py", "quiet": tmp_path / "quiet.py"}
    modules |= {f"pkg.{leaf}": tmp_path / f"pkg/{leaf}.py" for leaf in ("app", "settings")}
    graph = {name: imported_modules(name, path, modules) for name, path in modules.items()}
    assert graph["pkg.settings"] == set() and graph["quiet"] == {"pkg", "pkg.settings"}
    assert import_cycles(graph) == [["other", "pkg", "pkg.app"]]
