"""The permission matrix as a page of the docs (`docs/permissions.md`), written from the tables in
`matrix.py` and `roles.py` by `make schema` and checked current by the tests, like schema.graphql:
the page a reviewer reads can never drift from what the code enforces.

    python -m gql_portal.permissions.document > docs/permissions.md
"""

from __future__ import annotations

from gql_portal.permissions.matrix import FIRM_MATRIX, MATRIX, Actor, Area, Grant, Op, Reach
from gql_portal.permissions.roles import ROLE_ACTOR, SchemaRole

# What each area holds, in the words a client or a firm would use.
COVERS: dict[Area, str] = {
    Area.COMPANY_IDENTITY: (
        "the company's name and organisation number (a sole trader's is its owner's "
        "personnummer: in full with write, masked YYMMDD-**** with read only)"
    ),
    Area.EMPLOYEE_CONTACT: "employees' names, email, phone, address and employee number",
    Area.EMPLOYEE_SALARY: (
        "personal identity number, employment (dates, form, extent), salary form and amount, "
        "tax table and column, bank account"
    ),
    Area.PAYROLL_BASIS: (
        "payroll periods, the payroll basis per employee and its lines, exports and their history"
    ),
    Area.EXPENSES_RECEIPTS: "expenses, receipts and their files, mileage",
    Area.TIME: "time reports and the attestation of weeks",
    Area.ABSENCE: "absence and leave requests",
    Area.PROJECTS: "projects, the company's own customers, activities, assignments",
    Area.SCHEDULES: "work schedules",
    Area.SETTINGS: "company settings, time codes and their pay types, period settings",
    Area.USERS: "the company's users and their roles",
    Area.INTEGRATIONS: "the payroll-program integration",
    Area.COLLABORATIONS: "which accounting firms have access, at which level",
    Area.AUDIT: "who read or changed what (partner access in particular)",
}


def area_sentence(area: Area) -> str:
    """What `area` covers as a sentence: the description of its GraphQL enum value."""
    covers = COVERS[area]
    return f"{covers[0].upper()}{covers[1:]}."


ACTOR_HEADINGS: dict[Actor, str] = {
    Actor.ADMIN: "company admin",
    Actor.FULL_PARTNER: "FULL partner (inside the company)",
    Actor.LIMITED_PARTNER: "LIMITED partner (and every client in the portal)",
    Actor.EMPLOYEE: "employee",
    Actor.ASSISTANT: "the firm's assistant (in the portal, read-only)",
}

FIRM_HEADINGS: dict[Actor, str] = {
    Actor.ADMIN: "the firm's admins",
    Actor.EMPLOYEE: "the firm's consultants",
    Actor.ASSISTANT: "the firm's assistants",
}


def describe_grant(grant: Grant) -> str:
    """`all`, `read, write`, `own: read, write`, `read; own: write`, or `none`."""
    if all(grant.reach(op) is Reach.ALL for op in Op):
        return "all"
    every = [op.value.lower() for op in Op if grant.reach(op) is Reach.ALL]
    own = [op.value.lower() for op in Op if grant.reach(op) is Reach.OWN]
    parts = []
    if every:
        parts.append(", ".join(every))
    if own:
        parts.append("own: " + ", ".join(own))
    return "; ".join(parts) or "none"


def _table(headings: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render() -> str:
    actors = list(Actor)
    area_rows = [
        [f"`{area.value}`", COVERS[area], *(describe_grant(MATRIX[area][a]) for a in actors)]
        for area in Area
    ]
    firm_actors = list(FIRM_HEADINGS)
    firm_rows = [
        [f"`{area.value}`", *(describe_grant(grants.get(a, Grant())) for a in firm_actors)]
        for area, grants in FIRM_MATRIX.items()
    ]
    role_rows = [
        [f"`{role.value}`", ACTOR_HEADINGS[actor] if actor else "no company data"]
        for role, actor in ROLE_ACTOR.items()
    ]
    lines = [
        "# The permission matrix",
        "",
        "<!-- Written by `make schema` from gql_portal/permissions/matrix.py and roles.py;",
        "     tests/test_docs.py fails when it is not current. Do not edit by hand. -->",
        "",
        "Every field of a company's data belongs to exactly one area. For each area and actor",
        "the matrix says how far each operation reaches: `all` rows of the company, only the",
        "actor's `own` rows (an employee's own reports, an assigned project, the firm's own",
        "collaboration), or `none`. The operations are **read**, **write** (create, update,",
        "submit), **manage** (the admin's extra: create and remove, attest, approve, lock) and",
        "**export**.",
        "",
        *_table(["area", "covers", *(ACTOR_HEADINGS[a] for a in actors)], area_rows),
        "",
        "A partner reaches a client only through an ACTIVE collaboration; without one the",
        "client does not exist for it (`NOT_FOUND`, never `FORBIDDEN`). In the partner portal",
        "the firm's admins and consultants reach every client as the LIMITED column says,",
        "whatever the level; a FULL partner who enters the client's company acts there with the",
        "FULL column, audited as the firm.",
        "A firm's assistant (a user whose role in the firm is ASSISTANT) has the portal only and",
        "reaches its clients as the assistant's column says: it reads, and never exports, changes",
        "anything or enters a client's company. Inside the firm, the clients a consultant or an",
        "assistant reaches follow the firm's assignments (its admins reach every client).",
        "",
        "## The firm's own data in the partner portal",
        "",
        "By the user's role in the accounting firm:",
        "",
        *_table(["area", *(FIRM_HEADINGS[a] for a in firm_actors)], firm_rows),
        "",
        "## Schema roles",
        "",
        "Each role gets its own GraphQL schema, projected from the same types: a field whose area",
        "the role's column does not reach is not in that role's schema at all.",
        "",
        *_table(["role", "follows the column of"], role_rows),
        "",
    ]
    return "\n".join(lines)


def _check_complete() -> None:
    missing = [area for area in Area if area not in COVERS]
    if missing:
        raise SystemExit(f"describe what these areas cover in COVERS: {missing}")
    assert set(ROLE_ACTOR) == set(SchemaRole)


if __name__ == "__main__":
    _check_complete()
    print(render(), end="")
