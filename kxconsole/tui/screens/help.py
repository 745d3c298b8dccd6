"""The help modal: the keys active where the focus was, generated from the bindings."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from kxconsole.tui.help import HelpEntry
from kxconsole.tui.widgets.vim_table import VimTable


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, title: str, entries: list[HelpEntry]) -> None:
        super().__init__(id="help")
        self.title_text = title
        self.entries = entries

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="modal-box"):
            yield Static(f"Keys — {self.title_text}", classes="modal-title")
            yield VimTable(id="help-table")
            yield Static("esc closes · ctrl+p finds any command", classes="modal-hint")

    def on_mount(self) -> None:
        table = self.query_one(VimTable)
        table.add_column("Where", width=14, key="scope")
        table.add_column("Key", width=12, key="key")
        table.add_column("Action", width=30, key="action")
        table.add_column("Binding id", key="id")
        for n, e in enumerate(self.entries):
            table.add_row(e.scope, e.key, e.description, e.binding_id, key=str(n))
        table.focus()
