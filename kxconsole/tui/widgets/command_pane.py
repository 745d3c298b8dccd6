"""A pane that shows the exact command behind its view, and copies it with ``c``."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static


class CommandCaption(Static):
    """One dim line: ``$ command`` (the first line of a multi-line script, with a count)."""

    DEFAULT_CSS = """
    CommandCaption { height: 1; color: $text-muted; padding: 0 1; }
    """

    def show_command(self, command: str) -> None:
        lines = command.strip().splitlines() or [""]
        more = f"  (+{len(lines) - 1} lines; c copies all)" if len(lines) > 1 else ""
        self.update(Text.assemble(("$ ", "bold"), lines[0], (more, "italic")))


class CommandPane(Vertical):
    """Base of the host view's panes: ``command`` is what produced the view."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy_command", "Copy command", id="copy-command"),
    ]

    command: str = ""

    def set_command(self, command: str) -> None:
        self.command = command
        for caption in self.query(CommandCaption):
            caption.show_command(command)

    def action_copy_command(self) -> None:
        if not self.command:
            self.notify("This view has not run a command yet", severity="warning")
            return
        self.app.copy_to_clipboard(self.command)
        first = self.command.strip().splitlines()[0]
        self.notify(f"Copied: {first[:60]}", title="Command copied")
