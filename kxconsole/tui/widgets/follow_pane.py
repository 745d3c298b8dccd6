"""The host view's log pane: a followed unit log (or any stream) in a log panel.

Uses the shared ``LogPanel`` (``widgets/log_panel.py``) when it is present; until then a
plain ``Log`` behind the same method names, so this pane does not change when it lands.
"""

from __future__ import annotations

import importlib
from typing import ClassVar, Literal, Protocol, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Log

from kxconsole.connector.base import ExecStream
from kxconsole.tui.widgets.command_pane import CommandCaption, CommandPane

Stream = Literal["stdout", "stderr"]


class LogSink(Protocol):
    def write_chunk(self, host: str | None, stream: Stream, data: bytes) -> None: ...

    async def consume(self, host: str | None, stream: ExecStream) -> int | None: ...

    def clear(self) -> object: ...


class PlainLogPanel(Log):
    """Stand-in with LogPanel's methods (no batching, no search)."""

    def __init__(self, *, max_lines: int = 10000, id: str | None = None) -> None:
        super().__init__(max_lines=max_lines, id=id)

    def write_chunk(self, host: str | None, stream: Stream, data: bytes) -> None:
        self.write(data.decode("utf-8", "replace"))

    async def consume(self, host: str | None, stream: ExecStream) -> int | None:
        async with stream:
            async for chunk in stream:
                self.write_chunk(host, chunk.stream, chunk.data)
        return stream.exit_code


def make_log_panel(max_lines: int, id: str) -> Widget:
    try:
        module = importlib.import_module("kxconsole.tui.widgets.log_panel")
    except ImportError:
        return PlainLogPanel(max_lines=max_lines, id=id)
    return cast(Widget, module.LogPanel(max_lines=max_lines, id=id))


class FollowPane(CommandPane):
    """Streams one command's output; ``s`` stops following."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "stop", "Stop following", id="follow.stop"),
    ]

    def __init__(self, *, max_lines: int = 10000, id: str | None = None) -> None:
        super().__init__(id=id)
        self.max_lines = max_lines

    def compose(self) -> ComposeResult:
        yield CommandCaption("Nothing followed yet: pick a unit in Services and press f")
        yield make_log_panel(self.max_lines, "follow-log")

    @property
    def sink(self) -> LogSink:
        return cast(LogSink, self.query_one("#follow-log"))

    def action_stop(self) -> None:
        stopped = self.workers_stop()
        self.notify("Stopped following" if stopped else "Nothing is being followed")

    def workers_stop(self) -> int:
        running = [w for w in self.screen.workers if w.group == "follow" and w.is_running]
        for worker in running:
            worker.cancel()
        return len(running)
