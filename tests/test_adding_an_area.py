"""docs/adding-an-area.md, followed on a throwaway area: the checklist names every place.

A copy of the repository gets a tiny `NOTES` area (notes about employees: the admin writes any,
an employee their own, a LIMITED partner reads them), one numbered step of the checklist at a
time, each step only editing what its text names. Then, in the copy:

- the tests the checklist names (and the generic schema tests) run green with the new area: the
  goldens, the docs page, the migrations, the audit table, the id filters, the canary seed and
  its sweep of every global id;
- `lint-imports` keeps the area's modules to the layers of `pyproject.toml`;
- `tests/test_notes.py` (its step 16) is the area's specification over HTTP: each actor of its
  matrix row, `node(id:)` and the row scope (another company's notes do not exist);
- `tests/test_throwaway_machinery.py` (written here) checks that the machinery picked it up:
  the per-role schemas hold its fields as the matrix says, the row scope and `node(id:)` know its
  model, the docs generator lists it, the generic tests' helpers see it, and every collection in
  the code that lists all the other areas (or all the other node types) lists it too.

A change that adds a place a new area must be written into fails here until the checklist names
it (the step's text must name every file the step touches) and this test follows it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

CHECKLIST = REPO / "docs" / "adding-an-area.md"
DOMAIN = "notes"
BIN = Path(sys.executable).parent
# Of the canary tests, those about seeded rows: the seed fills every table, and the sweep of
# every global id. (The fuzz, 10,000 generated operations, takes minutes.)
ONLY = {
    "tests/test_canary.py": (
        "test_the_seed_fills_every_company_owned_table_and_every_text_column",
        "test_every_global_id_answers_null_or_an_error_to_whoever_must_not_reach_it",
    ),
}
# Left out of the run: it imports each schema module first in turn and builds every schema after
# each (minutes in the copy); the throwaway module has no enum for it to find twice.
DESELECTED = (
    "tests/test_schema.py::test_the_schemas_build_whichever_domain_module_is_imported_first",
)
# Always part of the run in the copy: the generic checks of every field and type.
GENERIC_TESTS = ("tests/test_schema.py", "tests/test_descriptions.py")
VERIFIER = "tests/test_throwaway_machinery.py"
# Steps this throwaway area does not take, and why.
NOT_TAKEN = {
    20: "demo rows are for people trying the service; nothing requires an area to have them",
}


# --- the checklist ------------------------------------------------------------------------------


def checklist() -> dict[int, str]:
    """The numbered steps of docs/adding-an-area.md, by number: their text."""
    text = CHECKLIST.read_text(encoding="utf-8")
    found = re.findall(r"^(\d+)\. (.*?)(?=^\d+\. |^#|\Z)", text, re.M | re.S)
    return {int(number): " ".join(body.split()) for number, body in found}


def named_places(step_text: str) -> list[str]:
    """The files and folders a step names, as glob patterns (`<domain>` is this area's)."""
    tokens = re.findall(r"[\w./<>-]+\.(?:py|md|graphql|toml)\b|[\w./<>-]+/", step_text)
    places = [re.sub(r"<ROLE>|<what_it_adds>", "*", token) for token in tokens]
    places = [place.replace("<domain>", DOMAIN) for place in places]
    if "README" in step_text:
        places.append("README.md")
    return places


def is_named(path: str, places: list[str]) -> bool:
    return any(
        path.startswith(place) if place.endswith("/") else fnmatch.fnmatch(path, place)
        for place in places
    )


# --- the copy -----------------------------------------------------------------------------------


class Copy:
    """A copy of the working tree, edited by anchors (an edit that misses its anchor fails)."""

    def __init__(self, root: Path, scratch: Path) -> None:
        self.root = root
        self.scratch = scratch

    def path(self, relative: str) -> Path:
        return self.root / relative

    def read(self, relative: str) -> str:
        return self.path(relative).read_text(encoding="utf-8")

    def write(self, relative: str, text: str) -> None:
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def _lines_after(self, relative: str, opener: str) -> tuple[list[str], int]:
        lines = self.read(relative).splitlines(keepends=True)
        starts = [i for i, line in enumerate(lines) if line.startswith(opener)]
        assert len(starts) == 1, f"{relative}: expected one line starting {opener!r}"
        return lines, starts[0]

    def _insert(self, relative: str, lines: list[str], at: int, new: str) -> None:
        lines.insert(at, new if new.endswith("\n") else new + "\n")
        self.path(relative).write_text("".join(lines), encoding="utf-8")

    def add_entry(self, relative: str, opener: str, entry: str) -> None:
        """`entry` last in the bracketed literal (or parenthesised list) `opener` begins."""
        lines, start = self._lines_after(relative, opener)
        end = next(i for i in range(start + 1, len(lines)) if lines[i][:1] in ")]}")
        self._insert(relative, lines, end, entry)

    def add_line_after(self, relative: str, opener: str, line: str) -> None:
        lines, start = self._lines_after(relative, opener)
        self._insert(relative, lines, start + 1, line)

    def add_member(self, relative: str, opener: str, member: str, pattern: str = r"    \w") -> None:
        """`member` after the last line matching `pattern` in the class `opener` begins."""
        lines, start = self._lines_after(relative, opener)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].strip() and lines[i][0] != " "),
            len(lines),
        )
        last = max(i for i in range(start + 1, end) if re.match(pattern, lines[i]))
        self._insert(relative, lines, last + 1, member)

    def replace(self, relative: str, pattern: str, change: Callable[[re.Match[str]], str]) -> None:
        text, count = re.subn(pattern, change, self.read(relative))
        assert count == 1, f"{relative}: expected one match of {pattern!r}"
        self.path(relative).write_text(text, encoding="utf-8")

    def run(self, *command: str, database_url: str | None = None) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GQL_PORTAL_")}
        env["PYTHONPATH"] = str(self.root)  # the copy's gql_portal, not the checkout's
        if database_url:
            env["GQL_PORTAL_DATABASE_URL"] = database_url
        done = subprocess.run(
            command, cwd=self.root, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{command} failed:\n{done.stdout[-6000:]}{done.stderr}"
        return done.stdout

    def snapshot(self) -> dict[str, str]:
        found = {}
        for path in self.root.rglob("*"):
            relative = path.relative_to(self.root).as_posix()
            if path.is_file() and "__pycache__" not in relative and relative != VERIFIER:
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        return found


def make_schema(copy: Copy) -> None:
    """What `make schema` writes (the CLI's `export-schema` and the docs generator), in one
    process of the copy: the schema files, and the permissions page."""
    copy.run(sys.executable, "-c", MAKE_SCHEMA)


MAKE_SCHEMA = """
from pathlib import Path
from gql_portal.permissions import document
from gql_portal.permissions.roles import SchemaRole
from gql_portal.schema.build import full_schema, role_schema
document._check_complete()
def write(name, text):
    Path(name).write_text(text, encoding="utf-8")
write("schema.graphql", full_schema().as_str() + "\\n")
write("docs/permissions.md", document.render())
for role in SchemaRole:
    write(f"tests/golden/schema.{role.value}.graphql", role_schema(role).as_str() + "\\n")
"""


def make_migration(copy: Copy, name: str) -> None:
    """What `make migration NAME=...` runs: autogenerate against a database at the head."""
    versions = copy.path("gql_portal/db/migrations/versions")
    last = max(int(path.name[:4]) for path in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))
    url = f"sqlite+aiosqlite:///{copy.scratch / 'head.db'}"
    copy.run(sys.executable, "-m", "gql_portal.cli", "db", "upgrade", database_url=url)
    rev = f"{last + 1:04d}_{name}"
    alembic = str(BIN / "alembic")
    copy.run(alembic, "revision", "--autogenerate", "--rev-id", rev, "-m", name, database_url=url)


