"""The published schema, the per-role projections, and the rule on every field."""

from __future__ import annotations

import subprocess
import sys

import pytest
from graphql import GraphQLObjectType, GraphQLSchema

from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.permissions.roles import SchemaRole
from gql_portal.schema.build import RoleSchema, field_is_structural, full_schema, role_schema
from gql_portal.schema.fields import rule_of
from tests.conftest import REPO, Api, error_codes
from tests.factories import Factory

REGENERATE = "run `make schema` and review the diff"


def export(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "gql_portal.cli", "export-schema", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    ).stdout


def test_schema_graphql_equals_what_the_code_serves() -> None:
    committed = (REPO / "schema.graphql").read_text()
    assert export() == committed, f"schema.graphql is stale: {REGENERATE}"


@pytest.mark.parametrize("role", list(SchemaRole))
def test_each_role_projection_equals_its_reviewed_golden_file(role: SchemaRole) -> None:
    golden = REPO / "tests" / "golden" / f"schema.{role.value}.graphql"
    assert role_schema(role).as_str() + "\n" == golden.read_text(), (
        f"the {role.value} schema changed: {REGENERATE}"
    )


def object_types(schema: GraphQLSchema) -> list[GraphQLObjectType]:
    return [
        t
        for name, t in schema.type_map.items()
        if isinstance(t, GraphQLObjectType) and not name.startswith("__")
    ]


def test_every_field_of_every_type_carries_a_rule() -> None:
    schema: RoleSchema = full_schema()
    missing = []
    for graphql_type in object_types(schema._schema):
        definition = schema.get_type_by_name(graphql_type.name)
        assert definition is not None
        for field in definition.fields:  # type: ignore[union-attr]
            if rule_of(field.metadata) is None and not field_is_structural(definition, field):  # type: ignore[arg-type]
                missing.append(f"{graphql_type.name}.{field.python_name}")
    assert missing == []


def test_every_resolved_field_has_a_permission_class() -> None:
    schema = full_schema()
    for graphql_type in object_types(schema._schema):
        definition = schema.get_type_by_name(graphql_type.name)
        for field in definition.fields:  # type: ignore[union-attr]
            if field_is_structural(definition, field):  # type: ignore[arg-type]
                continue
            kinds = {type(extension).__name__ for extension in field.extensions}
            assert "PermissionExtension" in kinds, f"{graphql_type.name}.{field.python_name}"


def fields_of(role: SchemaRole, type_name: str) -> set[str]:
    graphql_type = role_schema(role)._schema.type_map.get(type_name)
    assert isinstance(graphql_type, GraphQLObjectType)
    return set(graphql_type.fields)


def test_the_public_schema_offers_only_what_anonymous_users_can_do() -> None:
    assert fields_of(SchemaRole.PUBLIC, "Mutation") == {
        "signUp",
        "verifyEmail",
        "resendVerificationEmail",
        "logIn",
        "requestPasswordReset",
        "resetPassword",
    }
    # Client data areas are absent: the company's payroll program is an integration setting.
    assert "payrollProgram" not in fields_of(SchemaRole.PUBLIC, "Company")


def test_employees_and_the_portal_do_not_see_integration_settings() -> None:
    assert "payrollProgram" in fields_of(SchemaRole.COMPANY_ADMIN, "Company")
    assert "payrollProgram" not in fields_of(SchemaRole.EMPLOYEE, "Company")
    assert "payrollProgram" not in fields_of(SchemaRole.PARTNER_PORTAL, "Company")
    for role in (SchemaRole.COMPANY_ADMIN, SchemaRole.EMPLOYEE, SchemaRole.PARTNER_PORTAL):
        assert {"logOut", "changePassword", "activate"} <= fields_of(role, "Mutation")


def test_export_schema_cli_prints_a_role_projection() -> None:
    assert export("--role", "PUBLIC") == role_schema(SchemaRole.PUBLIC).as_str() + "\n"


async def test_the_document_caches_never_carry_a_document_across_roles(
    api: Api, factory: Factory
) -> None:
    """Parsing and validation are cached per document, and validation per role's schema too:
    a document valid for an admin stays invalid in the partner portal after the admin ran it."""
    company = await factory.company()
    admin = await factory.admin(company)
    firm = await factory.company("Byrån AB", firm=True)
    firm_user = await factory.user(firm, Role.ADMIN)
    portal = await factory.log_in(firm_user, firm, SessionContext.PORTAL)
    document = "{ timeCodes { code } }"
    for _ in range(2):
        assert "errors" not in await api(document, token=admin.token)
        refused = await api(document, token=portal)
        assert error_codes(refused) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_outside_development_mode_no_field_is_suggested(api: Api) -> None:
    """A misspelt field is not answered with the names of fields (of this or any role)."""
    body = await api("{ viewer { contxt } }")
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Did you mean" not in body["errors"][0]["message"]
    development = role_schema(SchemaRole.PUBLIC, suggestions=True)
    hinted = await development.execute("{ viewer { contxt } }")
    assert hinted.errors and "Did you mean" in hinted.errors[0].message


# Modules that define GraphQL types (the rest build, wire or measure them).
TYPE_MODULES = sorted(
    path.stem
    for path in (REPO / "gql_portal" / "schema").glob("*.py")
    if path.stem not in {"__init__", "build", "fields", "limits", "relay", "root", "scalars"}
)

# One interpreter that has imported the third-party libraries (most of the start-up time) forks
# a child per module: the child imports that module first, then builds every role's schema.
BUILD_AFTER_EACH = """
import importlib, os, sys
import graphql, sqlalchemy.ext.asyncio, sqlalchemy.orm, starlette.applications, strawberry.relay
failed = []
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module("gql_portal.schema." + name)
            from gql_portal.permissions.roles import SchemaRole
            from gql_portal.schema.build import role_schema
            for role in SchemaRole:
                role_schema(role)
        except Exception as error:
            print(name, type(error).__name__, error, flush=True)
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        failed.append(name)
sys.exit(1 if failed else 0)
"""


def test_the_schemas_build_whichever_domain_module_is_imported_first() -> None:
    """An enum shared by two domains must be registered once, by one module that the other
    imports: otherwise importing the other first (as a script or a benchmark may) defines the
    type twice and the schema cannot be built."""
    result = subprocess.run(
        [sys.executable, "-c", BUILD_AFTER_EACH, *TYPE_MODULES],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
