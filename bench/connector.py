"""Connector benchmark against real sshd on loopback (the tier-1 harness), side by side:

1. connect + one command on N hosts at once: SSHConnector vs a bare asyncssh loop
   (target ratio <= 1.2);
2. 100 sequential commands over one reused connection vs a new connection per command
   (target speedup >= 5x).

Run as root: ``python3 bench/connector.py [--sizes 1,10,50] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncssh  # noqa: E402

from kxconsole.connector import SSHConnector  # noqa: E402
from tests.harness.sshd import (  # noqa: E402
    SshdHost,
    SshEnv,
    config_for,
    start_ssh_env,
    start_sshd_fleet,
    stop_all,
)

COMMAND = "echo ok"


async def kx_fan_out(env: SshEnv, hosts: list[SshdHost]) -> None:
    async def one(host: SshdHost) -> None:
        async with SSHConnector(config_for(host, env, "key")) as conn:
            result = await conn.exec(COMMAND)
            assert result.stdout == b"ok\n", result

    await asyncio.gather(*(one(h) for h in hosts))


async def bare_fan_out(env: SshEnv, hosts: list[SshdHost]) -> None:
    async def one(host: SshdHost) -> None:
        async with asyncssh.connect(
            host.address, host.port, username=env.key_user,
            client_keys=[str(env.client_key_path)], known_hosts=str(env.known_hosts_path),
            agent_path=None, config=None,
        ) as conn:
            result = await conn.run(COMMAND)
            assert result.stdout == "ok\n", result

    await asyncio.gather(*(one(h) for h in hosts))


async def kx_reused(env: SshEnv, host: SshdHost, n: int) -> None:
    async with SSHConnector(config_for(host, env, "key")) as conn:
        for _ in range(n):
            assert (await conn.exec(COMMAND)).ok


async def kx_per_command(env: SshEnv, host: SshdHost, n: int) -> None:
    for _ in range(n):
        async with SSHConnector(config_for(host, env, "key")) as conn:
            assert (await conn.exec(COMMAND)).ok


async def timed(make: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await make()
    return time.perf_counter() - started


async def median_pair(
    rounds: int, a: Callable[[], Awaitable[None]], b: Callable[[], Awaitable[None]]
) -> tuple[float, float]:
    """Alternate a and b ``rounds`` times (after one warm-up each) and return the medians."""
    await a()
    await b()
    times_a, times_b = [], []
    for _ in range(rounds):
        times_a.append(await timed(a))
        times_b.append(await timed(b))
    return statistics.median(times_a), statistics.median(times_b)


async def main(sizes: list[int], rounds: int, sequential: int) -> None:
    env = start_ssh_env(Path(tempfile.mkdtemp(prefix="kx-bench-")))
    fleet = start_sshd_fleet(env, max(sizes))
    print(f"{max(sizes)} sshd on loopback, median of {rounds} alternating rounds\n")
    print(f"{'work':<46} {'kxconsole':>10} {'reference':>10} {'figure':>12}")
    for n in sizes:
        hosts = fleet[:n]
        kx, bare = await median_pair(
            rounds, lambda h=hosts: kx_fan_out(env, h), lambda h=hosts: bare_fan_out(env, h)
        )
        label = f"connect + 1 command, {n} host(s) (vs asyncssh)"
        print(f"{label:<46} {kx:>9.3f}s {bare:>9.3f}s {kx / bare:>10.2f}x")
    host = fleet[0]
    reused, fresh = await median_pair(
        rounds,
        lambda: kx_reused(env, host, sequential),
        lambda: kx_per_command(env, host, sequential),
    )
    label = f"{sequential} sequential cmds, reused (vs per-cmd)"
    print(f"{label:<46} {reused:>9.3f}s {fresh:>9.3f}s {fresh / reused:>9.1f}x faster")
    print("\ntargets: fan-out ratio <= 1.2x; reuse speedup >= 5x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,50")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sequential", type=int, default=100)
    args = parser.parse_args()
    try:
        asyncio.run(main([int(s) for s in args.sizes.split(",")], args.rounds, args.sequential))
    finally:
        stop_all()
