"""Reach is decided in gql_portal/permissions/ only (issue 19): no resolver compares a row's
company or owner with the viewer's by hand, looks the matrix up itself, or calls db/scope.py
`reaches`. Resolvers read through the row scope (`ctx.database.scoped(ctx.access[, op])`) or
ask a named decision of permissions/ (`Access.admits`, `Access.owns`, `Access.reaches_any`,
`Access.reaches_company`, a rule in permissions/rules.py).

The check parses every module of gql_portal/resolvers/ with `ast`. What it finds, unless the
allow-list below names the function and says why it is no reach decision:
- a comparison (==, !=, in, not in) with `<...>.access.<company_id | employee_id |
  owner_employee_id | firm_id | client_ids | full_client_ids>` on one side (also as the
  argument of SQL `.in_()` / `.not_in()`);
- a call of `reaches(...)`, or of `<...>.access.reach / row_scope / firm_reach(...)`.
Naming the session's company on a NEW row (`company_id=ctx.access.company_id`) is no
comparison, and `access.employee_id is None` (does the viewer have a record) neither.
"""

from __future__ import annotations

import ast
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

RESOLVERS = REPO / "gql_portal" / "resolvers"
VIEWER_IDS = frozenset(
    {"company_id", "employee_id", "owner_employee_id", "firm_id", "client_ids", "full_client_ids"}
)
MATRIX_LOOKUPS = frozenset({"reach", "row_scope", "firm_reach"})
COMPARING = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)

# (module, function) -> why it is not a reach decision. Keep it short; a "to do" is a reach
# decision still to move into permissions/. An entry that matches nothing fails the test.
ALLOWED: dict[tuple[str, str], str] = {
    ("accounts.py", "activate"): "system work on the unscoped session: is the user an "
    "administrator of their own session company (their membership row, not company data)",
    ("collaborations.py", "_other_side"): "which side of a collaboration the viewer is on "
    "(the other company to show); the row scope already decided the viewer reaches it",
    ("collaborations.py", "accept_collaboration"): "which side answers a proposal "
    "(BAD_USER_INPUT OWN_PROPOSAL), on a row the write scope already reached",
    ("collaborations.py", "invite_firm"): "input validation: a company cannot invite itself",
    ("collaborations.py", "request_collaboration"): "input validation: a firm cannot ask itself",
}


@dataclass(frozen=True)
class Finding:
    module: str
    function: str
    line: int
    code: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} in {self.function}(): {self.code}"


def _dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of names and attributes; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _is_access(node: ast.expr) -> bool:
    """`access`, `ctx.access`, `info.context.access`, ...: the viewer's Access."""
    dotted = _dotted(node)
    return dotted is not None and dotted.split(".")[-1] == "access"