# --- the steps, as the checklist numbers them ---------------------------------------------------

STEPS: dict[int, Callable[[Copy], None]] = {}


def step(number: int) -> Callable[[Callable[[Copy], None]], Callable[[Copy], None]]:
    def register(function: Callable[[Copy], None]) -> Callable[[Copy], None]:
        STEPS[number] = function
        return function

    return register


@step(1)
def matrix_row(copy: Copy) -> None:
    matrix = "gql_portal/permissions/matrix.py"
    copy.add_member(matrix, "class Area(", '    NOTES = "NOTES"')
    copy.add_entry(
        matrix,
        "MATRIX: dict",
        "    Area.NOTES: {A: ALL, F: ALL, L: READ, E: OWN_READ_WRITE, S: READ},",
    )


@step(2)
def what_it_covers(copy: Copy) -> None:
    copy.add_entry(
        "gql_portal/permissions/document.py",
        "COVERS: dict",
        '    Area.NOTES: "notes about employees",',
    )


@step(3)
def its_menu(copy: Copy) -> None:
    menus = "gql_portal/permissions/menus.py"
    copy.add_member(menus, "class Menu(", '    NOTES = "NOTES"')
    copy.add_entry(menus, "MENU_AREA: dict", "    Menu.NOTES: Area.NOTES,")


