"""The fleet table: one row per host, keyed by host name, with multi-select and sorting.

Rows are rebuilt only when the filter or the sort changes; live facts and states update
cells in place from :meth:`FleetTable.update_hosts`, which the screen calls a few times per
second with the batch of hosts that changed.

Fast with 2,000 hosts: every column has a fixed width, so DataTable's measuring of each new
cell is skipped (:meth:`FleetTable._update_dimensions`); a row is kept as cheap comparable
values (:data:`CellValue`), made into Rich ``Text`` only for the cells that change; empty
cells share one ``Text``. Updates of rows off screen wait until the rows scroll near it (or
are read with :meth:`FleetTable.get_row`): a batch of facts for 2,000 hosts then costs the
few rows on screen, not 2,000 cell updates. Cells are changed without ``update_cell`` (which
makes DataTable render every cell on screen again): only the changed cells' cached renders
are dropped. A screen of changed rows is painted a slice per frame, so a key pressed
meanwhile waits for one slice, not the whole screen (bench/console.py "live facts").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.message import Message
from textual.strip import Strip
from textual.widgets.data_table import ColumnKey, RowKey

from kxconsole.actions.events import HostState
from kxconsole.tui.widgets.fleet_rows import SORT_COLUMNS, FleetRows, HostRow
from kxconsole.tui.widgets.vim_table import VimTable

# (key, label, width) in display order; the first column is the selection mark. With the
# cells' padding the whole row fits a 160-column terminal.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("sel", " ", 1),
    ("host", "Host", 18),
    ("group", "Group", 12),
    ("status", "Status", 22),  # the full reason is in the host view and the errors list
    ("hostname", "Hostname", 22),
    ("os", "OS", 22),
    ("kernel", "Kernel", 18),
    ("cpu", "CPU", 4),
    ("memory", "Memory", 9),
    ("seen", "Last seen", 9),
)

_LABELS = {key: label for key, label, _ in COLUMNS}
_KEYS = tuple(key for key, _, _ in COLUMNS)
_STATUS = _KEYS.index("status")
_COLUMN_KEYS = tuple(ColumnKey(key) for key in _KEYS)

# Rows on screen whose new cells are painted in one frame when a batch of facts arrives:
# a changed row costs ~1 ms to paint, a full screen of them ~50 ms, too long a wait for a key
ROWS_PER_PAINT = 12

# (text, style) of a cell; for the status column (state, reason). Cheap to build and compare
# for 2,000 rows; turned into Rich Text only for the cells that are added or changed.
CellValue = tuple[str, str]

# Shared, never mutated (DataTable renders cells without changing them, as its own blank)
_BLANK = Text("")
_MARKED = Text("●", style="bold")
_UNMARKED = Text(" ")

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


def _discard(cache: LRUCache[Any, Any], stale: Callable[[Any], bool]) -> None:
    for key in [key for key in cache.keys() if stale(key)]:  # noqa: SIM118 (no __iter__)
        cache.discard(key)


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
        self._shown: dict[str, tuple[CellValue, ...]] = {}  # what each row shows now
        # rows whose host changed, not shown yet (off screen, or waiting for their slice):
        # their cells are worked out from the fleet's rows, then current, when shown
        self._waiting: set[str] = set()
        self._order: list[str] = []  # row keys in table order
        self._index: dict[str, int] = {}
        # cells changed since the last paint: {row key: {column key}}
        self._repaint: dict[str, set[str]] = {}
        self._slice_pending = False  # the next slice of rows on screen waits for a paint

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

    def cell_values(self, row: HostRow) -> tuple[CellValue, ...]:
        """What each cell of the row shows, as plain values (see :data:`CellValue`)."""
        f = row.facts
        name_style = self.protected_style if row.host.protected else ""
        return (
            ("●", "bold") if row.name in self.fleet.selected else (" ", ""),
            (row.name, name_style),
            (row.group, name_style),
            (str(row.state), row.reason),
            (f.hostname, "") if f else ("", ""),
            (row.os_name, ""),
            (f.kernel, "") if f else ("", ""),
            (str(f.total_cpu) if f and f.total_cpu else "", ""),
            (format_memory(f.total_memory) if f else "", ""),
            (format_clock(row.facts_at), ""),
        )

    @staticmethod
    def cell_text(column: int, value: CellValue) -> Text:
        """The cell as Rich ``Text``: host data is never parsed as markup."""
        if column == _STATUS:
            return FleetTable.status_text(*value)
        text, style = value
        if not text:
            return _BLANK
        if column == 0:
            return _MARKED if text == "●" else _UNMARKED
        return Text(text, style=style)

    def cells(self, row: HostRow) -> list[Text]:
        """The row's cells, all Rich ``Text``."""
        return [self.cell_text(i, value) for i, value in enumerate(self.cell_values(row))]

    @staticmethod
    def status_cell(row: HostRow) -> Text:
        """The state, and for a failure its short reason (the whole message is in ``e``)."""
        return FleetTable.status_text(str(row.state), row.reason)

    @staticmethod
    def status_text(state: str, reason: str) -> Text:
        text = Text(state, style=STATE_STYLES.get(HostState(state), "bold red"))
        if reason:
            text.append(f" · {reason}", style="dim")
        return text

    def rebuild(self) -> None:
        """Re-add every visible row in order, keeping the cursor on the same host."""
        keep = self.cursor_key
        self._waiting.clear()
        self._repaint.clear()  # clear() drops every render cache
        self.clear()
        shown: dict[str, tuple[CellValue, ...]] = {}
        cell_text = self.cell_text
        for row in self.fleet.visible():
            values = shown[row.name] = self.cell_values(row)
            self.add_row(*[cell_text(i, v) for i, v in enumerate(values)], key=row.name)
        self._shown = shown
        self._order = list(shown)
        self._index = {name: i for i, name in enumerate(self._order)}
        if keep is not None:
            self.move_to(keep)
        self.post_message(self.SelectionChanged())

    def update_hosts(self, names: Iterable[str], *, at_once: bool = False) -> None:
        """Redraw the cells of these hosts (those not shown are skipped). Rows on screen are
        redrawn ``ROWS_PER_PAINT`` at a time, one slice per frame so keys are handled in
        between (all at once with ``at_once``); the others wait until they come near the
        screen or are read."""
        shown = self._shown
        self._waiting.update(name for name in names if name in shown)
        if at_once:
            self._show_on_screen(None)
        elif not self._slice_pending:
            self._show_on_screen(ROWS_PER_PAINT)

    def _show_on_screen(self, limit: int | None) -> None:
        """Show up to ``limit`` waiting rows on screen, top first; the next slice after
        the next paint."""
        top = round(self.scroll_y)
        waiting = self._waiting
        changed = 0
        for name in self._order[top : top + self.size.height] if waiting else ():
            if name not in waiting:
                continue
            if changed == limit:
                self._slice_pending = True
                self.call_after_refresh(self._show_next_slice)
                return
            waiting.discard(name)
            changed += self._show(name, self._shown[name], self.cell_values(self.fleet.rows[name]))

    def _show_next_slice(self) -> None:
        self._slice_pending = False
        self._show_on_screen(ROWS_PER_PAINT)

    def _show(self, name: str, old: tuple[CellValue, ...], new: tuple[CellValue, ...]) -> bool:
        """Put the row's new values in its cells; False when nothing changed."""
        if new == old:
            return False
        self._shown[name] = new
        cells = self._data[RowKey(name)]
        self.refresh_row(self._index[name])  # only its line is painted again (if on screen)
        changed = self._repaint.setdefault(name, set())
        for column, (key, before, after) in enumerate(zip(_KEYS, old, new, strict=True)):
            if before != after:  # most updates touch a few cells of a row
                cells[_COLUMN_KEYS[column]] = self.cell_text(column, after)
                changed.add(key)
        # not update_cell: it bumps DataTable's update count, which every render cache is
        # keyed on, so one changed cell re-rendered every cell on screen (~150 ms a batch
        # with 2,000 hosts). Only the renders of the changed cells (and the lines showing
        # them) are dropped, before the next paint.
        return True

    def _forget_rendered_rows(self) -> None:
        """Drop DataTable's cached renders of the cells in ``_repaint``, and of the rows and
        lines showing them (cells and rows are cached by row key, renderables by row index,
        lines by y; test_fleet_table fails if Textual changes these keys)."""
        changed, self._repaint = self._repaint, {}
        cells = {(name, column) for name, columns in changed.items() for column in columns}
        indices = {self._index[name] for name in changed if name in self._index}
        header = self.header_height if self.show_header else 0
        lines = {index + header for index in indices}  # every row is one line high
        _discard(self._cell_render_cache, lambda key: key[:2] in cells)
        _discard(self._row_render_cache, lambda key: key[0] in changed)
        _discard(self._line_cache, lambda key: key[0] in lines)
        _discard(self._row_renderable_cache, lambda key: key[1] in indices)

    def render_line(self, y: int) -> Strip:
        if self._repaint:
            self._forget_rendered_rows()
        return super().render_line(y)

    def _near_screen(self) -> range:
        """Row indices on screen, plus a screen's height above and below."""
        top, height = round(self.scroll_y), self.size.height
        return range(max(0, top - height), top + 2 * height)

    def _show_waiting(self, names: Iterable[str | None]) -> None:
        for name in names:
            if name is not None and name in self._waiting:
                self._waiting.discard(name)
                self._show(name, self._shown[name], self.cell_values(self.fleet.rows[name]))

    def _show_waiting_near_screen(self) -> None:
        if self._waiting:
            near = self._near_screen()
            self._show_waiting(self._order[near.start : near.stop])

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._show_waiting_near_screen()

    def on_resize(self, _: events.Resize) -> None:
        self._show_waiting_near_screen()

    def get_row(self, row_key: RowKey | str) -> list[Any]:
        """The row's cells, current even when the row is far from the screen."""
        self._show_waiting([row_key.value if isinstance(row_key, RowKey) else row_key])
        return super().get_row(row_key)

    def get_cell(self, row_key: RowKey | str, column_key: Any) -> Any:
        self._show_waiting([row_key.value if isinstance(row_key, RowKey) else row_key])
        return super().get_cell(row_key, column_key)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # DataTable measures every cell of every new row here (half the first paint with
        # 2,000 hosts) to size auto-width columns and auto-height rows; ours have fixed widths
        # and one line, so there is nothing to measure. test_fleet_table checks that Textual
        # still calls this hook, and that the table still has its size.
        fixed = all(not column.auto_width for column in self.columns.values())
        super()._update_dimensions(() if fixed else new_rows)

    def move_to(self, name: str) -> None:
        if name in self.rows:
            self.move_cursor(row=self.get_row_index(name))

    # actions --------------------------------------------------------------------------------

    def _selection_changed(self, names: set[str]) -> None:
        self.update_hosts(names, at_once=True)  # the operator's own change: no waiting
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
