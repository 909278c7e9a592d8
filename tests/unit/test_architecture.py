"""The layers' one-way dependencies (docs/architecture.md), checked on the source's imports.

Each rule names a layer and the packages it must not import; an import inside a function counts
the same as one at the top, except where a rule says "at import time". Breaking a rule fails
with the module, the line and the forbidden import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("fastapi", "starlette", "typer")
DATABASE = ("sqlalchemy", "geoalchemy2", "psycopg", "psycopg_pool", "alembic")
USE_CASES = ("service.services",)
# File formats: what is read from and written to files, never the database.
FILE_FORMATS = ("service.exports", "service.imports")
ENTRY_POINTS = ("service.main", "service.cli", "service.http_server", "service.serve")
# Leaves every layer may use, like settings: they import no other part of the service.
LEAVES = ("service.logs", "service.metrics", "service.startup_checks")


@dataclass(frozen=True)
class Rule:
    layer: str  # a package or module, dotted
    forbidden: tuple[str, ...]
    why: str
    top_level_only: bool = False


RULES = (
    Rule(
        "service.domain",
        ("service", "map_ui", "gis_data", *FRAMEWORKS, *DATABASE),
        "the domain is pure: the standard library, geo libraries, its own modules and errors",
    ),
    Rule("service.errors", ("service", *FRAMEWORKS, *DATABASE), "the error tree is pure"),
    Rule(
        "service.db",
        ("service.api", *USE_CASES, *FILE_FORMATS, *ENTRY_POINTS, "map_ui", *FRAMEWORKS),
        "repositories know tables, not HTTP, use cases or commands",
    ),
    Rule(
        "service.services",
        ("service.api", *ENTRY_POINTS, "map_ui", *FRAMEWORKS),
        "use cases take primitives, domain types and settings, never request shapes",
    ),
    *(
        Rule(
            package,
            ("service.api", "service.db", *USE_CASES, *ENTRY_POINTS, *FRAMEWORKS, *DATABASE),
            "file formats read and write files from plain values, never the database",
        )
        for package in FILE_FORMATS
    ),
    Rule("service.api", ("service.cli", "gis_data"), "the web API never runs operator commands"),
    Rule("service.cli", ("service.api", "service.main"), "commands call use cases, not routes"),
    *(
        Rule(
            leaf,
            ("service.api", "service.db", *USE_CASES, *FILE_FORMATS, *ENTRY_POINTS),
            "a leaf module",
        )
        for leaf in LEAVES
    ),
    Rule("map_ui", ("service.db", *DATABASE), "pages never touch the database"),
    Rule("gis_data", ("service.api", *ENTRY_POINTS), "data tools use the domain, not the API"),
    Rule(
        "service",
        ("map_ui", "gis_data"),
        "the service loads pages and demo tools only when asked for one",
        top_level_only=True,
    ),
)
# Known exceptions, each with the reason it stands (docs/architecture.md); none today.
ALLOWED: dict[tuple[str, str], str] = {}


def _modules(layer: str) -> Iterator[tuple[str, Path]]:
    base = ROOT / Path(*layer.split("."))
    paths = [base.with_suffix(".py")] if base.with_suffix(".py").is_file() else []
    paths += sorted(p for p in base.rglob("*.py") if "node_modules" not in p.parts)
    for path in paths:
        yield ".".join(path.relative_to(ROOT).with_suffix("").parts), path


def _imports(path: Path, top_level_only: bool) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            # `from service import cli` imports service.cli
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _own(module: str, layer: str, name: str) -> bool:
    """An import of the layer's own package, or of what a pure layer may use."""
    if _within(name, layer):
        return True
    return layer == "service.domain" and _within(name, "service.errors")


def _violations(rule: Rule) -> list[str]:
    found = []
    for module, path in _modules(rule.layer):
        for line, name in _imports(path, rule.top_level_only):
            allowed = any(m == module and _within(name, n) for m, n in ALLOWED)
            if _own(module, rule.layer, name) or allowed:
                continue
            if any(_within(name, f) for f in rule.forbidden):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return sorted(set(found))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.layer)
def test_dependency_rule(rule: Rule) -> None:
    assert _violations(rule) == [], rule.why


def test_the_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from service.api.deps import SessionDep\n", encoding="utf-8")
    assert list(_imports(bad, False))[0] == (1, "service.api.deps")
    assert any(_within("service.api.deps", f) for f in RULES[0].forbidden)


def test_every_allowed_exception_still_exists() -> None:
    for module, name in ALLOWED:
        path = ROOT / Path(*module.split(".")).with_suffix(".py")
        assert any(n == name for _, n in _imports(path, False)), (module, name)


def test_errors_are_mapped_to_http_in_one_place() -> None:
    """Only service/api/error_answers.py registers exception handlers."""
    home = ROOT / "service" / "api" / "error_answers.py"
    found = []
    for path in sorted((ROOT / "service").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "attr", None)
            if name in ("exception_handler", "add_exception_handler") and path != home:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")  # type: ignore[attr-defined]
    assert found == []
