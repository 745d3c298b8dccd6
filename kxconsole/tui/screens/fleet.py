"""The fleet view: every host in one table, a filter line and a live summary."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from kxconsole.actions.events import HostState
from kxconsole.tui.messages import RefreshFacts
from kxconsole.tui.widgets.fleet_rows import FleetRows
from kxconsole.tui.widgets.fleet_table import FleetTable


class FleetScreen(Screen[None]):
    """Hosts of the inventory; ``enter`` opens one, ``/`` filters, ``space`` selects."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="fleet.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="fleet.filter-clear"),
        Binding("r", "refresh", "Refresh facts", id="fleet.refresh"),
    ]

    def __init__(self, fleet: FleetRows) -> None:
        super().__init__(id="fleet")
        self.fleet = fleet

    def compose(self) -> ComposeResult:
        with Horizontal(id="fleet-bar"):
            yield Static("", id="fleet-summary")
            yield Static("", id="fleet-selection")
        yield Input(placeholder="filter: name, group, OS, label…", id="fleet-filter")
        yield FleetTable(self.fleet, id="fleet-table")
        yield Footer()

    @property
    def table(self) -> FleetTable:
        return self.query_one(FleetTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#fleet-filter", Input)

    def on_mount(self) -> None:
        self.filter_input.display = False
        self.table.focus()
        self.update_summary()

    def hosts_changed(self, names: set[str]) -> None:
        """Called by the app with each batch of hosts whose state or facts changed."""
        table = self.table
        rows = self.fleet.rows
        # new facts can make a host match the filter (or stop matching): re-filter then
        if self.fleet.filter_text and any(
            self.fleet.matches(rows[n]) != (n in table.rows) for n in names if n in rows
        ):
            table.rebuild()
        else:
            table.update_hosts(names)
        self.update_summary()

    def update_summary(self) -> None:
        counts = self.fleet.counts()
        total = len(self.fleet.rows)
        up = counts.get(HostState.UP, 0)
        waiting = counts.get(HostState.PENDING, 0) + counts.get(HostState.CONNECTING, 0)
        failed = total - up - waiting
        parts = [f"{total} hosts", f"{up} up"]
        if waiting:
            parts.append(f"{waiting} connecting")
        if failed:
            parts.append(f"[b red]{failed} failed[/]")
        if self.fleet.filter_text:
            parts.append(f"{self.table.row_count} shown for “{self.fleet.filter_text}”")
        self.query_one("#fleet-summary", Static).update(" · ".join(parts))
        self.query_one("#fleet-selection", Static).update(self.fleet.selection_summary())

    def on_fleet_table_selection_changed(self, _: FleetTable.SelectionChanged) -> None:
        self.update_summary()

    # filter ---------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.filter_input.display = True
        self.filter_input.focus()

    def action_clear_filter(self) -> None:
        self.filter_input.value = ""
        self.filter_input.display = False
        self.table.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "fleet-filter":
            self.fleet.filter_text = event.value
            self.table.rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "fleet-filter":
            if not event.value:
                event.input.display = False
            self.table.focus()

    def action_refresh(self) -> None:
        """Re-gather facts of the selected hosts, or of every host when none is selected."""
        self.post_message(RefreshFacts(sorted(self.fleet.selected) or None))
