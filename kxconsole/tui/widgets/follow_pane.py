"""The host view's log pane: a followed unit log (or any stream) in the shared LogPanel."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from kxconsole.tui.widgets.command_pane import CommandCaption, CommandPane
from kxconsole.tui.widgets.log_panel import LogPanel


class FollowPane(CommandPane):
    """Streams one command's output (the host screen runs it); ``s`` stops following."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "stop", "Stop following", id="follow.stop"),
    ]

    def __init__(self, *, max_lines: int = 10000, id: str | None = None) -> None:
        super().__init__(id=id)
        self.max_lines = max_lines

    def compose(self) -> ComposeResult:
        yield CommandCaption("Nothing followed yet: pick a unit in Services and press f")
        yield LogPanel(max_lines=self.max_lines, id="follow-log")

    @property
    def panel(self) -> LogPanel:
        return self.query_one(LogPanel)

    def action_stop(self) -> None:
        running = [w for w in self.app.workers if w.group == "follow" and w.is_running]
        for worker in running:
            worker.cancel()
        self.notify("Stopped following" if running else "Nothing is being followed")
