"""The dependency rule: every layer imports only the layers inside it.

`domain` (aggregates and rules) imports no other layer; `application` (use cases and the
ports they need) imports only `domain`; `projections` (views) imports `domain` and
`application`; `adapters` (the outside world) may import those three; `interfaces` (HTTP, CLI,
the composition points) may import everything. Imports are read from the source (ast), at
module level and inside functions alike, so a lazy import cannot slip past the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "application", "projections", "adapters", "interfaces")
ALLOWED: dict[str, frozenset[str]] = {
    "domain": frozenset(),
    "application": frozenset({"domain"}),
    "projections": frozenset({"domain", "application"}),
    "adapters": frozenset({"domain", "application", "projections"}),
    "interfaces": frozenset({"domain", "application", "projections", "adapters"}),
}


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) for every absolute import in the tree, at any depth."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def violations(layer: str, source: str, filename: str) -> list[str]:
    """`file:line imports module` for every import of a layer `layer` may not depend on."""
    forbidden = set(LAYERS) - ALLOWED[layer] - {layer}
    return [
        f"{filename}:{line} imports {module}"
        for line, module in imported_modules(ast.parse(source, filename))
        if module.split(".")[0] in forbidden
    ]


def modules_of(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_imports_only_the_layers_inside_it(layer: str) -> None:
    files = modules_of(layer)
    assert files, f"no modules found under {layer}/"
    found = [
        problem
        for path in files
        for problem in violations(layer, path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, f"{layer}/ may import only {sorted(ALLOWED[layer])}:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("layer", "source"),
    [
        ("domain", "from application.desk import KaizenDesk"),
        ("application", "def later():\n    from adapters.dns import resolve_host\n"),
        ("application", "import projections.runner"),
        ("projections", "from adapters.election import Election"),
        ("adapters", "from interfaces.http.app import create_app"),
    ],
)
def test_a_wrong_import_is_caught_even_inside_a_function(layer: str, source: str) -> None:
    assert violations(layer, source, "example.py")


def test_imports_within_the_rule_pass() -> None:
    assert not violations("adapters", "from projections.ports import Sent\nimport domain.keys", "example.py")
    assert not violations("application", "from application.ports import Resolver", "example.py")
