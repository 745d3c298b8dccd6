"""The secret prompt: asks the operator for one password, for one scope (host, group, all).

The typed text is masked on screen, becomes a :class:`Secret` on Enter and leaves the
widget at once (the Input is cleared before the modal closes), so it is in no screenshot,
toast, log or widget afterwards. Esc (or an empty Enter) answers ``None``: no password.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from kxconsole.secrets import Secret


class SecretPromptScreen(ModalScreen[Secret | None]):
    """Dismissed with the typed secret, or ``None`` when the operator gave none."""

    DEFAULT_CSS = """
    SecretPromptScreen { align: center middle; }
    #secret-box {
        width: 80; max-width: 90%; height: auto;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    #secret-question { text-style: bold; margin-bottom: 1; }
    .secret-hint { color: $text-muted; }
    #secret-input { margin-bottom: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Give no password", id="secret.cancel"),
    ]

    def __init__(self, question: str, hint: str = "") -> None:
        super().__init__()
        self.question = question
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="secret-box"):
            yield Static(self.question, id="secret-question")
            yield Input(password=True, id="secret-input", placeholder="password")
            if self.hint:
                yield Static(self.hint, id="secret-hint", classes="secret-hint")
            yield Static("enter gives it · esc gives none (these hosts are not tried)",
                         classes="secret-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _take_value(self) -> str:
        field = self.query_one(Input)
        value = field.value
        field.value = ""  # the text must not outlive the modal
        return value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = self._take_value()
        self.dismiss(Secret(value) if value else None)

    def action_cancel(self) -> None:
        self._take_value()
        self.dismiss(None)