@step(4)
def permissions_page(copy: Copy) -> None:
    make_schema(copy)


@step(5)
def models(copy: Copy) -> None:
    copy.write(
        f"gql_portal/db/{DOMAIN}.py",
        '''
        """Notes about employees (NOTES): the throwaway area of tests/test_adding_an_area.py."""

        from __future__ import annotations

        from datetime import datetime
        from typing import ClassVar

        from sqlalchemy import ForeignKey, String
        from sqlalchemy.orm import Mapped, mapped_column

        from gql_portal.db.base import Base, CompanyOwned, IdMixin, company_fk
        from gql_portal.permissions.matrix import Area


        class Note(IdMixin, CompanyOwned, Base):
            """A note about an employee: theirs, so "own" is the default `employee_id` rule."""

            __tablename__ = "notes"
            __area__: ClassVar[Area] = Area.NOTES

            company_id: Mapped[int] = company_fk()
            employee_id: Mapped[int] = mapped_column(
                ForeignKey("employees.id", ondelete="CASCADE"), index=True
            )
            text: Mapped[str] = mapped_column(String(500))
            written_at: Mapped[datetime]
        ''',
    )


@step(6)
def tables_registered(copy: Copy) -> None:
    copy.add_entry("gql_portal/db/__init__.py", "from gql_portal.db import (", f"    {DOMAIN},")
    copy.add_entry("gql_portal/db/__init__.py", "__all__ = [", f'    "{DOMAIN}",')


@step(7)
def migration(copy: Copy) -> None:
    make_migration(copy, "notes")


@step(8)
def rules(copy: Copy) -> None:
    copy.write(
        f"gql_portal/domain/{DOMAIN}.py",
        '''
        """What a note may say (NOTES)."""

        MAX_NOTE_LENGTH = 500


        def note_problem(text: str) -> tuple[str, str] | None:
            """What is wrong with a note's text (a reason and a message), or None."""
            if not text.strip():
                return "REQUIRED", "must say something"
            if len(text) > MAX_NOTE_LENGTH:
                return "TOO_LONG", f"must be at most {MAX_NOTE_LENGTH} characters"
            return None
        ''',
    )


@step(9)
def audit_action(copy: Copy) -> None:
    copy.add_member(
        "gql_portal/domain/audit.py",
        "class AuditAction(",
        '    NOTE_WRITTEN = "NOTE_WRITTEN", Area.NOTES',
        pattern=r'    [A-Z_]+ = "',
    )


@step(10)
def types(copy: Copy) -> None:
    copy.write(
        f"gql_portal/schema/{DOMAIN}.py",
        '''
        """GraphQL types of notes (NOTES)."""

        import datetime

        import strawberry
        from strawberry import relay

        from gql_portal.db import notes as db
        from gql_portal.permissions.matrix import Area
        from gql_portal.permissions.rules import AreaRule
        from gql_portal.schema.fields import field

        NOTES = AreaRule(Area.NOTES)


        @strawberry.type(description="A note about an employee.")
        class Note(relay.Node):
            id: relay.NodeID[int]
            company_id: strawberry.Private[int]
            owner_employee_id: strawberry.Private[int]
            text: str = field(NOTES, description="What the note says.")
            written_at: datetime.datetime = field(NOTES, description="When it was written.")

            @classmethod
            def from_row(cls, row: db.Note) -> "Note":
                return cls(
                    id=row.id,
                    company_id=row.company_id,
                    owner_employee_id=row.employee_id,
                    text=row.text,
                    written_at=row.written_at,
                )
        ''',
    )


