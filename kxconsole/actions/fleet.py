"""Gather facts for a whole fleet with a bounded fan-out, as a stream of plain events.

:class:`FleetGatherer` keeps one connector per host (made on first use by the injected
``connector_factory`` and reused by later gathers and by the console's host view), maps the
error tree onto :class:`~kxconsole.actions.events.HostState`, and never lets one host's
failure stop the others. No Textual here: the console and the CLI both drive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable, Iterable

from kxconsole.actions.events import FactsGathered, FleetEvent, HostState, HostStateChanged
from kxconsole.connector.base import Connector
from kxconsole.errors import AuthError, CommandTimeout, ConnectError, HostKeyError, KxError
from kxconsole.inventory.model import Host, Inventory
from kxconsole.runner.models import Facts

ConnectorFactory = Callable[[Host], Connector]
GatherFn = Callable[[Connector], Awaitable[Facts]]
EventSink = Callable[[FleetEvent], None]

REASON_MAX = 120  # characters of an error message kept on a row


def classify_error(exc: BaseException, host: str = "") -> tuple[HostState, str]:
    """The row state and a short one-line reason for a failure of ``host``."""
    if isinstance(exc, HostKeyError):
        state = HostState.HOST_KEY_CHANGED if exc.changed else HostState.HOST_KEY_UNKNOWN
    elif isinstance(exc, AuthError):
        state = HostState.AUTH_FAILED
    elif isinstance(exc, ConnectError | OSError):
        state = HostState.UNREACHABLE
    elif isinstance(exc, CommandTimeout | TimeoutError):
        state = HostState.TIMEOUT
    else:
        state = HostState.ERROR
    return state, short_reason(exc, host)


def short_reason(exc: BaseException, host: str = "") -> str:
    """The first line of the error, without a leading ``host:`` or ``host (addr):`` (the row
    already names the host), cut to ``REASON_MAX`` characters."""
    text = exc.message if isinstance(exc, KxError) else str(exc)
    line = (text.strip().splitlines() or [""])[0] or type(exc).__name__
    if host:
        line = re.sub(rf"^{re.escape(host)}(\s*\([^)]*\))?:\s*", "", line) or line
    return line if len(line) <= REASON_MAX else line[: REASON_MAX - 1] + "…"


async def _default_gather(conn: Connector) -> Facts:
    from kxconsole.runner import Runner  # the runner module is heavy; load it on first use

    return await Runner().gather_facts(conn)


class FleetGatherer:
    """Gathers facts of many hosts, ``fanout`` at a time, each bounded by ``timeout`` seconds
    (connect + facts). ``gather`` defaults to ``Runner().gather_facts``; ``clock`` (seconds
    since the epoch) is injectable so snapshots are deterministic."""

    def __init__(
        self,
        inventory: Inventory,
        connector_factory: ConnectorFactory,
        fanout: int = 20,
        timeout: float = 30.0,
        *,
        gather: GatherFn | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.inventory = inventory
        self.connector_factory = connector_factory
        self.fanout = max(1, fanout)
        self.timeout = timeout
        self.clock = clock
        self._gather = gather or _default_gather
        self._connectors: dict[str, Connector] = {}
        self._slots = asyncio.Semaphore(self.fanout)

    def connector(self, host_name: str) -> Connector:
        """This host's connector, made once and reused (raises ``KeyError`` for an unknown
        host, and whatever the factory raises for a host it cannot build)."""
        conn = self._connectors.get(host_name)
        if conn is None:
            conn = self.connector_factory(self.inventory.hosts[host_name])
            self._connectors[host_name] = conn
        return conn

    async def gather_all(
        self, on_event: EventSink, hosts: Iterable[str] | None = None
    ) -> dict[str, Facts]:
        """Gather every host (or ``hosts``) and emit events as they happen; returns the facts
        of the hosts that answered. Never raises for a host's failure."""
        names = list(self.inventory.hosts if hosts is None else hosts)
        results: dict[str, Facts] = {}

        async def one(name: str) -> None:
            facts = await self.gather_one(name, on_event)
            if facts is not None:
                results[name] = facts

        await asyncio.gather(*(one(n) for n in names))
        return results

    async def gather_one(self, name: str, on_event: EventSink) -> Facts | None:
        """Gather one host inside a fan-out slot; the outcome is reported through events."""
        async with self._slots:
            on_event(HostStateChanged(name, HostState.CONNECTING, "", self.clock()))
            try:
                conn = self.connector(name)
                async with asyncio.timeout(self.timeout):
                    if not conn.is_connected:
                        await conn.connect()
                    facts = await self._gather(conn)
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                reason = f"no answer within {self.timeout:g} s (connect + facts)"
                on_event(HostStateChanged(name, HostState.TIMEOUT, reason, self.clock()))
                await self._drop(name)
                return None
            except Exception as exc:  # one host's failure must never stop the fleet
                state, reason = classify_error(exc, name)
                on_event(HostStateChanged(name, state, reason, self.clock()))
                await self._drop(name)
                return None
            at = self.clock()
            on_event(FactsGathered(name, facts, at))
            on_event(HostStateChanged(name, HostState.UP, "", at))
            return facts

    async def _drop(self, name: str) -> None:
        # a failed connection is not reused: the next gather starts afresh
        conn = self._connectors.pop(name, None)
        if conn is not None:
            # closing a broken connection may fail too; nothing more to do about it
            with contextlib.suppress(Exception):
                await conn.close()

    async def close(self) -> None:
        """Close every connector this gatherer opened."""
        conns, self._connectors = list(self._connectors.values()), {}
        for conn in conns:
            with contextlib.suppress(Exception):  # best effort at shutdown
                await conn.close()
