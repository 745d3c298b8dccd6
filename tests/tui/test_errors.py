"""Host failures show on their rows and in one toast per kind; worker failures are caught."""

from __future__ import annotations

from kxconsole.actions.demo import demo_connector
from kxconsole.connector.base import Connector
from kxconsole.connector.fake import FakeConnector, FakeReply
from kxconsole.errors import AuthError, ConnectError, HostKeyError
from kxconsole.inventory.model import Host
from kxconsole.runner import listings
from kxconsole.tui.screens.errors import ErrorsScreen
from kxconsole.tui.screens.host import HostScreen
from kxconsole.tui.widgets.fleet_table import FleetTable
from tests.tui.console_fixtures import demo_inventory, make_app, settle

FAILURES = {
    "web-01": ConnectError("web-01 (10.0.0.1:22): connection refused; is sshd running?"),
    "web-02": AuthError("web-02: the server refused our key for user ops"),
    "cache-01": HostKeyError("cache-01: host key unknown (SHA256:abc); accept it first"),
}


def _slow_host_factory(slow: str):  # type: ignore[no-untyped-def]
    def factory(host: Host) -> Connector:
        conn = demo_connector(host, failures=FAILURES)
        if host.name == slow:
            assert isinstance(conn, FakeConnector)
            conn.latency = 30.0  # never answers within the gather timeout
        return conn

    return factory


def _toasts(app: object) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in app._notifications]  # type: ignore[attr-defined]


async def test_failures_show_on_rows_and_in_one_toast_per_kind() -> None:
    app = make_app(connector_factory=_slow_host_factory("cache-02"), gather_timeout=1.0)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one(FleetTable)
        states = {name: str(table.get_row(name)[3]).split(" · ")[0] for name in FAILURES}
        assert states == {"web-01": "unreachable", "web-02": "auth failed",
                          "cache-01": "host key unknown"}
        assert "connection refused" in str(table.get_row("web-01")[3])
        assert str(table.get_row("cache-02")[3]).startswith("timeout · no answer within 1 s")
        assert str(table.get_row("web-03")[3]) == "up"  # the others are unaffected
        titles = sorted(title for title, _ in _toasts(app))
        assert titles == ["Auth failed", "Host key unknown", "Timeout", "Unreachable"]
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ErrorsScreen)
        assert {r.host for r in app.screen.records} == {*FAILURES, "cache-02"}


async def test_two_hundred_unreachable_hosts_make_one_toast() -> None:
    inventory = demo_inventory({"dc1": 200, "dc2": 5})
    failures = {f"dc1-{n:02d}": ConnectError("refused") for n in range(1, 201)}
    app = make_app(inventory, failures=failures)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        toasts = _toasts(app)
        assert len(toasts) == 1, toasts
        title, message = toasts[0]
        assert title == "Unreachable"
        assert message.startswith("200 hosts: dc1-01, dc1-02, dc1-03 and 197 more")


async def test_a_failing_listing_becomes_a_toast_and_an_error_entry() -> None:
    def factory(host: Host) -> Connector:
        conn = demo_connector(host)
        assert isinstance(conn, FakeConnector)
        broken = FakeReply(stderr="dpkg-query: error: database is locked\n", exit_code=2)
        conn.replies[listings.DPKG_LIST] = broken
        conn.replies[listings.RPM_LIST] = broken
        return conn

    app = make_app(connector_factory=factory)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        app.open_host("web-01")
        await settle(pilot, app)
        assert isinstance(app.screen, HostScreen)  # still running, still on the host
        record = app.errors[-1]
        assert record.title == "Command failed" and record.host == "web-01"
        assert "database is locked" in record.message
        assert any("database is locked" in message for _, message in _toasts(app))