@step(11)
def resolvers(copy: Copy) -> None:
    copy.write(
        f"gql_portal/resolvers/{DOMAIN}.py",
        '''
        """Notes (NOTES): the admin writes about anyone, an employee about themselves."""

        from __future__ import annotations

        from typing import Annotated

        import strawberry
        from sqlalchemy import select
        from strawberry import relay

        from gql_portal.context import RequestContext
        from gql_portal.db.notes import Note
        from gql_portal.domain.audit import AuditAction
        from gql_portal.domain.notes import note_problem
        from gql_portal.errors import bad_input
        from gql_portal.permissions.matrix import Area, Op
        from gql_portal.permissions.rules import AreaRule
        from gql_portal.resolvers.audit import audit
        from gql_portal.resolvers.common import Ctx, not_found
        from gql_portal.resolvers.loading import by_id, employee_filter, paginate
        from gql_portal.resolvers.time import reachable_employee
        from gql_portal.schema import notes as gql
        from gql_portal.schema.fields import field, mutation
        from gql_portal.schema.id_filters import EmployeeIdFilter
        from gql_portal.schema.relay import After, Before, Connection, First, Last


        async def notes(
            info: Ctx,
            first: First = None,
            after: After = None,
            last: Last = None,
            before: Before = None,
            employee_id: EmployeeIdFilter = None,
        ) -> Connection[gql.Note]:
            """The notes the viewer reaches, oldest first."""
            ctx = info.context
            where = await employee_filter(ctx, Note.employee_id, employee_id)
            statement = select(Note).where(*where)
            return await paginate(
                ctx,
                statement,
                [Note.id],
                gql.Note.from_row,
                first=first,
                after=after,
                last=last,
                before=before,
            )


        async def note_by_id(ctx: RequestContext, note_id: int) -> gql.Note | None:
            row = await by_id(ctx, Note).load(note_id)
            return gql.Note.from_row(row) if row else None


        async def write_note(
            info: Ctx,
            employee_id: Annotated[
                relay.GlobalID, strawberry.argument(description="The employee the note is about.")
            ],
            text: Annotated[
                str, strawberry.argument(description="What the note says (1-500 characters).")
            ],
        ) -> gql.Note:
            """A new note about the employee."""
            ctx = info.context
            problem = note_problem(text)
            if problem:
                raise bad_input("text", *problem)
            employee = await reachable_employee(ctx, employee_id)
            if not ctx.access.admits(Area.NOTES, Op.WRITE, employee.company_id, employee.id):
                raise not_found("Employee", "employeeId")
            async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
                row = Note(
                    company_id=employee.company_id,
                    employee_id=employee.id,
                    text=text,
                    written_at=ctx.clock.now(),
                )
                session.add(row)
                await session.flush()
                audit(
                    session,
                    ctx,
                    AuditAction.NOTE_WRITTEN,
                    company_id=employee.company_id,
                    note_id=row.id,
                )
            return gql.Note.from_row(row)


        @strawberry.type
        class Queries:
            notes = field(AreaRule(Area.NOTES), notes, description="Notes, oldest first.")


        @strawberry.type
        class Mutations:
            write_note = mutation(
                AreaRule(Area.NOTES, Op.WRITE),
                write_note,
                description="Write a note about an employee (an employee: about themselves). "
                "BAD_USER_INPUT (text, REQUIRED or TOO_LONG).",
            )
        ''',
    )


@step(12)
def layers(copy: Copy) -> None:
    """Each module first in its layer (the resolvers' and the types' layers begin `absence`)."""
    pyproject = "pyproject.toml"
    resolvers, types = f"gql_portal.resolvers.{DOMAIN}", f"gql_portal.schema.{DOMAIN}"
    copy.replace(pyproject, r'"(?=gql_portal\.resolvers\.absence : )', lambda m: f'"{resolvers} : ')
    copy.replace(pyproject, r'"(?=gql_portal\.schema\.absence : )', lambda m: f'"{types} : ')


@step(13)
def roots(copy: Copy) -> None:
    root = "gql_portal/schema/root.py"
    copy.add_entry(root, "from gql_portal.resolvers import (", f"    {DOMAIN},")
    copy.add_entry(root, "class Query(", f"    {DOMAIN}.Queries,")
    copy.add_entry(root, "class Mutation(", f"    {DOMAIN}.Mutations,")


