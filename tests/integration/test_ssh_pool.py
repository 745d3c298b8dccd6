"""ConnectorPool over real sshd (tier 1): one connection per host, close closes them all."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from kxconsole.connector import ConnectorPool, SSHConnector
from tests.harness.sshd import SshdHost, SshEnv, config_for
from tests.integration.test_local_connector import wait_until
from tests.integration.test_ssh_connector import session_children

pytestmark = pytest.mark.sshd


async def test_pool_reuses_one_connection_per_host_and_closes_all(
    sshd_fleet: Callable[..., list[SshdHost]], ssh_env: SshEnv
) -> None:
    hosts = sshd_fleet(2)
    pool = ConnectorPool(max_connections=4)
    try:
        async def run(host: SshdHost, i: int) -> bytes:
            conn = await pool.get(config_for(host, ssh_env, "key"))
            return (await conn.exec(f"echo {i}")).stdout

        outputs = await asyncio.gather(*(run(h, i) for i in range(10) for h in hosts))
        assert sorted(outputs) == sorted(f"{i}\n".encode() for i in range(10) for _ in hosts)
        assert len(pool) == 2
        for host in hosts:
            conn = await pool.get(config_for(host, ssh_env, "key"))
            assert isinstance(conn, SSHConnector) and conn.connections_made == 1
            assert session_children(host) == 1
    finally:
        await pool.close()
    assert await wait_until(lambda: all(session_children(h) == 0 for h in hosts))