def _is_viewer_id(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in VIEWER_IDS and _is_access(node.value)


class _Finder(ast.NodeVisitor):
    def __init__(self, module: str, source: str) -> None:
        self.module = module
        self.source = source
        self.scope: list[str] = []
        self.found: list[Finding] = []

    def _add(self, node: ast.expr) -> None:
        code = ast.get_source_segment(self.source, node) or ast.unparse(node)
        function = ".".join(self.scope) or "<module>"
        self.found.append(Finding(self.module, function, node.lineno, " ".join(code.split())))

    def _enter(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _enter

    def visit_Compare(self, node: ast.Compare) -> None:
        if any(isinstance(op, COMPARING) for op in node.ops) and any(
            _is_viewer_id(side) for side in (node.left, *node.comparators)
        ):
            self._add(node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        looks_up = isinstance(func, ast.Attribute) and (
            (name in MATRIX_LOOKUPS and _is_access(func.value))
            or (name in ("in_", "not_in") and any(_is_viewer_id(arg) for arg in node.args))
        )
        if name == "reaches" or looks_up:
            self._add(node)
        self.generic_visit(node)


def hand_made_reach(source: str, module: str = "snippet.py") -> list[Finding]:
    """Every place in `source` that decides reach by hand (before the allow-list)."""
    finder = _Finder(module, source)
    finder.visit(ast.parse(source, filename=module))
    return finder.found


def findings_in(directory: Path) -> list[Finding]:
    found: list[Finding] = []
    for path in sorted(directory.glob("*.py")):
        found.extend(hand_made_reach(path.read_text(encoding="utf-8"), path.name))
    return found


def not_allowed(found: list[Finding]) -> list[Finding]:
    return [item for item in found if (item.module, item.function) not in ALLOWED]


# --- the check on the code --------------------------------------------------------------------


def test_no_resolver_decides_reach_by_hand() -> None:
    offending = not_allowed(findings_in(RESOLVERS))
    assert not offending, (
        "reach decided by hand in gql_portal/resolvers/ (read through the row scope, or ask "
        "permissions/: Access.admits / owns / reaches_any / reaches_company, or a rule):\n"
        + "\n".join(map(str, offending))
    )


def test_every_allowance_is_still_needed() -> None:
    used = {(item.module, item.function) for item in findings_in(RESOLVERS)}
    stale = sorted(set(ALLOWED) - used)
    assert not stale, f"allow-list entries that match nothing (remove them): {stale}"


def test_the_check_sees_every_resolver_module() -> None:
    modules = {path.name for path in RESOLVERS.glob("*.py")}
    assert {"expenses.py", "absence.py", "time.py", "node.py", "payroll.py"} <= modules
    assert {module for module, _ in ALLOWED} <= modules


def test_a_new_hand_made_filter_in_a_copy_of_the_resolvers_fails(tmp_path: Path) -> None:
    copy = tmp_path / "resolvers"
    shutil.copytree(RESOLVERS, copy)
    assert not not_allowed(findings_in(copy))
    expenses = copy / "expenses.py"
    expenses.write_text(
        expenses.read_text(encoding="utf-8")
        + "\n\ndef _mine(ctx, expense):\n"
        + "    if expense.employee_id != ctx.access.employee_id:\n"
        + "        raise not_found('Expense')\n",
        encoding="utf-8",
    )
    assert [(item.module, item.function, item.code) for item in not_allowed(findings_in(copy))] == [
        ("expenses.py", "_mine", "expense.employee_id != ctx.access.employee_id")
    ]


# --- the checker on snippets ------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "if row.company_id == ctx.access.company_id: pass",
        "if ctx.access.employee_id != row.employee_id: pass",
        "if company not in info.context.access.client_ids: pass",
        "if company in access.full_client_ids: pass",
        "ok = source.owner_employee_id == access.employee_id",
        "ok = row.firm_id == self.ctx.access.company_id",
        "mine = access.employee_id is not None and entry.employee_id == access.employee_id",
        "statement = select(T).where(T.company_id == ctx.access.company_id)",
        "statement = select(T).where(T.company_id.in_(ctx.access.client_ids))",
        "ok = reaches(access, TimeEntry, Op.WRITE, entry.company_id, own)",
        "ok = scope.reaches(access, TimeEntry, Op.WRITE, entry.company_id, own)",
        "ok = ctx.access.reach(Area.ABSENCE, Op.MANAGE, company) is Reach.ALL",
        "ok = bool(access.row_scope(Area.ABSENCE, Op.MANAGE))",
        "ok = access.firm_reach(Area.USERS, Op.READ) is Reach.ALL",
    ],
)
def test_the_checker_finds(line: str) -> None:
    source = f"def resolver(ctx, info, access, row, entry, source, company):\n    {line}\n"
    found = hand_made_reach(source)
    assert len(found) == 1, found
    assert found[0].function == "resolver" and found[0].line == 2


@pytest.mark.parametrize(
    "line",
    [
        "row = Expense(company_id=ctx.access.company_id, employee_id=ctx.access.employee_id)",
        "if ctx.access.employee_id is None: pass",
        "key = access.employee_id",
        "ok = ctx.access.admits(Area.TIME, Op.WRITE, entry.company_id, entry.employee_id)",
        "ok = ctx.access.owns(key) and ctx.access.reaches_company(company)",
        "if row.company_id == other.company_id: pass",
        "if user_id != ctx.access.user_id: pass",
        "statement = select(T).where(T.company_id.in_(companies))",
    ],
)
def test_the_checker_leaves_alone(line: str) -> None:
    source = f"def resolver(ctx, access, row, entry, other, key, company, user_id):\n    {line}\n"
    assert hand_made_reach(source) == []


def test_findings_name_the_enclosing_function_and_class() -> None:
    source = (
        "class Queries:\n"
        "    async def mine(self, info):\n"
        "        def inner(row):\n"
        "            return row.employee_id == info.context.access.employee_id\n"
    )
    (found,) = hand_made_reach(source, "x.py")
    assert (found.module, found.function, found.line) == ("x.py", "Queries.mine.inner", 4)