@step(14)
def node_loader(copy: Copy) -> None:
    node = "gql_portal/resolvers/node.py"
    copy.add_entry(node, "from gql_portal.resolvers import (", f"    {DOMAIN},")
    copy.add_entry(node, "NODE_LOADERS: dict", f'    "Note": {DOMAIN}.note_by_id,')


@step(15)
def schema_files(copy: Copy) -> None:
    make_schema(copy)


@step(16)
def specification(copy: Copy) -> None:
    copy.write(f"tests/test_{DOMAIN}.py", NOTES_SPECIFICATION)


@step(17)
def audit_table(copy: Copy) -> None:
    table = "tests/test_audit_actions.py"
    copy.add_entry(table, "MUTATION_ACTIONS: dict", '    "writeNote": {A.NOTE_WRITTEN},')
    copy.add_entry(table, "AREA_BY_SUBJECT = (", '    ("NOTE", Area.NOTES),')
    copy.replace(
        table, r"len\(AuditAction\) == (\d+)", lambda m: f"len(AuditAction) == {int(m[1]) + 1}"
    )


@step(18)
def id_filter_table(copy: Copy) -> None:
    copy.add_entry(
        "tests/test_list_filters.py",
        "FILTERS = [",
        """\
    Filter(
        "Query",
        "notes",
        "employeeId",
        Kind.EMPLOYEE,
        "query($id: ID) { notes(employeeId: $id) { nodes { id } } }",
        _nodes("notes"),
        always_empty=True,
    ),""",
    )


@step(19)
def canary_seed(copy: Copy) -> None:
    canary = "tests/test_canary.py"
    copy.add_line_after(
        canary, "from __future__ import annotations", "from gql_portal.db.notes import Note"
    )
    copy.replace(
        canary,
        r"\n( +)self\.obj\(\"Receipt\", receipt\.id, code, owner, Area\.EXPENSES_RECEIPTS\)\n",
        lambda m: (
            f"{m[0]}{m[1]}note = fill(Note(company_id=cid, employee_id=eid, written_at=NOW), owner)\n"
            f"{m[1]}await self.flush(note)\n"
            f'{m[1]}self.obj("Note", note.id, code, owner, Area.NOTES)\n'
        ),
    )
    # Who may see its canaries (a company's data, a LIMITED area, an employee's own), and its
    # node type among those the generated operations use.
    for tables in ("COMPANY_TABLES = (", "LIMITED_TABLES = (", "OWN_EMPLOYEE_TABLES = ("):
        copy.replace(canary, re.escape(tables), lambda m: f'{m[0]}"notes", ')
    copy.add_entry(canary, "NODE_TYPES = (", '    "Note",')
    copy.replace(  # the sweep of every global id reaches them
        canary,
        r'(COLLECT = """\{\n(?:.*\n)*?)\}"""',
        lambda m: f'{m[1]}  notes(first: 20) {{ nodes {{ id }} }}\n}}"""',
    )


@step(21)
def readme(copy: Copy) -> None:
    copy.replace(
        "README.md",
        r"\| what \| API \|\n\|---\|---\|\n",
        lambda m: f"{m[0]}| notes | `notes`, `writeNote` |\n",
    )


