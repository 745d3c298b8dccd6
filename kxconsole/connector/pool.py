"""ConnectorPool: one connected connector per (host, port, user, credentials), shared by every
caller, with a hard cap on open connectors and idle eviction.

At the cap, :meth:`ConnectorPool.get` closes the least recently used idle connector; when all
are busy it waits for one to become idle. A connector is busy while a :meth:`lease` holds it
or while it runs commands (its ``active_commands``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from kxconsole.connector.base import ConnectionConfig, Connector

log = logging.getLogger("kxconsole.connector")

PoolKey = tuple[str, int, str | None, str]
Factory = Callable[[ConnectionConfig], Connector]
LOCAL_HOSTS = ("local",)
WAIT_POLL = 0.05  # seconds between checks for a connector turning idle at the cap


def default_factory(config: ConnectionConfig) -> Connector:
    """``host == "local"``: this machine without SSH; anything else: SSH."""
    from kxconsole.connector.local import LocalConnector
    from kxconsole.connector.ssh import SSHConnector

    if config.host in LOCAL_HOSTS:
        return LocalConnector(config)
    return SSHConnector(config)


def pool_key(config: ConnectionConfig) -> PoolKey:
    return (config.host, config.port, config.user, config.credential_hash())


@dataclass
class _Entry:
    connector: Connector
    last_used: float
    leases: int = 0

    @property
    def busy(self) -> bool:
        return self.leases > 0 or getattr(self.connector, "active_commands", 0) > 0


class ConnectorPool:
    def __init__(
        self,
        max_connections: int = 64,
        idle_timeout: float = 300.0,
        *,
        factory: Factory = default_factory,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        self._factory = factory
        self._clock = clock
        self._entries: OrderedDict[PoolKey, _Entry] = OrderedDict()  # least recent first
        self._connecting: dict[PoolKey, asyncio.Task[Connector]] = {}
        self._lock = asyncio.Lock()
        self._reaper: asyncio.Task[None] | None = None
        self._closed = False

    def __len__(self) -> int:
        return len(self._entries)

    async def __aenter__(self) -> ConnectorPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def get(self, config: ConnectionConfig) -> Connector:
        """The connected connector for ``config`` (created and connected on first use)."""
        if self._closed:
            raise RuntimeError("the connector pool is closed")
        self._start_reaper()
        key = pool_key(config)
        while True:
            async with self._lock:
                entry = self._entries.get(key)
                if entry is not None:
                    entry.last_used = self._clock()
                    self._entries.move_to_end(key)
                    return entry.connector
                task = self._connecting.get(key)
                if task is None and await self._make_room():
                    task = asyncio.create_task(self._connect(key, config))
                    self._connecting[key] = task
            if task is None:  # at the cap and every connector busy: wait, then look again
                await asyncio.sleep(WAIT_POLL)
                continue
            return await asyncio.shield(task)

    async def _connect(self, key: PoolKey, config: ConnectionConfig) -> Connector:
        connector = self._factory(config)
        try:
            await connector.connect()
            async with self._lock:
                self._entries[key] = _Entry(connector, self._clock())
            return connector
        finally:
            self._connecting.pop(key, None)

    async def _make_room(self) -> bool:
        """Under the lock: True when one more connector fits (after evicting an idle one)."""
        if len(self._entries) + len(self._connecting) < self.max_connections:
            return True
        for key, entry in self._entries.items():  # least recently used first
            if not entry.busy:
                del self._entries[key]
                log.debug("pool: closing %s to stay within %d", key[0], self.max_connections)
                await _close_quietly(entry.connector)
                return True
        return False

    @contextlib.asynccontextmanager
    async def lease(self, config: ConnectionConfig) -> AsyncIterator[Connector]:
        """``async with pool.lease(cfg) as conn``: the connector is never evicted meanwhile."""
        connector = await self.get(config)
        entry = self._entries.get(pool_key(config))
        if entry is not None:
            entry.leases += 1
        try:
            yield connector
        finally:
            if entry is not None:
                entry.leases -= 1
                entry.last_used = self._clock()

    async def evict_idle(self) -> int:
        """Close connectors unused for ``idle_timeout`` seconds; returns how many."""
        now = self._clock()
        async with self._lock:
            stale = [
                key
                for key, entry in self._entries.items()
                if not entry.busy and now - entry.last_used >= self.idle_timeout
            ]
            entries = [self._entries.pop(key) for key in stale]
        for entry in entries:
            await _close_quietly(entry.connector)
        return len(entries)

    def _start_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.create_task(self._reap())

    async def _reap(self) -> None:
        interval = max(min(self.idle_timeout / 2, 30.0), 0.05)
        while not self._closed:
            await asyncio.sleep(interval)
            await self.evict_idle()

    async def close(self) -> None:
        """Close every connector; the pool cannot be used afterwards."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for task in list(self._connecting.values()):
            with contextlib.suppress(Exception):
                await task
        async with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
        for entry in entries:
            await _close_quietly(entry.connector)


async def _close_quietly(connector: Connector) -> None:
    try:
        await connector.close()
    except Exception as exc:  # closing is best effort; one bad host must not block the rest
        log.warning("pool: closing %s failed: %s", connector.config.label, exc)
