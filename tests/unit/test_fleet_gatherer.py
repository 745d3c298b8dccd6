"""FleetGatherer: bounded fan-out, error mapping, events, connector reuse (fake connectors)."""

from __future__ import annotations

import asyncio

from kxconsole.actions.demo import demo_connector
from kxconsole.actions.events import FactsGathered, FleetEvent, HostState, HostStateChanged
from kxconsole.actions.fleet import FleetGatherer, classify_error
from kxconsole.connector.base import Connector
from kxconsole.errors import AuthError, CommandTimeout, ConnectError, HostKeyError, KxError
from kxconsole.inventory.model import Host, Inventory
from kxconsole.runner.models import Facts


def _inventory(n: int) -> Inventory:
    inv = Inventory()
    for i in range(n):
        inv.hosts[f"h{i:02d}"] = Host(f"h{i:02d}", connector="fake")
    return inv


def test_errors_map_to_states_with_short_reasons() -> None:
    cases: list[tuple[Exception, HostState]] = [
        (ConnectError("h1 (10.0.0.1:22): connection refused"), HostState.UNREACHABLE),
        (OSError("network is unreachable"), HostState.UNREACHABLE),
        (AuthError("h1: permission denied (publickey)"), HostState.AUTH_FAILED),
        (HostKeyError("h1: unknown host key"), HostState.HOST_KEY_UNKNOWN),
        (HostKeyError("h1: host key changed", changed=True), HostState.HOST_KEY_CHANGED),
        (CommandTimeout("facts ran past 30 s"), HostState.TIMEOUT),
        (KxError("something else\nsecond line"), HostState.ERROR),
    ]
    for exc, state in cases:
        got_state, reason = classify_error(exc, "h1")
        assert got_state == state, exc
        assert "\n" not in reason and not reason.startswith("h1")


async def test_fanout_is_bounded_and_every_host_reports() -> None:
    running = 0
    peak = 0

    async def gather(conn: Connector) -> Facts:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return Facts(hostname=conn.config.label)

    inv = _inventory(30)
    gatherer = FleetGatherer(inv, lambda h: demo_connector(h), fanout=4, timeout=5,
                             gather=gather, clock=lambda: 42.0)
    events: list[FleetEvent] = []
    facts = await gatherer.gather_all(events.append)
    assert peak == 4
    assert sorted(facts) == sorted(inv.hosts)
    gathered = [e for e in events if isinstance(e, FactsGathered)]
    assert len(gathered) == 30 and all(e.at == 42.0 for e in gathered)
    ups = [e for e in events if isinstance(e, HostStateChanged) and e.state == HostState.UP]
    assert len(ups) == 30
    # connectors are kept for the host view and reused by the next gather
    first = gatherer.connector("h00")
    await gatherer.gather_one("h00", events.append)
    assert gatherer.connector("h00") is first
    await gatherer.close()
    assert not first.is_connected


async def test_one_failing_or_hanging_host_does_not_stop_the_others() -> None:
    inv = _inventory(3)
    failures = {"h01": AuthError("h01: denied")}

    async def gather(conn: Connector) -> Facts:
        if conn.config.label == "h02":
            await asyncio.sleep(60)
        return Facts()

    gatherer = FleetGatherer(inv, lambda h: demo_connector(h, failures=failures), fanout=8,
                             timeout=0.3, gather=gather)
    events: list[FleetEvent] = []
    facts = await asyncio.wait_for(gatherer.gather_all(events.append), timeout=10)
    assert list(facts) == ["h00"]
    final = {e.host: e.state for e in events if isinstance(e, HostStateChanged)}
    assert final == {"h00": HostState.UP, "h01": HostState.AUTH_FAILED,
                     "h02": HostState.TIMEOUT}


async def test_default_gather_parses_the_demo_facts_script_output() -> None:
    inv = _inventory(1)
    gatherer = FleetGatherer(inv, lambda h: demo_connector(h), fanout=1, timeout=5)
    facts = await gatherer.gather_all(lambda e: None)
    assert facts["h00"].hostname == "h00.demo.example"
    assert facts["h00"].total_cpu > 0 and facts["h00"].kernel
