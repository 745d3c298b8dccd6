"""The log panel's input bar: one line to type a search or filter regex."""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

BarMode = Literal["search", "filter"]
PROMPTS: dict[BarMode, str] = {"search": "/", "filter": "&"}


class LogBar(Horizontal):
    """Hidden until opened. Posts :class:`LogBar.Submitted` on Enter and
    :class:`LogBar.Closed` on Escape; errors are shown at its right end until the next edit."""

    DEFAULT_CSS = """
    LogBar {
        display: none;
        height: 1;
        background: $panel;
        &.-open { display: block; }
        & > Label { width: auto; padding: 0 1 0 0; }
        & > #log-bar-prompt { color: $text-accent; text-style: bold; padding: 0 1; }
        & > Input { width: 1fr; height: 1; border: none; padding: 0; background: $panel; }
        & > #log-bar-message { color: $text-error; max-width: 60%; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="log.bar-close"),
    ]

    class Submitted(Message):
        def __init__(self, mode: BarMode, value: str) -> None:
            super().__init__()
            self.mode: BarMode = mode
            self.value = value

    class Closed(Message):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode: BarMode = "search"

    def compose(self) -> ComposeResult:
        yield Label("/", id="log-bar-prompt")
        yield Input(id="log-bar-input", compact=True, select_on_focus=False)
        yield Label("", id="log-bar-message")

    @property
    def input(self) -> Input:
        return self.query_one("#log-bar-input", Input)

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self, mode: BarMode, value: str = "", placeholder: str = "") -> None:
        self.mode = mode
        self.query_one("#log-bar-prompt", Label).update(PROMPTS[mode])
        self.show_message("")
        self.add_class("-open")
        self.input.placeholder = placeholder
        self.input.value = value
        self.input.cursor_position = len(value)
        self.input.focus()

    def close(self) -> None:
        self.remove_class("-open")
        self.show_message("")

    def show_message(self, text: str) -> None:
        self.query_one("#log-bar-message", Label).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(self.mode, event.value))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.show_message("")

    def action_close(self) -> None:
        self.close()
        self.post_message(self.Closed())