NOTES_SPECIFICATION = '''
"""Notes (the throwaway NOTES area), over HTTP: each actor of its matrix row."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid

WRITE = "mutation($e: ID!, $t: String!) { writeNote(employeeId: $e, text: $t) { id text } }"
NOTES = "query { notes { nodes { id text } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on Note { text } } }"


async def write(api: Api, token: str, employee_id: int, text: str) -> dict[str, Any]:
    body = await api(WRITE, {"e": gid("Employee", employee_id), "t": text}, token=token)
    note: dict[str, Any] = body["data"]["writeNote"]
    return note


async def test_an_admin_writes_a_note_and_reads_it_in_the_list_and_by_id(
    api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    employee = await factory.employee(company)
    note = await write(api, admin.token, employee.id, "Punctual")
    assert note["text"] == "Punctual"
    assert (await api(NOTES, token=admin.token))["data"]["notes"]["nodes"] == [note]
    found = await api(NODE, {"id": note["id"]}, token=admin.token)
    assert found["data"]["node"] == {"text": "Punctual"}


async def test_an_employee_reaches_only_their_own_notes(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    staff = await factory.staff(company)
    colleague = await factory.employee(company)
    assert staff.employee_id is not None
    mine = await write(api, staff.token, staff.employee_id, "Mine")
    theirs = await write(api, admin.token, colleague.id, "Theirs")
    assert (await api(NOTES, token=staff.token))["data"]["notes"]["nodes"] == [mine]
    assert error_codes(await api(NODE, {"id": theirs["id"]}, token=staff.token)) == ["NOT_FOUND"]
    about_colleague = {"e": gid("Employee", colleague.id), "t": "x"}
    assert only_error(await api(WRITE, about_colleague, token=staff.token))["code"] == "NOT_FOUND"


async def test_another_companys_notes_do_not_exist(api: Api, factory: Factory) -> None:
    ours, theirs = await factory.company(), await factory.company("Annan AB")
    admin, stranger = await factory.admin(ours), await factory.admin(theirs)
    employee = await factory.employee(ours)
    note = await write(api, admin.token, employee.id, "Ours")
    assert (await api(NOTES, token=stranger.token))["data"]["notes"]["nodes"] == []
    assert error_codes(await api(NODE, {"id": note["id"]}, token=stranger.token)) == ["NOT_FOUND"]
    across = {"e": gid("Employee", employee.id), "t": "x"}
    assert only_error(await api(WRITE, across, token=stranger.token))["code"] == "NOT_FOUND"


async def test_a_note_must_say_something(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    employee = await factory.employee(company)
    empty = {"e": gid("Employee", employee.id), "t": "  "}
    error = only_error(await api(WRITE, empty, token=admin.token))
    assert (error["code"], error["field"], error["reason"]) == ("BAD_USER_INPUT", "text", "REQUIRED")
'''

MACHINERY_CHECKS = '''
"""Written into a copy of the repository by tests/test_adding_an_area.py: the machinery picked
the throwaway NOTES area up, in every place the checklist names and in none it does not."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

import gql_portal
from gql_portal.db.notes import Note
from gql_portal.db.scope import company_owned_models
from gql_portal.domain.audit import AuditAction
from gql_portal.permissions import document
from gql_portal.permissions.matrix import LIMITED_PARTNER_AREAS, Area
from gql_portal.permissions.roles import SchemaRole
from gql_portal.resolvers.node import NODE_LOADERS
from gql_portal.schema.build import role_schema
from gql_portal.schema.internals import graphql_schema
from tests import test_audit_actions, test_canary, test_list_filters

# (reads, writes) by the row the throwaway gave the matrix: ADMIN all, LIMITED read, EMPLOYEE
# own read and write, ASSISTANT read.
EXPECTED = {
    SchemaRole.PUBLIC: (False, False),
    SchemaRole.COMPANY_ADMIN: (True, True),
    SchemaRole.EMPLOYEE: (True, True),
    SchemaRole.PARTNER_PORTAL: (True, False),
    SchemaRole.PORTAL_ASSISTANT: (True, False),
}
# Modules that do something when imported (the ASGI app reads its settings).
NOT_IMPORTED = ("gql_portal.asgi", "gql_portal.db.migrations")


@pytest.mark.parametrize("role", list(SchemaRole))
def test_each_role_schema_holds_the_fields_its_matrix_column_reaches(role: SchemaRole) -> None:
    schema = graphql_schema(role_schema(role))
    reads, writes = EXPECTED[role]
    assert schema.query_type is not None and schema.mutation_type is not None
    assert ("notes" in schema.query_type.fields) is reads
    assert ("Note" in schema.type_map) is reads
    assert ("writeNote" in schema.mutation_type.fields) is writes


def test_the_row_scope_and_node_know_the_model() -> None:
    assert Note in company_owned_models()
    assert "Note" in NODE_LOADERS
    assert Area.NOTES in LIMITED_PARTNER_AREAS


def test_the_docs_generator_lists_the_area() -> None:
    assert f"| `NOTES` | {document.COVERS[Area.NOTES]} |" in document.render()


def test_the_generic_tests_helpers_see_the_area() -> None:
    assert test_audit_actions.area_by_rule(AuditAction.NOTE_WRITTEN) is Area.NOTES
    assert test_audit_actions.MUTATION_ACTIONS["writeNote"] == {AuditAction.NOTE_WRITTEN}
    assert any(f.field == "notes" for f in test_list_filters.FILTERS)
    assert Area.NOTES in test_canary.LIMITED_AREAS


def _modules() -> Iterator[Any]:
    for info in pkgutil.walk_packages(gql_portal.__path__, "gql_portal."):
        if not info.name.startswith(NOT_IMPORTED) and not info.name.endswith("__main__"):
            yield importlib.import_module(info.name)
    yield from (module for name, module in list(sys.modules.items()) if name.startswith("tests."))


def _members(value: Any) -> set[Any]:
    """What a collection holds (a mapping: its keys; pairs: both sides), hashable items only."""
    if isinstance(value, Mapping):
        items = list(value)
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        items += [part for item in value if isinstance(item, tuple) for part in item]
    else:
        return set()
    return {item for item in items if isinstance(item, str)}


def test_every_collection_that_lists_all_the_other_areas_or_node_types_lists_notes_too() -> None:
    """A place keyed by area (or node type) that the checklist does not name: found here."""
    kinds = {
        "area": (set(Area) - {Area.NOTES}, Area.NOTES),
        "node type": (set(NODE_LOADERS) - {"Note"}, "Note"),
    }
    missing = []
    for module in _modules():
        for name, value in vars(module).items():
            members = _members(value)
            for kind, (others, new) in kinds.items():
                if others <= members and new not in members:
                    missing.append(f"{module.__name__}.{name} lists every {kind} but {new}")
    assert not missing, missing
'''


