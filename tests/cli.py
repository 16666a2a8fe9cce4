"""Running the `gql-portal` command in-process, on the test database and the test clock."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from gql_portal.cli import main
from gql_portal.clock import Clock


@dataclass
class Outcome:
    code: int
    out: str
    err: str


class Cli:
    """`await cli("accounts", "show", ...)`: `main(argv)` in a worker thread (it runs its own
    event loop, as the console script does) against GQL_PORTAL_DATABASE_URL = the test database."""

    def __init__(self, capsys: pytest.CaptureFixture[str], clock: Clock) -> None:
        self.capsys = capsys
        self.clock = clock

    async def __call__(self, *argv: str) -> Outcome:
        self.capsys.readouterr()  # what came before is not this command's
        code = await asyncio.to_thread(self._run, argv)
        captured = self.capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    def _run(self, argv: Sequence[str]) -> int:
        try:
            return main(list(argv), clock=self.clock)
        except SystemExit as exit:
            return int(exit.code or 0)


def make_cli(
    capsys: pytest.CaptureFixture[str],
    clock: Clock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    """For a test module's `cli` fixture: the command on the test database, as `sara.support`."""
    monkeypatch.setenv("GQL_PORTAL_DATABASE_URL", database_url)
    monkeypatch.setenv("USER", "sara.support")
    return Cli(capsys, clock)
