"""One-way imports (issue 19): `lint-imports` (in `make lint`) checks the contracts in
pyproject.toml; these tests keep the contracts whole. Every module has its place in the layers
(a new one that is not named there would be checked by nothing), and no import hides inside a
function to dodge a cycle (import-linter sees those, but a cycle they make only fails at
run time, on the first call)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "gql_portal"
# Imports inside functions that are there for a reason other than a cycle: the command line
# (and the demo it loads) imports per command, so `gql-portal db upgrade` or `mail` do not
# load the GraphQL schema and resolvers.
LAZY_FOR_START_UP = {"cli.py", "demo/load.py"}


def contracts() -> list[dict[str, object]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    found: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return found


def layered_modules() -> set[str]:
    """Every module a layer names (optional ones in parentheses too)."""
    (layers,) = [c["layers"] for c in contracts() if c["type"] == "layers"]
    assert isinstance(layers, list)
    names: set[str] = set()
    for layer in layers:
        for separator in ("|", ":"):
            layer = layer.replace(separator, ",")
        names |= {name.strip().strip("()") for name in layer.split(",")}
    return names


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_module_has_its_place_in_the_layers() -> None:
    """Top-level modules and packages by name; schema/ and resolvers/ module by module (their
    modules sit in different layers: roots, behaviour, types, loaders, helpers)."""
    wanted = {
        module_name(path)
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" and path.name != "__init__.py") or (path / "__init__.py").is_file()
    }
    for package in ("schema", "resolvers"):
        wanted.remove(f"gql_portal.{package}")
        wanted |= {
            module_name(path)
            for path in (PACKAGE / package).glob("*.py")
            if path.name != "__init__.py"
        }
    assert len(wanted) > 60
    assert sorted(wanted - layered_modules()) == []


def test_the_layers_name_no_module_that_is_gone() -> None:
    (layers,) = [c["layers"] for c in contracts() if c["type"] == "layers"]
    assert isinstance(layers, list)
    optional = {
        name.strip()[1:-1]
        for layer in layers
        for name in layer.replace("|", ":").split(":")
        if name.strip().startswith("(")
    }
    gone = {
        name
        for name in layered_modules() - optional
        if not (PACKAGE.parent / (name.replace(".", "/") + ".py")).is_file()
        and not (PACKAGE.parent / name.replace(".", "/") / "__init__.py").is_file()
    }
    assert sorted(gone) == []


def local_imports(path: Path) -> list[str]:
    """`module:line` of every gql_portal import inside a function of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and (
                    inner.level or (inner.module or "").startswith("gql_portal")
                ):
                    found.append(f"{inner.module}:{inner.lineno}")
                elif isinstance(inner, ast.Import) and any(
                    alias.name.startswith("gql_portal") for alias in inner.names
                ):
                    found.append(f"{inner.names[0].name}:{inner.lineno}")
    return found


def test_no_import_hides_inside_a_function() -> None:
    hidden = {
        str(path.relative_to(PACKAGE)): local_imports(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if str(path.relative_to(PACKAGE)) not in LAZY_FOR_START_UP
    }
    assert len(hidden) > 100  # the whole package was looked at
    assert {name: lines for name, lines in hidden.items() if lines} == {}


def test_type_only_imports_are_left_out_of_the_contracts() -> None:
    """`if TYPE_CHECKING:` imports make no run-time cycle; the contracts are about run time."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["importlinter"]["exclude_type_checking_imports"] is True
