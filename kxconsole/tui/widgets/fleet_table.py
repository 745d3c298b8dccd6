"""The fleet table: one row per host, keyed by host name, with multi-select and sorting.

Rows are rebuilt only when the filter or the sort changes; live facts and states update
cells in place from :meth:`FleetTable.update_hosts`, which the screen calls a few times per
second with the batch of hosts that changed.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message

from kxconsole.actions.events import HostState
from kxconsole.tui.widgets.fleet_rows import SORT_COLUMNS, FleetRows, HostRow
from kxconsole.tui.widgets.vim_table import VimTable

# (key, label, width) in display order; the first column is the selection mark
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("sel", " ", 1),
    ("host", "Host", 18),
    ("group", "Group", 12),
    ("status", "Status", 30),
    ("hostname", "Hostname", 24),
    ("os", "OS", 24),
    ("kernel", "Kernel", 20),
    ("cpu", "CPU", 4),
    ("memory", "Memory", 9),
    ("seen", "Last seen", 9),
)

_LABELS = {key: label for key, label, _ in COLUMNS}

STATE_STYLES: dict[HostState, str] = {
    HostState.PENDING: "dim",
    HostState.CONNECTING: "dim italic",
    HostState.UP: "green",
    HostState.TIMEOUT: "yellow",
    HostState.HOST_KEY_UNKNOWN: "bold yellow",
    HostState.HOST_KEY_CHANGED: "bold red",
}


def format_memory(mib: int) -> str:
    return f"{mib / 1024:.1f} GiB" if mib >= 1024 else (f"{mib} MiB" if mib else "")


def format_clock(at: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at)) if at else ""


class FleetTable(VimTable):
    """All hosts of the fleet (see :class:`FleetRows` for filter, sort and selection)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_host", "Open host", id="fleet.open-host"),
        Binding("space", "toggle_selection", "Select", id="fleet.select-toggle"),
        Binding("shift+down", "extend_selection(1)", "Select and move down", show=False,
                id="fleet.select-down"),
        Binding("shift+up", "extend_selection(-1)", "Select and move up", show=False,
                id="fleet.select-up"),
        Binding("v", "select_range", "Select range (press at both ends)", show=False,
                id="fleet.select-range"),
        Binding("A", "select_group", "Select the host's group", show=False,
                id="fleet.select-group"),
        Binding("a", "select_matching", "Select all shown", show=False, id="fleet.select-all"),
        Binding("x", "clear_selection", "Clear selection", show=False, id="fleet.select-clear"),
        *(
            Binding(str(n), f"sort('{column}')", f"Sort by {_LABELS[column].lower()}",
                    show=False, id=f"fleet.sort-{column}")
            for n, column in enumerate(SORT_COLUMNS, 1)
        ),
    ]

    class SelectionChanged(Message):
        """The selection or the filter changed (the count shown must be redrawn)."""

    class OpenHost(Message):
        def __init__(self, host: str) -> None:
            super().__init__()
            self.host = host

    def __init__(self, fleet: FleetRows, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fleet = fleet
        self._range_anchor: str | None = None
        self.protected_style = "magenta"

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, width=width, key=key)
        self._use_theme_colors()
        self.rebuild()
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _use_theme_colors(self) -> None:
        # rows are Rich text, not CSS: take the theme's $protected accent as a style
        self.protected_style = self.app.theme_variables.get("protected", "magenta")

    def _theme_changed(self, _: object) -> None:
        self._use_theme_colors()
        self.rebuild()

    # rendering ------------------------------------------------------------------------------

    def cells(self, row: HostRow) -> list[Text]:
        """The row's cells, all Rich ``Text``: host data is never parsed as markup."""
        f = row.facts
        mark = Text("●", style="bold") if row.name in self.fleet.selected else Text(" ")
        name_style = self.protected_style if row.host.protected else ""
        return [
            mark,
            Text(row.name, style=name_style),
            Text(row.group, style=name_style),
            self.status_cell(row),
            Text(f.hostname if f else ""),
            Text(row.os_name),
            Text(f.kernel if f else ""),
            Text(str(f.total_cpu) if f and f.total_cpu else ""),
            Text(format_memory(f.total_memory) if f else ""),
            Text(format_clock(row.facts_at)),
        ]

    @staticmethod
    def status_cell(row: HostRow) -> Text:
        """The state, and for a failure its short reason (the whole message is in ``e``)."""
        text = Text(str(row.state), style=STATE_STYLES.get(row.state, "bold red"))
        if row.reason:
            text.append(f" · {row.reason}", style="dim")
        return text

    def rebuild(self) -> None:
        """Re-add every visible row in order, keeping the cursor on the same host."""
        keep = self.cursor_key
        self.clear()
        for row in self.fleet.visible():
            self.add_row(*self.cells(row), key=row.name)
        if keep is not None:
            self.move_to(keep)
        self.post_message(self.SelectionChanged())

    def update_hosts(self, names: set[str]) -> None:
        """Redraw the cells of these hosts (those not shown are skipped)."""
        keys = [key for key, _, _ in COLUMNS]
        for name in names:
            if name not in self.rows:
                continue
            old = self.get_row(name)
            new = self.cells(self.fleet.rows[name])
            for key, before, after in zip(keys, old, new, strict=True):
                if before != after:  # most updates touch a few cells of a row
                    self.update_cell(name, key, after)

    def move_to(self, name: str) -> None:
        if name in self.rows:
            self.move_cursor(row=self.get_row_index(name))

    # actions --------------------------------------------------------------------------------

    def _selection_changed(self, names: set[str]) -> None:
        self.update_hosts(names)
        self.post_message(self.SelectionChanged())

    def action_open_host(self) -> None:
        if (name := self.cursor_key) is not None:
            self.post_message(self.OpenHost(name))

    def action_toggle_selection(self) -> None:
        if (name := self.cursor_key) is not None:
            self.fleet.toggle(name)
            self._selection_changed({name})
            self.action_cursor_down()

    def action_extend_selection(self, step: int) -> None:
        if (name := self.cursor_key) is None:
            return
        self.fleet.select([name])
        self.move_cursor(row=self.cursor_row + step)
        names = {name}
        if (after := self.cursor_key) is not None:
            self.fleet.select([after])
            names.add(after)
        self._selection_changed(names)

    def action_select_range(self) -> None:
        name = self.cursor_key
        if name is None:
            return
        if self._range_anchor is None or self._range_anchor not in self.rows:
            self._range_anchor = name
            self.notify(f"Range starts at {name}: move, then press v again", timeout=3)
            return
        start, end = sorted((self.get_row_index(self._range_anchor), self.cursor_row))
        ordered = [r.name for r in self.fleet.visible()]
        picked = set(ordered[start : end + 1])
        self.fleet.select(picked)
        self._range_anchor = None
        self._selection_changed(picked)

    def action_select_group(self) -> None:
        if (name := self.cursor_key) is not None:
            group = self.fleet.rows[name].group
            picked = self.fleet.select_group(group)
            self._selection_changed(set(picked))

    def action_select_matching(self) -> None:
        self._selection_changed(set(self.fleet.select_matching()))

    def action_clear_selection(self) -> None:
        names = set(self.fleet.selected)
        self.fleet.clear_selection()
        self._selection_changed(names)

    def on_data_table_header_selected(self, event: VimTable.HeaderSelected) -> None:
        """A click on a column header sorts by it, like its number key."""
        column = event.column_key.value
        if column in SORT_COLUMNS:
            self.action_sort(column)

    def action_sort(self, column: str) -> None:
        self.fleet.sort_by(column)
        self.rebuild()
