"""Benchmark: gathering facts from N real SSH hosts on this machine (one sshd per loopback
address, from tests/harness/sshd.py), side by side in one run.

For N = 1, 10, 50, all hosts concurrently, each figure the median of a few rounds:

- kx      ``SSHConnector`` connect + ``Runner().gather_facts`` + close (parsed Facts)
- floor   a bare asyncssh loop: connect, run ``sh -c FACTS_SCRIPT``, read stdout, close
- ratio   kx / floor (target ≤ 1.15: the runner's own overhead)
- true    the same bare loop running ``true`` (what the connection alone costs)
- script  floor − true (what the script itself costs per round)
- execs   exec calls per host during gather_facts (target 1: one round trip)

Run as root (the harness starts sshd and a mount namespace for its test users):
``python3 bench/facts.py [--rounds 3] [--sizes 1,10,50]``.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncssh

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kxconsole.connector import ConnectionConfig, ExecOptions, ExecResult, SSHConnector
from kxconsole.runner import FACTS_SCRIPT, Runner
from tests.harness.sshd import (
    SshdHost,
    SshEnv,
    config_for,
    start_ssh_env,
    start_sshd_fleet,
    stop_all,
    stop_hosts,
)

TARGET_RATIO = 1.15


class CountingConnector:
    """Wraps a connector and counts its exec and stream calls (round trips); everything else
    is passed through unchanged."""

    def __init__(self, inner: SSHConnector) -> None:
        self.inner = inner
        self.execs = 0

    async def exec(self, cmd: str, opts: ExecOptions | None = None) -> ExecResult:
        self.execs += 1
        return await self.inner.exec(cmd, opts)

    def stream(self, cmd: str, opts: ExecOptions | None = None) -> Any:
        self.execs += 1
        return self.inner.stream(cmd, opts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def kx_round(configs: list[ConnectionConfig]) -> tuple[float, list[int]]:
    runner = Runner()

    async def one(config: ConnectionConfig) -> int:
        conn = CountingConnector(SSHConnector(config))
        try:
            await conn.inner.connect()
            facts = await runner.gather_facts(conn)  # type: ignore[arg-type]
            if not facts.os.id or not facts.kernel:
                raise RuntimeError(f"{config.label}: facts incomplete: {facts.errors}")
        finally:
            await conn.inner.close()
        return conn.execs

    started = time.perf_counter()
    execs = await asyncio.gather(*(one(c) for c in configs))
    return time.perf_counter() - started, list(execs)


async def bare_round(env: SshEnv, hosts: list[SshdHost], command: str) -> float:
    async def one(host: SshdHost) -> None:
        async with asyncssh.connect(
            host.address,
            host.port,
            username=env.key_user,
            client_keys=[str(env.client_key_path)],
            known_hosts=str(env.known_hosts_path),
            agent_path=None,
            config=None,
        ) as conn:
            result = await conn.run(command, check=True)
            if not result.stdout and command != "true":
                raise RuntimeError(f"{host.address}: no output")

    started = time.perf_counter()
    await asyncio.gather(*(one(h) for h in hosts))
    return time.perf_counter() - started


async def measure(env: SshEnv, hosts: list[SshdHost], rounds: int) -> dict[str, Any]:
    configs = [config_for(h, env, "key") for h in hosts]
    script = "sh -c " + shlex.quote(FACTS_SCRIPT)
    # one untimed warm-up of each, so no figure pays for first-use costs
    await kx_round(configs)
    await bare_round(env, hosts, script)
    kx: list[float] = []
    floor: list[float] = []
    trivial: list[float] = []
    execs: list[int] = []

    async def kx_once() -> None:
        wall, counts = await kx_round(configs)
        kx.append(wall)
        execs.extend(counts)

    async def floor_once() -> None:
        floor.append(await bare_round(env, hosts, script))

    async def trivial_once() -> None:
        trivial.append(await bare_round(env, hosts, "true"))

    kinds = [kx_once, floor_once, trivial_once]
    for i in range(rounds):
        # interleaved and rotated, so drift in machine load (other work on the 2 cores)
        # and any first-in-round effect hit all three alike
        for run_once in kinds[i % 3 :] + kinds[: i % 3]:
            await run_once()
    return {
        "kx": statistics.median(kx),
        "floor": statistics.median(floor),
        "true": statistics.median(trivial),
        "execs": max(execs),
    }


def print_table(rows: list[tuple[int, dict[str, Any]]]) -> None:
    header = (
        f"{'hosts':>5}  {'kx gather_facts':>15}  {'bare facts':>10}  {'ratio':>6}  "
        f"{'bare true':>9}  {'script cost':>11}  {'execs/host':>10}"
    )
    print(header)
    print("-" * len(header))
    for n, r in rows:
        ratio = r["kx"] / r["floor"]
        flag = "" if ratio <= TARGET_RATIO else "  (over target)"
        print(
            f"{n:>5}  {r['kx']:>14.3f}s  {r['floor']:>9.3f}s  {ratio:>5.2f}x  "
            f"{r['true']:>8.3f}s  {r['floor'] - r['true']:>10.3f}s  {r['execs']:>10}{flag}"
        )
    print(f"\nratio target ≤ {TARGET_RATIO}; execs/host target 1 (one round trip)")


async def main(sizes: list[int], rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="kx-bench-facts-") as tmp:
        env = start_ssh_env(Path(tmp))
        try:
            rows = []
            for n in sizes:
                hosts = start_sshd_fleet(env, n)
                try:
                    rows.append((n, await measure(env, hosts, rounds)))
                finally:
                    stop_hosts(hosts)
            print_table(rows)
        finally:
            stop_all()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--sizes", default="1,10,50")
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")], args.rounds))
