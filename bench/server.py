"""Servers as subprocesses: the product (`gql-portal serve`) and the limit (`python -m
bench.limit`), each with its own process tree, readiness wait, peak RSS and CPU time.

Peak RSS is the sum of VmHWM over the server's process tree (a supervisor and its workers
when --workers > 1). Before each measurement the peaks are reset (`echo 5 >
/proc/PID/clear_refs`), so each scenario reports its own peak; where the kernel refuses, the
peak since start is reported (and marked so).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        parent = int(stat[stat.rfind(")") + 2 :].split()[1])
        tree.setdefault(parent, []).append(int(entry))
    return tree


def process_tree(pid: int) -> list[int]:
    tree = _children()
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def _status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            stat = handle.read()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


@dataclass
class Server:
    """A server subprocess in its own session (so that its workers can be ended with it)."""

    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    workers: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    peak_reset_works: bool = True
    start_seconds: float = 0.0
    _log: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 300.0) -> None:
        started = time.monotonic()
        log = self.log_path.open("wb")
        self._log = log
        self.process = subprocess.Popen(
            self.command,
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode} during start-up; "
                    f"see {self.log_path}:\n{self.log_path.read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as response:
                    if response.status == 200 and self._workers_up():
                        self.start_seconds = time.monotonic() - started
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} was not ready within {timeout:.0f} s; see {self.log_path}")

    def _workers_up(self) -> bool:
        """With several workers, wait until each is serving (a child per worker)."""
        if self.workers == 1:
            return True
        assert self.process is not None
        return len(process_tree(self.process.pid)) > self.workers

    def pids(self) -> list[int]:
        return process_tree(self.process.pid) if self.process else []

    def reset_peaks(self) -> None:
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/clear_refs", "w") as handle:
                    handle.write("5")
            except OSError:
                self.peak_reset_works = False

    def peak_rss_mib(self) -> float:
        return sum(_status_kib(pid, "VmHWM:") for pid in self.pids()) / 1024

    def rss_mib(self) -> float:
        return sum(_status_kib(pid, "VmRSS:") for pid in self.pids()) / 1024

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(pid) for pid in self.pids())

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # uvicorn ends its workers, then itself
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # our own session, by its id
                process.wait(timeout=5)
        self.process = None
        log = self._log
        if log is not None:
            log.close()  # type: ignore[attr-defined]


def product_server(
    database_url: str,
    storage_dir: str,
    workers: int,
    log_dir: Path,
    *,
    refusing_budgets: bool = False,
    compiled: bool = True,
) -> Server:
    """The product; with `refusing_budgets`, with the cost budgets it is configured with (by
    default the product's own), as `bench attack` measures them; without `compiled`, every
    query on the resolver path (`GQL_PORTAL_COMPILED=off`), named "resolver"."""
    port = free_port()
    env = {
        **os.environ,
        "GQL_PORTAL_DATABASE_URL": database_url,
        "GQL_PORTAL_STORAGE_DIR": storage_dir,
        "GQL_PORTAL_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "GQL_PORTAL_COMPILED": "on" if compiled else "off",
    }
    if not refusing_budgets:
        # Benchmarks measure throughput from one address and a few sessions: the per-minute
        # cost budgets (gql_portal/budgets.py) still run and are charged, but never refuse.
        env["GQL_PORTAL_COST_BUDGET_PER_SESSION"] = "1000000000"
        env["GQL_PORTAL_COST_BUDGET_PER_ADDRESS"] = "1000000000"
    command = [
        str(VENV_BIN / "gql-portal"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-demo",
        "--log-level",
        "warning",
    ]
    target = "product" if compiled else "resolver"
    name = f"{target}-budgets" if refusing_budgets else target
    return Server(target, command, env, port, workers, log_dir / f"{name}-w{workers}.log")


def limit_server(database_url: str, workers: int, log_dir: Path) -> Server:
    port = free_port()
    env = {**os.environ, "GQL_PORTAL_DATABASE_URL": database_url}
    command = [
        sys.executable,
        "-m",
        "bench.limit",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return Server("limit", command, env, port, workers, log_dir / f"limit-w{workers}.log")
