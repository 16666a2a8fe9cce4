"""/metrics with several workers (issue 15, point 9): `gql-portal serve --workers 2` started for
real; whichever worker answers a scrape, the request counter is every worker's total, never
going back, also after a worker was killed (and restarted by uvicorn)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import REPO

REQUESTS_TOTAL = "gql_portal_graphql_requests_total"
STARTUP_SECONDS = 90


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def worker_pids(metrics_dir: Path, kind: str = "counter") -> set[int]:
    """The workers that have written metrics of `kind` (files are `<kind>_<pid>.db`)."""
    found = (re.fullmatch(rf"{kind}_(\d+)\.db", path.name) for path in metrics_dir.iterdir())
    return {int(match.group(1)) for match in found if match}


def requests_total(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == REQUESTS_TOTAL and sample.labels == {"operation_type": "query"}:
                return sample.value
    return 0.0


class Server:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metrics_dir = folder / "metrics"
        self.log = folder / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("GQL_PORTAL")}
        env.update(
            GQL_PORTAL_MODE="development",
            GQL_PORTAL_DATABASE_URL=f"sqlite+aiosqlite:///{self.folder / 'portal.db'}",
            GQL_PORTAL_STORAGE_DIR=str(self.folder / "storage"),
            PROMETHEUS_MULTIPROC_DIR=str(self.metrics_dir),
            PYTHONPATH=str(REPO),
        )
        command = [sys.executable, "-m", "gql_portal.cli", "serve", "--workers", "2"]
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [*command, "--no-demo", "--port", str(self.port), "--log-level", "warning"],
                env=env,
                cwd=self.folder,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"not up in {STARTUP_SECONDS} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def query(self) -> None:
        # A new connection each time: the kernel hands them to either worker.
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": "{ __typename }"},
            headers={"connection": "close"},
            timeout=30,
        )
        assert response.status_code == 200, response.text

    def scrape(self) -> float:
        response = httpx.get(f"{self.url}/metrics", headers={"connection": "close"}, timeout=30)
        assert response.status_code == 200
        return requests_total(response.text)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    site = Server(tmp_path)
    site.metrics_dir.mkdir()
    (site.metrics_dir / "counter_1.db").write_bytes(b"a previous run's counts")
    try:
        site.start()
        yield site
    finally:
        site.stop()


def test_every_scrape_counts_every_workers_requests(server: Server) -> None:
    # Cleaned by `serve` before the workers started.
    assert not (server.metrics_dir / "counter_1.db").exists()
    sent = 0
    scraped: list[float] = []
    with ThreadPoolExecutor(max_workers=6) as pool:
        while len(worker_pids(server.metrics_dir)) < 2:
            assert sent < 600, "one worker answered every request"
            list(pool.map(lambda _: server.query(), range(12)))
            sent += 12
            scraped.append(server.scrape())
    scraped += [server.scrape() for _ in range(8)]
    assert scraped == sorted(scraped), scraped  # never back, whichever worker answers
    assert scraped[-8:] == [sent] * 8

    # A worker killed: uvicorn starts another; its counts stay in the totals, its live gauges
    # (connections in use) leave the sums at the next scrape.
    victim = min(worker_pids(server.metrics_dir) & worker_pids(server.metrics_dir, "gauge_livesum"))
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{victim}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # until uvicorn has noticed and reaped it
    for _ in range(5):
        server.query()
        sent += 1
    assert [server.scrape() for _ in range(4)] == [sent] * 4
    assert victim not in worker_pids(server.metrics_dir, "gauge_livesum")
