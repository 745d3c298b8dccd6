"""What the fleet table shows, as plain data: one row per host, filter, sort and selection.

Kept apart from the widget so the rules (what a filter matches, how a range selects, what
"hidden" means) are simple to read and test without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kxconsole.actions.events import FactsGathered, FleetEvent, HostState, HostStateChanged
from kxconsole.inventory.model import Host, Inventory
from kxconsole.runner.models import Facts


@dataclass
class HostRow:
    """The live state of one host in the console."""

    host: Host
    group: str
    state: HostState = HostState.PENDING
    reason: str = ""
    facts: Facts | None = None
    facts_at: float | None = None  # when facts were last gathered (clock seconds)

    @property
    def name(self) -> str:
        return self.host.name

    @property
    def os_name(self) -> str:
        if self.facts is None:
            return ""
        os = self.facts.os
        return os.pretty_name or " ".join(p for p in (os.id, os.version_id) if p)

    def search_text(self) -> str:
        labels = " ".join(f"{k}={v}" for k, v in self.host.labels.items())
        hostname = self.facts.hostname if self.facts else ""
        return f"{self.name} {self.group} {' '.join(self.host.groups)} {self.os_name} " \
            f"{hostname} {labels}".lower()


def _sort_value(row: HostRow, column: str) -> Any:
    f = row.facts
    values: dict[str, Callable[[], Any]] = {
        "host": lambda: row.name,
        "group": lambda: row.group,
        "status": lambda: str(row.state),
        "hostname": lambda: f.hostname if f else "",
        "os": lambda: row.os_name,
        "kernel": lambda: f.kernel if f else "",
        "cpu": lambda: f.total_cpu if f else -1,
        "memory": lambda: f.total_memory if f else -1,
        "seen": lambda: row.facts_at or 0.0,
    }
    return values.get(column, values["host"])()


SORT_COLUMNS = ("host", "group", "status", "hostname", "os", "kernel", "cpu", "memory", "seen")


@dataclass
class FleetRows:
    """Every host of the inventory, with the current filter, sort and selection."""

    rows: dict[str, HostRow] = field(default_factory=dict)
    filter_text: str = ""
    sort_column: str = "group"
    sort_reverse: bool = False
    selected: set[str] = field(default_factory=set)

    @classmethod
    def from_inventory(cls, inventory: Inventory) -> FleetRows:
        rows = {
            name: HostRow(host, host.groups[0] if host.groups else "ungrouped")
            for name, host in inventory.hosts.items()
        }
        return cls(rows)

    def apply(self, events: Iterable[FleetEvent]) -> set[str]:
        """Apply events; returns the names of hosts whose row changed."""
        changed: set[str] = set()
        for event in events:
            row = self.rows.get(event.host)
            if row is None:
                continue
            if isinstance(event, HostStateChanged):
                # a re-gather of an answering host keeps "up" on screen until it fails
                if event.state == HostState.CONNECTING and row.state == HostState.UP:
                    continue
                row.state, row.reason = event.state, event.reason
            elif isinstance(event, FactsGathered):
                row.facts, row.facts_at = event.facts, event.at
            changed.add(event.host)
        return changed

    def matches(self, row: HostRow) -> bool:
        needle = self.filter_text.strip().lower()
        return not needle or all(word in row.search_text() for word in needle.split())

    def visible(self) -> list[HostRow]:
        """Rows passing the filter, in sort order (ties broken by group, then name)."""
        shown = [r for r in self.rows.values() if self.matches(r)]
        shown.sort(key=lambda r: (r.group, r.name))
        shown.sort(key=lambda r: _sort_value(r, self.sort_column), reverse=self.sort_reverse)
        return shown

    def sort_by(self, column: str) -> None:
        """Sort by ``column``; choosing the current column again reverses the order."""
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, False

    # selection ------------------------------------------------------------------------------

    def toggle(self, name: str) -> None:
        self.selected ^= {name}

    def select(self, names: Iterable[str]) -> None:
        self.selected.update(n for n in names if n in self.rows)

    def select_group(self, group: str) -> list[str]:
        names = [r.name for r in self.rows.values() if group in (r.group, *r.host.groups)]
        self.select(names)
        return names

    def select_matching(self) -> list[str]:
        names = [r.name for r in self.visible()]
        self.select(names)
        return names

    def clear_selection(self) -> None:
        self.selected.clear()

    def selection_summary(self) -> str:
        """``12 selected (3 hidden)``: hidden counts selected hosts the filter hides."""
        if not self.selected:
            return "none selected"
        hidden = sum(1 for n in self.selected if not self.matches(self.rows[n]))
        text = f"{len(self.selected)} selected"
        return f"{text} ({hidden} hidden)" if hidden else text

    def counts(self) -> dict[HostState, int]:
        out: dict[HostState, int] = {}
        for row in self.rows.values():
            out[row.state] = out.get(row.state, 0) + 1
        return out
