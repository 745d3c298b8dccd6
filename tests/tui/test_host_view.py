"""Pilot tests of the host view: navigation, panes, filter, copy-command, follow, staleness."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from kxconsole.actions.demo import distro_for
from kxconsole.runner import listings
from kxconsole.tui.screens.fleet import FleetScreen
from kxconsole.tui.screens.host import HostScreen
from kxconsole.tui.widgets.facts_pane import FactsPane
from kxconsole.tui.widgets.fleet_table import FleetTable
from kxconsole.tui.widgets.follow_pane import FollowPane
from kxconsole.tui.widgets.packages_pane import PackagesPane
from kxconsole.tui.widgets.services_pane import ServicesPane
from tests.tui.console_fixtures import FIXED_NOW, make_app, settle


def _systemd_host(app: object) -> str:
    """A demo host whose distro runs systemd with apt."""
    names = sorted(app.fleet.rows)  # type: ignore[attr-defined]
    return next(n for n in names if {"systemctl", "apt-get"} <= set(distro_for(n).commands))


def _keys(pane: ServicesPane | PackagesPane) -> list[str]:
    return [str(pane.table.get_row(key)[0]) for key in pane.table.rows]


async def test_enter_opens_the_host_and_escape_returns_to_the_same_row() -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "j", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, HostScreen)
        assert app.screen.host_name == "prod-db-01"
        title = str(app.screen.query_one("#host-title", Static).render())
        assert "prod-db-01" in title and "PROTECTED" in title
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, FleetScreen)
        assert app.screen.query_one(FleetTable).cursor_key == "prod-db-01"


async def test_services_pane_lists_units_and_filters() -> None:
    inventory_app = make_app()
    async with inventory_app.run_test(size=(160, 45)) as pilot:
        app = inventory_app
        await settle(pilot, app)
        app.open_host(_systemd_host(app))
        await settle(pilot, app)
        await pilot.press("2")
        await settle(pilot, app)
        pane = app.screen.query_one(ServicesPane)
        assert _keys(pane) == ["cron.service", "nginx.service", "postgresql.service",
                               "rsync.service", "ssh.service", "systemd-journald.service"]
        row = pane.table.get_row("postgresql.service\tfailed")
        assert [str(c) for c in row[1:4]] == ["failed", "failed", "enabled"]
        assert pane.command == " ; ".join(listings.services_commands(
            listings.InitSystemType.SYSTEMD))  # type: ignore[attr-defined]
        await pilot.press("slash", *"ngin", "enter")
        await pilot.pause()
        assert _keys(pane) == ["nginx.service"]
        await pilot.press("escape")  # clears the filter first …
        await pilot.pause()
        assert len(_keys(pane)) == 6 and isinstance(app.screen, HostScreen)
        await pilot.press("escape")  # … then goes back
        await pilot.pause()
        assert isinstance(app.screen, FleetScreen)


async def test_packages_pane_search_and_copy_command() -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        host = _systemd_host(app)
        app.open_host(host)
        await settle(pilot, app)
        await pilot.press("3")
        await settle(pilot, app)
        pane = app.screen.query_one(PackagesPane)
        assert _keys(pane) == sorted(p for p, _ in distro_for(host).packages)
        await pilot.press("slash", *"ssh", "enter")
        await pilot.pause()
        assert _keys(pane) == ["openssh-server"]
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == listings.DPKG_LIST
        assert any(n.title == "Command copied" for n in app._notifications)


async def test_copy_command_of_the_facts_pane_is_the_whole_script() -> None:
    from kxconsole.runner.facts import FACTS_SCRIPT

    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard.startswith("sh -c ")
        assert FACTS_SCRIPT.strip().splitlines()[-1] in app.clipboard


async def test_follow_a_unit_streams_its_log(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        app.open_host(_systemd_host(app))
        await settle(pilot, app)
        await pilot.press("2")
        await settle(pilot, app)
        await pilot.press("j", "f")  # nginx.service
        await settle(pilot, app)
        pane = app.screen.query_one(FollowPane)
        assert pane.command == "journalctl -f -n 100 -u nginx.service"
        lines = pane.panel.save(tmp_path / "followed.log").read_text()
        assert "demo nginx.service[812]: demo log line 4" in lines


async def test_facts_age_and_stale_marking() -> None:
    now = [FIXED_NOW]
    app = make_app(clock=lambda: now[0], facts_interval=30.0)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, HostScreen)
        pane = screen.query_one(FactsPane)
        assert not pane.has_class("-stale")
        now[0] += 61  # more than two refresh intervals without an answer
        screen.update_facts()
        await pilot.pause()
        assert pane.has_class("-stale")
        assert "STALE" in str(pane.query_one("#facts-age", Static).render())
        assert "1 min 1 s" in str(pane.query_one("#facts-age", Static).render())
        await pilot.press("r")  # re-gather: fresh again
        await settle(pilot, app)
        assert not pane.has_class("-stale")


async def test_an_unreachable_host_says_why_its_listings_are_empty() -> None:
    from kxconsole.errors import ConnectError

    app = make_app(failures={"cache-01": ConnectError("cache-01: connection refused")})
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("enter")  # cache-01 is the first row
        await settle(pilot, app)
        await pilot.press("2")
        await pilot.pause()
        status = str(app.screen.query_one(ServicesPane).query_one("#listing-status").render())
        assert status == "No listing: cache-01 is unreachable (connection refused)"
