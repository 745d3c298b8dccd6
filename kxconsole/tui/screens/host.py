"""The host view: facts, services, packages and a followed log of one host, in tabs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane
from textual.worker import Worker

from kxconsole.actions.fleet import FleetGatherer
from kxconsole.connector.base import Connector
from kxconsole.errors import CommandError
from kxconsole.runner import listings
from kxconsole.runner.models import InitSystemType, PackageManagerType
from kxconsole.tui.messages import FailureReporter, RefreshFacts
from kxconsole.tui.widgets.facts_pane import FactsPane
from kxconsole.tui.widgets.fleet_rows import FleetRows, HostRow
from kxconsole.tui.widgets.fleet_table import STATE_STYLES
from kxconsole.tui.widgets.follow_pane import FollowPane
from kxconsole.tui.widgets.packages_pane import PackagesPane
from kxconsole.tui.widgets.services_pane import ServicesPane

PANES = ("facts", "services", "packages", "log")


class HostScreen(Screen[None]):
    """One host. Facts re-gather every ``facts_interval`` seconds and on ``r``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back to fleet", id="host.back"),
        Binding("r", "refresh", "Refresh", id="host.refresh"),
        *(
            Binding(str(n), f"show_pane('{pane}')", pane.capitalize(), show=False,
                    id=f"host.view-{pane}")
            for n, pane in enumerate(PANES, 1)
        ),
    ]

    def __init__(
        self,
        host: str,
        fleet: FleetRows,
        gatherer: FleetGatherer,
        *,
        clock: Callable[[], float],
        facts_interval: float = 30.0,
        max_log_lines: int = 10000,
    ) -> None:
        super().__init__(id="host")
        self.host_name = host
        self.fleet = fleet
        self.gatherer = gatherer
        self.clock = clock
        self.facts_interval = facts_interval
        self.max_log_lines = max_log_lines
        self._listings_loaded = False

    @property
    def row(self) -> HostRow:
        return self.fleet.rows[self.host_name]

    def compose(self) -> ComposeResult:
        yield Static("", id="host-title")
        with TabbedContent(id="host-tabs"):
            with TabPane("Facts", id="facts"):
                yield FactsPane(id="facts-pane")
            with TabPane("Services", id="services"):
                yield ServicesPane(id="services-pane")
            with TabPane("Packages", id="packages"):
                yield PackagesPane(id="packages-pane")
            with TabPane("Log", id="log"):
                yield FollowPane(max_lines=self.max_log_lines, id="follow-pane")
        yield Footer()

    def on_mount(self) -> None:
        self.facts_changed()
        self.set_interval(self.facts_interval, self.action_refresh_facts, name="facts-refresh")
        self.set_interval(1.0, self.update_facts, name="facts-age")
        self.query_one("#facts-scroll").focus()

    # facts ----------------------------------------------------------------------------------

    def update_title(self) -> None:
        row = self.row
        state = Text(str(row.state), style=STATE_STYLES.get(row.state, "bold red"))
        groups = ", ".join(row.host.groups) or "ungrouped"
        target = f"  ({row.host.target})" if row.host.target != row.name else ""
        title = Text.assemble((row.name, "bold"), target, f"  [{groups}]  ", state)
        if row.reason:
            title.append(f"  {row.reason}", style="dim")
        if row.host.protected:
            accent = self.app.theme_variables.get("protected", "magenta")
            title.append("  PROTECTED", style=f"bold {accent}")
        self.query_one("#host-title", Static).update(title)

    def update_facts(self) -> None:
        row = self.row
        pane = self.query_one(FactsPane)
        pane.show(row.facts, row.facts_at, self.clock(), self.facts_interval)

    def facts_changed(self) -> None:
        """Called by the app when this host's state or facts changed."""
        self.update_title()
        self.update_facts()
        row = self.row
        if row.facts is None and row.state.is_failure:
            reason = f" ({row.reason})" if row.reason else ""
            why = f"No listing: {row.name} is {row.state}{reason}"
            self.query_one(ServicesPane).set_error(why)
            self.query_one(PackagesPane).set_error(why)
        if self.row.facts is not None and not self._listings_loaded:
            self._listings_loaded = True
            self.load_services()
            self.load_packages()

    def action_refresh_facts(self) -> None:
        self.post_message(RefreshFacts([self.host_name]))

    def action_refresh(self) -> None:
        active = self.query_one(TabbedContent).active
        if active == "services":
            self.load_services()
        elif active == "packages":
            self.load_packages()
        else:
            self.action_refresh_facts()

    def action_show_pane(self, pane: str) -> None:
        self.query_one(TabbedContent).active = pane

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # keys act on what is visible: move the focus into the pane just shown
        pane_id = event.pane.id or ""
        target = {"facts": "#facts-scroll", "log": "#follow-log"}.get(pane_id, ".listing-table")
        self.call_after_refresh(lambda: event.pane.query_one(target).focus())

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        cast(FailureReporter, self.app).report_worker_state(event.worker, event.state)

    # listings -------------------------------------------------------------------------------

    async def _connector(self) -> Connector:
        conn = self.gatherer.connector(self.host_name)
        if not conn.is_connected:
            async with asyncio.timeout(self.gatherer.timeout):
                await conn.connect()
        return conn

    async def _run(self, command: str) -> str:
        conn = await self._connector()
        result = await conn.exec(command)
        if not result.ok:
            tail = (result.stderr_text.strip().splitlines() or ["no error output"])[-1]
            raise CommandError(
                f"{self.host_name}: `{command}` exited {result.exit_code}: {tail}",
                host=self.host_name, command=command, exit_code=result.exit_code,
                stdout=result.stdout, stderr=result.stderr,
            )
        return result.stdout_text

    def load_services(self) -> None:
        self.run_worker(self._load_services(), group="host-services", exclusive=True,
                        exit_on_error=False, name=f"services of {self.host_name}")

    async def _load_services(self) -> None:
        pane = self.query_one(ServicesPane)
        facts = self.row.facts
        init = facts.init_system.type if facts else InitSystemType.UNKNOWN
        commands = listings.services_commands(init)
        pane.set_command(" ; ".join(commands))
        if not commands:
            pane.set_error(f"Unknown init system on {self.host_name}: no service listing")
            return
        try:
            outputs = [await self._run(cmd) for cmd in commands]
        except Exception as exc:
            pane.set_error(f"Could not list services: {exc}")
            raise  # the app's worker handler shows it and records it
        pane.show_units(listings.parse_services(init, outputs))

    def load_packages(self) -> None:
        self.run_worker(self._load_packages(), group="host-packages", exclusive=True,
                        exit_on_error=False, name=f"packages of {self.host_name}")

    async def _load_packages(self) -> None:
        pane = self.query_one(PackagesPane)
        facts = self.row.facts
        manager = facts.package_manager.type if facts else PackageManagerType.UNKNOWN
        command = listings.packages_command(manager)
        pane.set_command(command)
        if not command:
            pane.set_error(f"Unknown package manager on {self.host_name}: no package listing")
            return
        try:
            text = await self._run(command)
        except Exception as exc:
            pane.set_error(f"Could not list packages: {exc}")
            raise
        pane.show_packages(listings.parse_packages(text))

    # follow ---------------------------------------------------------------------------------

    def on_services_pane_follow_unit(self, message: ServicesPane.FollowUnit) -> None:
        facts = self.row.facts
        init = facts.init_system.type if facts else InitSystemType.UNKNOWN
        command = listings.follow_command(init, message.unit)
        pane = self.query_one(FollowPane)
        pane.set_command(command)
        pane.panel.clear()
        self.action_show_pane("log")
        self.run_worker(self._follow(command), group="follow", exclusive=True,
                        exit_on_error=False, name=f"follow {message.unit} on {self.host_name}")

    async def _follow(self, command: str) -> None:
        conn = await self._connector()
        panel = self.query_one(FollowPane).panel
        code = await panel.consume(self.host_name, conn.stream(command))
        self.notify(f"`{command}` ended (exit {code})", title=self.host_name)
