"""LogPanel: live command output of one host or many (merged), bounded, searchable.

Writers call :meth:`LogPanel.write_chunk` (or ``await panel.consume(host, stream)``) as often as
output arrives; that only queues lines. A timer commits the queue to the widget about 15 times
a second in one step, so a flood of output costs one redraw per tick, not one per line.

Keys (binding ids in brackets, for the user keymap):

- ``/`` search [log.search], ``n``/``N`` next/previous match [log.search-next,
  log.search-prev], ``escape`` clear the search [log.search-clear];
- ``&`` filter [log.filter] (``!regex`` hides matches), ``!`` invert it [log.filter-invert];
- ``ctrl+s`` save [log.save], ``y`` copy the screen [log.copy];
- ``end``/``G`` follow [log.follow, log.bottom]; ``j``/``k``/``g``/``ctrl+d``/``ctrl+u``,
  arrows and page keys move [log.down, log.up, log.top, log.half-down, log.half-up, ...].
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Literal, Self

from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive

from kxconsole.connector.base import ExecStream
from kxconsole.errors import ValidationError
from kxconsole.tui.widgets.log_bar import LogBar
from kxconsole.tui.widgets.log_buffer import (
    HOST,
    SEQ,
    TEXT,
    LogBuffer,
    LogLine,
    compile_pattern,
    host_tag,
)
from kxconsole.tui.widgets.log_status import LogStatus
from kxconsole.tui.widgets.log_view import LogView

FLUSH_INTERVAL = 1 / 15  # seconds: smooth to the eye, a few dozen redraws at most per second


class LogPanel(Vertical):
    """Output of commands as they run. See the module docstring for keys."""

    DEFAULT_CSS = """
    LogPanel {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", id="log.search"),
        Binding("n", "search_next", "Next match", id="log.search-next"),
        Binding("N", "search_previous", "Previous match", id="log.search-prev"),
        Binding("escape", "clear_search", "Clear search", show=False, id="log.search-clear"),
        Binding("ampersand", "filter", "Filter", id="log.filter"),
        Binding("exclamation_mark", "invert_filter", "Invert filter", id="log.filter-invert"),
        Binding("ctrl+s", "save", "Save log", id="log.save"),
        Binding("y", "copy", "Copy screen", id="log.copy"),
    ]

    follow: reactive[bool] = reactive(True, init=False)
    """Keep the newest line in view. Scrolling up pauses it; End (or G) resumes it."""

    class Saved(Message):
        """The log was saved by the ``log.save`` key."""

        def __init__(self, path: Path, lines: int) -> None:
            super().__init__()
            self.path = path
            self.lines = lines

    def __init__(
        self,
        *,
        max_lines: int = 10_000,
        merged: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._buffer = LogBuffer(max_lines, merged=merged)
        self._view = LogView(
            self._buffer, on_user_scroll=self._user_scrolled, on_follow=self._resume, id="log-view"
        )
        self._search_text = ""
        self._filter_text = ""
        self._unseen = 0  # lines shown since follow paused
        self.flush_count = 0
        """How many times queued lines were committed to the widget (for tests and benches)."""
        self.save_directory: Path | None = None
        """Where ``log.save`` writes (None: the current directory)."""

    @property
    def max_lines(self) -> int:
        return self._buffer.max_lines

    @property
    def merged(self) -> bool:
        return self._buffer.merged

    @property
    def lines_total(self) -> int:
        """Lines kept (at most ``max_lines``), as of the last flush."""
        return len(self._buffer.lines)

    @property
    def lines_shown(self) -> int:
        """Lines that pass the filter, as of the last flush."""
        return len(self._buffer.view)

    @property
    def lines_received(self) -> int:
        """Complete lines received since the start, including queued and dropped ones."""
        return self._buffer.received

    def compose(self) -> ComposeResult:
        yield LogStatus(id="log-status")
        yield self._view
        yield LogBar(id="log-bar")

    def on_mount(self) -> None:
        self.set_interval(FLUSH_INTERVAL, self.flush, name="log-flush")
        self._update_status()

    def focus(self, scroll_visible: bool = True) -> Self:
        """Focus the scrolling view (the panel itself takes no focus)."""
        self._view.focus(scroll_visible)
        return self

    # writing -------------------------------------------------------------------------------

    def write_chunk(
        self, host: str | None, stream: Literal["stdout", "stderr"], data: bytes
    ) -> None:
        """Queue output of ``host``; shown at the next tick. Cheap: call it per chunk."""
        self._buffer.feed(host, stream, data)

    def end_stream(
        self, host: str | None, stream: Literal["stdout", "stderr"] | None = None
    ) -> None:
        """The output of ``host`` ended: a last line without a newline is shown too."""
        self._buffer.end_stream(host, stream)

    async def consume(self, host: str | None, stream: ExecStream) -> int | None:
        """Show everything ``stream`` (from ``Connector.stream()``) prints; returns its exit
        code. The stream is entered here, so cancelling this kills the remote command."""
        try:
            async with stream:
                async for chunk in stream:
                    self._buffer.feed(host, chunk.stream, chunk.data)
        finally:
            self._buffer.end_stream(host)
        return stream.exit_code

    def flush(self) -> int:
        """Commit queued lines to the widget now (the timer does this); returns how many."""
        new = self._buffer.pending
        commit = self._buffer.commit()
        if not commit.added:
            return 0
        self.flush_count += 1
        if not self.follow:
            self._unseen += commit.shown_added
        self._view.lines_committed(commit, new, self.follow)
        self._update_status()
        return commit.added

    def clear(self) -> None:
        """Forget all lines and follow again."""
        self._buffer.clear()
        self._view.current_seq = None
        self._view.view_replaced()
        self._unseen = 0
        self.follow = True
        self._update_status()

    def save(self, path: str | Path) -> Path:
        """Write every kept line (unfiltered, with ``[host]`` prefixes when merged) to ``path``.
        Raises OSError if it cannot be written."""
        self.flush()
        target = Path(path).expanduser()
        target.write_text(self._as_text(self._buffer.lines), encoding="utf-8")
        return target.resolve()

    def copy_screen(self) -> int:
        """Copy the lines on screen (as shown: filtered, with prefixes) to the clipboard;
        returns how many."""
        top = round(self._view.scroll_y)
        lines = self._buffer.view[top : top + self._view.scrollable_content_region.height]
        self.app.copy_to_clipboard(self._as_text(lines))
        return len(lines)

    def _as_text(self, lines: Sequence[LogLine]) -> str:
        if not self._buffer.merged:
            return "".join(f"{line[TEXT]}\n" for line in lines)
        width = max((len(host_tag(h)) for h in self._buffer.hosts), default=0) + 1
        return "".join(f"{host_tag(line[HOST]).ljust(width)}{line[TEXT]}\n" for line in lines)

    # follow --------------------------------------------------------------------------------

    def watch_follow(self, follow: bool) -> None:
        self._view.following = follow
        if follow:
            self._unseen = 0
            self._view.scroll_to_end()
        self._update_status()

    def _user_scrolled(self, at_end: bool) -> None:
        self.follow = at_end

    def _resume(self) -> None:
        self.follow = True

    # search and filter ---------------------------------------------------------------------

    def search(self, pattern: str) -> bool:
        """Highlight ``pattern`` (regex, smart case) and go to its first match from the top of
        the screen down (wrapping). Returns whether a line matches; raises ValidationError
        for a bad regex. An empty pattern clears the search."""
        if not pattern:
            self._clear_search()
            return False
        compiled = compile_pattern(pattern)
        self.flush()
        self._search_text = pattern
        self._view.search = compiled
        self._view.current_seq = None
        found = self._find(self._top_index(), 1)
        self._view.restyle()
        self._update_status()
        return found

    def search_next(self, step: int = 1) -> bool:
        """Go to the next (``step=1``) or previous (``-1``) line matching the search."""
        if self._view.search is None:
            self._set_message("no search: press / first")
            return False
        self.flush()
        current = self._current_index()
        start = self._top_index() if current is None else current + step
        return self._find(start, step)

    def set_filter(self, pattern: str | None, inverse: bool = False) -> None:
        """Show only lines matching ``pattern`` (not matching, if ``inverse``); None or ""
        shows all again. Applied to new lines as they arrive. Raises ValidationError for a
        bad regex (and keeps the previous filter)."""
        compiled = compile_pattern(pattern) if pattern else None
        self.flush()
        top = self._buffer.view[self._top_index()][SEQ] if self.lines_shown else None
        self._filter_text = pattern or ""
        self._set_message("")
        self._buffer.set_filter(compiled, inverse)
        self._view.view_replaced()
        current = self._current_index()
        if self.follow:
            self._view.scroll_to_end()
        elif current is not None:
            self._view.show_index(current)
        elif top is not None:
            self._view.scroll_to_index(self._buffer.nearest_index(top))
        self._update_status()

    def _find(self, start: int, step: int) -> bool:
        view, pattern = self._buffer.view, self._view.search
        assert pattern is not None
        count = len(view)
        for k in range(count):
            index = (start + k * step) % count
            if pattern.search(view[index][TEXT]):
                wrapped = (index < start) if step > 0 else (index > start)
                self._go_to(index)
                self._set_message("search wrapped" if wrapped and k else "")
                return True
        self._set_message(f"no match for /{self._search_text}/")
        return False

    def _go_to(self, index: int) -> None:
        self.follow = False
        self._view.current_seq = self._buffer.view[index][SEQ]
        self._view.show_index(index)
        self._view.restyle()

    def _current_index(self) -> int | None:
        seq = self._view.current_seq
        return None if seq is None else self._buffer.index_of(seq)

    def _top_index(self) -> int:
        return min(round(self._view.scroll_y), max(0, self.lines_shown - 1))

    def _clear_search(self) -> None:
        self._search_text = ""
        self._view.search = None
        self._view.current_seq = None
        self._view.restyle()
        self._set_message("")

    # actions -------------------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one(LogBar).open("search", self._search_text, "regex; Enter: find, then n/N")

    def action_search_next(self) -> None:
        self.search_next(1)

    def action_search_previous(self) -> None:
        self.search_next(-1)

    def action_clear_search(self) -> None:
        if self._view.search is None:
            raise SkipAction()  # let escape reach the screen
        self._clear_search()

    def action_filter(self) -> None:
        current = ("!" if self._buffer.filter_inverse else "") + self._filter_text
        self.query_one(LogBar).open("filter", current, "regex; !regex hides matches; empty: all")

    def action_invert_filter(self) -> None:
        if self._buffer.filter is None:
            self._set_message("no filter to invert: press & first")
            return
        self.set_filter(self._filter_text, not self._buffer.filter_inverse)

    def action_copy(self) -> None:
        count = self.copy_screen()
        self.notify(f"{count:,} lines copied to the clipboard", title="Copied")

    def action_save(self) -> None:
        directory = self.save_directory or Path.cwd()
        path = directory / time.strftime("kxconsole-log-%Y%m%d-%H%M%S.txt")
        try:
            saved = self.save(path)
        except OSError as exc:
            self.notify(
                f"Could not save the log to {path}: {exc.strerror or exc}. Check that the "
                "directory exists and is writable.",
                title="Save failed",
                severity="error",
            )
            return
        self.notify(f"{self.lines_total:,} lines saved to {saved}", title="Log saved")
        self.post_message(self.Saved(saved, self.lines_total))

    def on_log_bar_submitted(self, event: LogBar.Submitted) -> None:
        event.stop()
        bar = self.query_one(LogBar)
        value = event.value
        try:
            if event.mode == "search":
                self.search(value)
            else:
                inverse = value.startswith("!")
                self.set_filter(value[1:] if inverse else value, inverse)
        except ValidationError as exc:
            cause = exc.__cause__
            short = (
                f"bad regex: {cause.msg} at position {cause.pos}"
                if isinstance(cause, re.error)
                else exc.message
            )
            bar.show_message(short)  # the bar stays open to fix the regex
            return
        bar.close()
        self._view.focus()

    def on_log_bar_closed(self, event: LogBar.Closed) -> None:
        event.stop()
        self._view.focus()

    # status line ---------------------------------------------------------------------------

    def _set_message(self, text: str) -> None:
        if self.is_mounted:
            self.query_one(LogStatus).message = text
        self._update_status()

    def _update_status(self) -> None:
        if not self.is_mounted:
            return
        buffer = self._buffer
        self.query_one(LogStatus).show(
            follow=self.follow,
            shown=self.lines_shown,
            total=self.lines_total,
            unseen=self._unseen,
            filter_text=None
            if buffer.filter is None
            else f"{'!' if buffer.filter_inverse else ''}/{self._filter_text}/",
            search_text=None if self._view.search is None else self._search_text,
        )
