"""Benchmark: what a runner operation costs over the bare commands it runs (LocalConnector).

Side by side in one run, each figure the median of ``--rounds`` rounds of ``--calls`` calls:

- exec        one bare ``conn.exec("true")`` (the floor: one round trip)
- exists      ``Runner.exists`` (one probe)
- write noop  ``Runner.write_file`` when the file is already as asked (one probe, no step)
- write       ``Runner.write_file`` with new content (one probe + one atomic put)
- dry-run     ``Runner(dry_run=True).write_file`` with new content (one probe only)
- plan        building and planning ``install_packages`` from canned output (no host)

Ratios are against ``exec``; a one-probe no-op should cost about one round trip (≈1.0).
Run: ``python3 bench/runner_ops.py [--rounds 5] [--calls 50]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from kxconsole.connector import LocalConnector
from kxconsole.runner import Facts, PackageManagerType, Runner
from kxconsole.runner.families import package_info_for
from kxconsole.runner.ops_core import ProbeResult
from kxconsole.runner.ops_packages import install_packages_op


async def _timed(calls: int, action: Callable[[int], Awaitable[object]]) -> float:
    start = time.perf_counter()
    for i in range(calls):
        await action(i)
    return (time.perf_counter() - start) / calls * 1000  # ms per call


async def main(rounds: int, calls: int) -> None:
    runner, dry = Runner(), Runner(dry_run=True)
    facts = Facts(package_manager=package_info_for(PackageManagerType.APT))
    query = ProbeResult(1, "curl\tinstall ok installed\t7.88\n")

    async def plan(_: int) -> object:
        return install_packages_op(facts, ["nginx", "curl"]).plan({"query": query})

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "f.conf")
        async with LocalConnector() as conn:
            await runner.write_file(conn, b"same\n", path, "0644")
            cases: dict[str, Callable[[int], Awaitable[object]]] = {
                "exec": lambda _: conn.exec("true"),
                "exists": lambda _: runner.exists(conn, path),
                "write noop": lambda _: runner.write_file(conn, b"same\n", path, "0644"),
                "write": lambda i: runner.write_file(conn, f"{i}\n".encode(), path, "0644"),
                "dry-run": lambda i: dry.write_file(conn, f"x{i}\n".encode(), path, "0644"),
                "plan": plan,
            }
            figures: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(rounds):
                for name, action in cases.items():
                    figures[name].append(await _timed(calls, action))
    floor = statistics.median(figures["exec"])
    print(f"{'operation':<12} {'ms/call':>9} {'× exec':>8}")
    for name, values in figures.items():
        median = statistics.median(values)
        print(f"{name:<12} {median:>9.3f} {median / floor:>8.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.calls))
