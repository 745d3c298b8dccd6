"""The errors modal: every host failure and failed background task of this session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from kxconsole.tui.widgets.fleet_table import format_clock
from kxconsole.tui.widgets.vim_table import VimTable


@dataclass(frozen=True)
class ErrorRecord:
    at: float
    title: str
    message: str
    host: str = ""


class ErrorsScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close", id="errors.close"),
    ]

    def __init__(self, records: list[ErrorRecord]) -> None:
        super().__init__(id="errors")
        self.records = records

    def compose(self) -> ComposeResult:
        with Vertical(id="errors-box", classes="modal-box"):
            yield Static(f"Errors ({len(self.records)})", classes="modal-title")
            yield VimTable(id="errors-table")
            yield Static("", id="errors-detail")
            yield Static("esc closes · enter shows the whole message", classes="modal-hint")

    def on_mount(self) -> None:
        table = self.query_one(VimTable)
        table.add_column("Time", width=8, key="time")
        table.add_column("Host", width=16, key="host")
        table.add_column("What", width=24, key="title")
        table.add_column("Message", key="message")
        for n, r in enumerate(reversed(self.records)):  # newest first
            first = (r.message.splitlines() or [""])[0]
            table.add_row(format_clock(r.at), r.host, r.title, first, key=str(n))
        if not self.records:
            self.query_one("#errors-detail", Static).update(Text("No errors so far.", "dim"))
        table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        index = event.cursor_row
        if 0 <= index < len(self.records):
            record = list(reversed(self.records))[index]
            self.query_one("#errors-detail", Static).update(record.message)
