"""The repository explains itself: its docs are current with the code and point nowhere outside."""

from __future__ import annotations

import subprocess

from gql_portal.permissions import document
from gql_portal.permissions.matrix import FIRM_MATRIX, MATRIX, Area, Grant, Reach
from tests.conftest import REPO


def test_the_permissions_page_is_written_from_the_matrix() -> None:
    written = (REPO / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert written == document.render(), "docs/permissions.md is stale: run `make schema`"


def test_every_area_and_actor_of_the_matrix_is_on_the_page() -> None:
    page = document.render()
    for area in Area:
        assert f"| `{area.value}` | {document.COVERS[area]} |" in page
    for area in FIRM_MATRIX:
        assert f"| `{area.value}` |" in page
    assert all(actor in MATRIX[Area.TIME] for actor in document.ACTOR_HEADINGS)


def test_grants_read_as_the_matrix_means_them() -> None:
    assert document.describe_grant(Grant()) == "none"
    assert document.describe_grant(Grant(Reach.ALL, Reach.ALL, Reach.ALL, Reach.ALL)) == "all"
    assert document.describe_grant(Grant(read=Reach.ALL, export=Reach.ALL)) == "read, export"
    assert document.describe_grant(Grant(read=Reach.OWN, write=Reach.OWN)) == "own: read, write"
    assert document.describe_grant(Grant(read=Reach.ALL, write=Reach.OWN)) == "read; own: write"


def test_nothing_in_the_repository_points_outside_it() -> None:
    """A clone has no ../shared: README, docs and code must explain the product themselves
    (tests may read the PAXml standard from beside the checkout, and skip without it)."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    offenders = []
    for name in tracked:
        if name.startswith("tests/") or not name.endswith((".md", ".py", ".toml", ".cfg", ".ini")):
            continue
        text = (REPO / name).read_text(encoding="utf-8", errors="replace")
        if "../shared" in text or "DESIGN.md" in text:
            offenders.append(name)
    assert offenders == []
