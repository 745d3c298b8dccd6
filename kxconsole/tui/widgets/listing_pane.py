"""A filterable listing (services, packages): caption, filter line and a vim-motion table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from kxconsole.tui.widgets.command_pane import CommandCaption, CommandPane
from kxconsole.tui.widgets.vim_table import VimTable

Cell = str | Text


class ListingPane(CommandPane):
    """Rows of ``Cell`` tuples keyed by their first column; ``/`` filters on any column."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", id="listing.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="listing.filter-clear"),
    ]
    DEFAULT_CSS = """
    ListingPane > Input { height: 3; }
    ListingPane > #listing-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    columns: ClassVar[Sequence[tuple[str, int | None]]] = ()
    placeholder: ClassVar[str] = "filter…"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[tuple[Cell, ...]] = []

    def compose(self) -> ComposeResult:
        yield CommandCaption()
        yield Input(placeholder=self.placeholder, classes="listing-filter")
        yield Static("loading…", id="listing-status")
        yield VimTable(classes="listing-table")

    @property
    def table(self) -> VimTable:
        return self.query_one(VimTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one(Input)

    def on_mount(self) -> None:
        for label, width in self.columns:
            self.table.add_column(label, width=width, key=label.lower())

    def set_rows(self, rows: list[tuple[Cell, ...]]) -> None:
        self._rows = rows
        self._render_rows()

    def set_error(self, message: str) -> None:
        self._rows = []
        self.table.clear()
        self.query_one("#listing-status", Static).update(Text(message, style="bold red"))

    def _render_rows(self) -> None:
        needle = self.filter_input.value.strip().lower()
        shown = [
            r for r in self._rows
            if not needle or any(needle in str(cell).lower() for cell in r)
        ]
        self.table.clear()
        seen: set[str] = set()
        for row in shown:
            key = "\t".join(str(c) for c in row[:2])
            if key in seen:
                continue
            seen.add(key)
            # listing text comes from the host: never let it be read as markup
            cells = [Text(c) if isinstance(c, str) else c for c in row]
            self.table.add_row(*cells, key=key)
        status = f"{len(shown)} of {len(self._rows)}" if needle else f"{len(self._rows)}"
        self.query_one("#listing-status", Static).update(f"{status} {self.noun}")

    noun: ClassVar[str] = "rows"

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._render_rows()
        self.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def action_focus_filter(self) -> None:
        self.filter_input.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # esc clears a filter when there is one; otherwise it falls through (back to fleet)
        if action == "clear_filter":
            return bool(self.filter_input.value) or self.filter_input.has_focus
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        self.filter_input.value = ""
        self.table.focus()

    @property
    def cursor_row_values(self) -> list[Cell] | None:
        key = self.table.cursor_key
        return None if key is None else list(self.table.get_row(key))
