"""The results: one JSON file (everything) and one Markdown file (the tables) per run."""

from __future__ import annotations

import importlib.metadata
import math
import os
import platform
import statistics
import subprocess
from pathlib import Path
from typing import Any

from bench.server import REPO

PACKAGES = (
    "strawberry-graphql",
    "graphql-core",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "orjson",
)


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as handle:
            model = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")),
                "",
            )
    except OSError:
        pass
    memory_kib = 0
    try:
        with open("/proc/meminfo") as handle:
            memory_kib = int(handle.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "load_average": list(os.getloadavg()),
    }


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = "-"
    return found


def git() -> dict[str, Any]:
    def run(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    return {
        "commit": run("rev-parse", "HEAD"),
        "dirty": bool(run("status", "--porcelain", "--untracked-files=no")),
    }


def median(values: list[float]) -> float:
    clean = [value for value in values if not math.isnan(value)]
    return statistics.median(clean) if clean else float("nan")


def _number(value: float | None, places: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if places == 0 or abs(value) >= 100:
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.{places}f}"


def summarize(measurements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Medians per (scenario, workers, target) over the repeats, the ratio to the limit (the
    median over repeats of limit req/s ÷ product req/s, measured side by side) and, where the
    resolver path was measured, how many times faster the product (compiled) is than it."""
    rows: list[dict[str, Any]] = []
    keys = sorted(
        {(m["scenario"], m["workers"]) for m in measurements},
        key=lambda key: (key[1], [m["scenario"] for m in measurements].index(key[0])),
    )
    for scenario, workers in keys:
        row: dict[str, Any] = {"scenario": scenario, "workers": workers}
        for target in ("product", "resolver", "limit"):
            runs = [
                m
                for m in measurements
                if m["scenario"] == scenario and m["workers"] == workers and m["target"] == target
            ]
            if not runs and target == "resolver":
                continue
            row[target] = {
                "repeats": len(runs),
                "rps": median([m["rps"] for m in runs]),
                "p50_ms": median([m["p50_ms"] for m in runs]),
                "p99_ms": median([m["p99_ms"] for m in runs]),
                "peak_rss_mib": max((m["peak_rss_mib"] for m in runs), default=float("nan")),
                "server_cpu_ms_per_request": median([m["server_cpu_ms_per_request"] for m in runs]),
                "client_cpu_ms_per_request": median([m["client_cpu_ms_per_request"] for m in runs]),
                "requests": sum(m["requests"] for m in runs),
                "connections": runs[0]["connections"] if runs else 0,
                "errors": sum(m["errors"] for m in runs),
            }
        row["ratio"] = _paired(measurements, scenario, workers, "limit", "product")
        if "resolver" in row:
            row["speed_up"] = _paired(measurements, scenario, workers, "product", "resolver")
        rows.append(row)
    return rows


def _paired(
    measurements: list[dict[str, Any]], scenario: str, workers: int, over: str, under: str
) -> float:
    """The median over repeats of `over`'s req/s ÷ `under`'s, measured side by side."""
    pairs = [
        a["rps"] / b["rps"]
        for a in measurements
        for b in measurements
        if a["scenario"] == b["scenario"] == scenario
        and a["workers"] == b["workers"] == workers
        and a["repeat"] == b["repeat"]
        and a["target"] == over
        and b["target"] == under
        and b["rps"] > 0
    ]
    return median(pairs)


def markdown(results: dict[str, Any]) -> str:
    statements = results.get("statements", {})
    titles = results["scenario_titles"]
    lines = [
        f"# Benchmark {results['started']} on {results['database']['dialect']}",
        "",
        f"Command: `{results['command']}`",
        "",
        f"Data: {results['database']['size']['clients']} clients × "
        f"{results['database']['size']['employees']} employees, a company of "
        f"{results['database']['size']['big_company']} employees "
        f"({results['database']['describe']}). Load: {results['settings']['load']}.",
        "",
        "Ratio: the limit's req/s ÷ the product's, median of side-by-side pairs (1.0 = as fast "
        "as the hand-written limit). The product runs queries the compiler handles compiled "
        "(gql_portal/compiled); the resolver path is the same server with "
        "`GQL_PORTAL_COMPILED=off`; 'compiled speed-up' is the product's req/s ÷ the resolver "
        "path's, median of side-by-side pairs. Latencies include queueing at the given "
        "connections. Peak RSS: the sum of VmHWM over the server's process tree.",
        "",
        "| scenario | workers | req/s | p50 ms | p99 ms | peak RSS MB | statements/request "
        "| ratio to the limit | resolver path req/s | compiled speed-up | limit req/s "
        "| limit p50 ms | limit statements |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["summary"]:
        product, limit = row["product"], row["limit"]
        resolver = row.get("resolver")
        counted = statements.get(row["scenario"], {})
        lines.append(
            f"| {titles[row['scenario']]} | {row['workers']} | {_number(product['rps'])} "
            f"| {_number(product['p50_ms'])} | {_number(product['p99_ms'])} "
            f"| {_number(product['peak_rss_mib'], 0)} "
            f"| {_number(counted.get('product'), 1)} | {_number(row['ratio'], 1)}× "
            f"| {_number(resolver['rps']) if resolver else '–'} "
            f"| {_number(row['speed_up'], 1) + '×' if resolver else '–'} "
            f"| {_number(limit['rps'])} | {_number(limit['p50_ms'])} "
            f"| {_number(counted.get('limit'), 1)} |"
        )
    lines += [
        "",
        "Details (medians): server CPU per request (all of the server's processes, measured "
        "over warm-up and window: an upper bound), the load generator's CPU per request, "
        "requests measured (all repeats), connections, errors.",
        "",
        "| scenario | workers | product CPU ms/req | limit CPU ms/req | client CPU ms/req "
        "| product p99 / limit p99 ms | limit peak RSS MB | requests (product/limit) "
        "| connections | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["summary"]:
        product, limit = row["product"], row["limit"]
        lines.append(
            f"| {titles[row['scenario']]} | {row['workers']} "
            f"| {_number(product['server_cpu_ms_per_request'], 2)} "
            f"| {_number(limit['server_cpu_ms_per_request'], 2)} "
            f"| {_number(product['client_cpu_ms_per_request'], 2)} "
            f"| {_number(product['p99_ms'])} / {_number(limit['p99_ms'])} "
            f"| {_number(limit['peak_rss_mib'], 0)} "
            f"| {product['requests']} / {limit['requests']} "
            f"| {product['connections']} | {product['errors'] + limit['errors']} |"
        )
    if statements:
        lines += ["", "Statements per request of each kind (in-process, one counted request):", ""]
        for scenario, counted in statements.items():
            lines.append(
                f"- {titles[scenario]}: product {counted['product_per_kind']}, "
                f"limit {counted['limit_per_kind']}"
            )
    checks = results.get("same_json", {})
    if checks:
        lines += [
            "",
            "Same JSON as the product (reads: `data` equal; writes: same keys): "
            + ", ".join(f"{name} {'yes' if same else 'NO'}" for name, same in checks.items()),
        ]
    profile = results.get("profile")
    if profile:
        lines += [
            "",
            f"## Profile: {titles[profile['scenario']]} (in-process, cProfile, "
            f"{profile['requests']} requests, {profile['seconds_per_request'] * 1000:.0f} ms "
            "each under the profiler)",
            "",
            "By cumulative time, above the database layer (SQLAlchemy's async layer switches "
            "greenlets, which cProfile cannot follow: its cumulative times, and any larger than "
            "the profiled wall time, are left out; its own time is in the next tables):",
            "",
            "```",
            profile["by_cumulative"],
            "```",
            "",
            "By own time (tottime):",
            "",
            "```",
            profile["by_tottime"],
            "```",
            "",
            "Own time by package:",
            "",
            "```",
            profile.get("by_package", ""),
            "```",
        ]
    info = results["machine"]
    lines += [
        "",
        "## Machine and versions",
        "",
        f"- {info['cores']} cores, {info['cpu']}, {info['memory_gib']} GiB, "
        f"kernel {info['kernel']}; load average at start {info['load_average']}, "
        f"at end {results.get('load_average_end')}",
        "- " + ", ".join(f"{name} {version}" for name, version in results["versions"].items()),
        f"- git {results['git']['commit'][:12]}"
        + (" (with uncommitted changes)" if results["git"]["dirty"] else ""),
        f"- run took {results['seconds']:.0f} s (data {results['data_seconds']:.0f} s)",
    ]
    return "\n".join(lines) + "\n"


def write(results: dict[str, Any], out: Path, stem: str) -> tuple[Path, Path]:
    import orjson

    out.mkdir(parents=True, exist_ok=True)
    json_path = out / f"{stem}.json"
    md_path = out / f"{stem}.md"
    json_path.write_bytes(
        orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"
    )
    md_path.write_text(markdown(results))
    return json_path, md_path
