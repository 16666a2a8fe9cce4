"""The HTTP layer's shape (issue 19): `gql_portal/http/` sits on top, its routes share helpers
from below and never from each other, and no import hides inside a function to dodge a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "gql_portal"
HTTP = PACKAGE / "http"
# Route modules: only app.py (which mounts them) may import them.
ROUTES = {"gql_portal.http.graphql", "gql_portal.http.files", "gql_portal.http.health"}
# Above the HTTP layer: uvicorn's factory.
ON_TOP = {PACKAGE / "asgi.py"}


def imported_modules(tree: ast.AST) -> set[str]:
    """Every gql_portal module an import statement anywhere in `tree` names (a `from x import y`
    counts as both x and x.y: y may be a module)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("gql_portal")}


def local_imports(tree: ast.AST) -> list[int]:
    """Lines of imports inside a function."""
    return [
        inner.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
        if isinstance(inner, ast.Import | ast.ImportFrom)
    ]


def parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"))


def test_nothing_below_imports_the_http_layer() -> None:
    below = [
        path for path in PACKAGE.rglob("*.py") if HTTP not in path.parents and path not in ON_TOP
    ]
    assert len(below) > 50  # the whole package was looked at
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in imported_modules(parsed(path)) if name.startswith("gql_portal.http")
        )
        for path in below
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_routes_share_helpers_from_below_not_from_each_other() -> None:
    modules = sorted(HTTP.glob("*.py"))
    assert {f"gql_portal.http.{path.stem}" for path in modules} >= ROUTES
    borrowed = {
        path.name: sorted(imported_modules(parsed(path)) & ROUTES)
        for path in modules
        if path.name != "app.py"
    }
    assert {name: routes for name, routes in borrowed.items() if routes} == {}


def test_no_function_local_imports_in_the_http_layer() -> None:
    hidden = {path.name: local_imports(parsed(path)) for path in sorted(HTTP.glob("*.py"))}
    assert {name: lines for name, lines in hidden.items() if lines} == {}