# --- the tests --------------------------------------------------------------------------------


def test_every_step_of_the_checklist_is_taken_here_or_said_why_not() -> None:
    steps = checklist()
    assert list(steps) == list(range(1, len(steps) + 1)), "the checklist's numbers run on"
    assert set(STEPS) | set(NOT_TAKEN) == set(steps)
    assert not set(STEPS) & set(NOT_TAKEN)


@pytest.fixture(scope="module")
def followed(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Copy, dict[int, set[str]]]]:
    """The copy with every step taken, and the files each step touched."""
    root = tmp_path_factory.mktemp("repository")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    copy = Copy(root, tmp_path_factory.mktemp("scratch"))
    touched: dict[int, set[str]] = {}
    for number in sorted(STEPS):
        before = copy.snapshot()
        STEPS[number](copy)
        after = copy.snapshot()
        touched[number] = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    copy.write(VERIFIER, MACHINERY_CHECKS)
    yield copy, touched


def test_each_step_touches_only_the_places_its_text_names(
    followed: tuple[Copy, dict[int, set[str]]],
) -> None:
    _, touched = followed
    steps = checklist()
    unnamed = {
        number: sorted(p for p in paths if not is_named(p, named_places(steps[number])))
        for number, paths in touched.items()
    }
    assert not {n: paths for n, paths in unnamed.items() if paths}, (
        "steps that touch files their text does not name: name them in docs/adding-an-area.md"
    )
    assert all(touched.values()), f"steps that changed nothing: {touched}"


def test_with_every_step_taken_the_named_tests_and_the_machinery_accept_the_area(
    followed: tuple[Copy, dict[int, set[str]]],
) -> None:
    copy, _ = followed
    named = sorted(set(re.findall(r"tests/test_[\w<>]+\.py", CHECKLIST.read_text("utf-8"))))
    this = Path(__file__).relative_to(REPO).as_posix()
    modules = [name.replace("<domain>", DOMAIN) for name in named if name != this]
    tests: list[str] = []
    for module in dict.fromkeys([*GENERIC_TESTS, *modules]):
        tests += [f"{module}::{test}" for test in ONLY[module]] if module in ONLY else [module]
    copy.run(str(BIN / "lint-imports"), "--no-cache")  # the area's imports keep to the layers
    copy.run("git", "init", "--quiet")  # tests/test_docs.py reads the tracked files
    copy.run("git", "add", "--all")
    output = copy.run(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-x",
        "-p",
        "no:cacheprovider",
        "--tb=short",
        "--show-capture=no",
        "--durations=15",
        *(argument for test in DESELECTED for argument in ("--deselect", test)),
        VERIFIER,  # first: its sweep names a place the checklist missed most plainly
        *tests,
    )
    print(output[-3000:])  # what ran in the copy, and the slowest (with -s)
