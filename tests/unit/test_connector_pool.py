"""ConnectorPool: keyed reuse, hard cap with LRU eviction of idle connectors, waiting when all
are busy, idle eviction, close."""

from __future__ import annotations

import asyncio

import pytest

from kxconsole.connector import (
    ConnectionConfig,
    Connector,
    ConnectorPool,
    FakeConnector,
    LocalConnector,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fake_factory(made: list[FakeConnector]) -> object:
    def make(config: ConnectionConfig) -> Connector:
        conn = FakeConnector(config)
        made.append(conn)
        return conn

    return make


def cfg(host: str, **kw: object) -> ConnectionConfig:
    return ConnectionConfig(host=host, user="ops", **kw)  # type: ignore[arg-type]


async def test_same_host_port_user_and_credentials_share_one_connector() -> None:
    made: list[FakeConnector] = []
    async with ConnectorPool(factory=fake_factory(made)) as pool:  # type: ignore[arg-type]
        a = await pool.get(cfg("web1", password="pw"))
        assert await pool.get(cfg("web1", password="pw")) is a
        assert a.is_connected
        assert await pool.get(cfg("web1", password="other")) is not a
        assert await pool.get(cfg("web1", password="pw", port=2222)) is not a
        assert await pool.get(ConnectionConfig(host="web1", user="root", password="pw")) is not a
        assert len(made) == 4 and len(pool) == 4


async def test_concurrent_gets_create_one_connector() -> None:
    made: list[FakeConnector] = []
    async with ConnectorPool(factory=fake_factory(made)) as pool:  # type: ignore[arg-type]
        got = await asyncio.gather(*(pool.get(cfg("web1")) for _ in range(10)))
    assert len(made) == 1 and all(g is got[0] for g in got)


async def test_at_the_cap_the_least_recently_used_idle_connector_is_closed() -> None:
    made: list[FakeConnector] = []
    async with ConnectorPool(max_connections=2, factory=fake_factory(made)) as pool:  # type: ignore[arg-type]
        a = await pool.get(cfg("a"))
        b = await pool.get(cfg("b"))
        await pool.get(cfg("a"))  # a is now the most recently used
        c = await pool.get(cfg("c"))
        assert len(pool) == 2 and a.is_connected and c.is_connected and not b.is_connected


async def test_at_the_cap_with_every_connector_busy_get_waits() -> None:
    made: list[FakeConnector] = []
    async with ConnectorPool(max_connections=1, factory=fake_factory(made)) as pool:  # type: ignore[arg-type]
        release = asyncio.Event()

        async def hold() -> None:
            async with pool.lease(cfg("a")):
                await release.wait()

        holder = asyncio.create_task(hold())
        await asyncio.sleep(0.05)
        waiter = asyncio.create_task(pool.get(cfg("b")))
        await asyncio.sleep(0.3)
        assert not waiter.done() and len(made) == 1
        release.set()
        await holder
        b = await asyncio.wait_for(waiter, 10)
        assert b.config.host == "b" and not made[0].is_connected and len(pool) == 1


async def test_idle_connectors_are_evicted() -> None:
    clock = Clock()
    made: list[FakeConnector] = []
    pool = ConnectorPool(idle_timeout=60, factory=fake_factory(made), clock=clock)  # type: ignore[arg-type]
    a = await pool.get(cfg("a"))
    clock.now += 30
    b = await pool.get(cfg("b"))
    clock.now += 31
    assert await pool.evict_idle() == 1
    assert not a.is_connected and b.is_connected and len(pool) == 1
    async with pool.lease(cfg("b")):
        clock.now += 100
        assert await pool.evict_idle() == 0  # leased: busy, never evicted
    clock.now += 100
    assert await pool.evict_idle() == 1
    await pool.close()


async def test_the_reaper_evicts_in_the_background() -> None:
    made: list[FakeConnector] = []
    async with ConnectorPool(idle_timeout=0.1, factory=fake_factory(made)) as pool:  # type: ignore[arg-type]
        await pool.get(cfg("a"))
        for _ in range(200):
            if len(pool) == 0:
                break
            await asyncio.sleep(0.05)
        assert len(pool) == 0 and not made[0].is_connected


async def test_close_closes_everything_and_refuses_new_gets() -> None:
    made: list[FakeConnector] = []
    pool = ConnectorPool(factory=fake_factory(made))  # type: ignore[arg-type]
    for host in ("a", "b", "c"):
        await pool.get(cfg(host))
    await pool.close()
    assert not any(c.is_connected for c in made) and len(pool) == 0
    with pytest.raises(RuntimeError):
        await pool.get(cfg("a"))


async def test_a_failed_connect_is_not_cached() -> None:
    failures = [ConnectionError("down")]

    def make(config: ConnectionConfig) -> Connector:
        return FakeConnector(config, fail_connect=failures.pop() if failures else None)

    async with ConnectorPool(factory=make) as pool:
        with pytest.raises(ConnectionError):
            await pool.get(cfg("a"))
        assert len(pool) == 0
        assert (await pool.get(cfg("a"))).is_connected


async def test_default_factory_runs_local_for_the_host_named_local() -> None:
    async with ConnectorPool() as pool:
        conn = await pool.get(ConnectionConfig(host="local", name="local"))
        assert isinstance(conn, LocalConnector)
        assert (await conn.exec("echo pooled")).stdout == b"pooled\n"
