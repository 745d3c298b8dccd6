"""The scrolling part of the log panel: draws the lines of a :class:`LogBuffer` view.

A line-API widget (``ScrollView`` + ``render_line``): only the visible rows are rendered, each
from a cached :class:`Strip`, so 100k kept lines cost nothing until they scroll into view.
Textual's ``Log`` cannot style single lines (stderr) and ``RichLog`` renders every written
line up front, which is too slow at 50k lines/s.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kxconsole.tui.widgets.log_buffer import (
    HOST,
    SEQ,
    STREAM,
    TEXT,
    Commit,
    LogBuffer,
    LogLine,
    host_tag,
)


class LogView(ScrollView, can_focus=True, inherit_bindings=False):
    """Renders ``buffer.view``; reports user scrolling through ``on_user_scroll(at_end)``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-view--stderr",
        "log-view--host",
        "log-view--host-1",
        "log-view--host-2",
        "log-view--host-3",
        "log-view--host-4",
        "log-view--match",
        "log-view--current",
    }

    DEFAULT_CSS = """
    LogView {
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: auto;
        overflow-y: scroll;
        & > .log-view--stderr { color: $text-error; }
        /* host prefixes in merged views cycle through these (never the stderr red) */
        & > .log-view--host { color: $text-accent; }
        & > .log-view--host-1 { color: $text-primary; }
        & > .log-view--host-2 { color: $text-success; }
        & > .log-view--host-3 { color: $text-secondary; }
        & > .log-view--host-4 { color: $text-warning; }
        & > .log-view--match { background: $warning; color: $background; text-style: bold; }
        & > .log-view--current { background: $primary 35%; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "scroll_lines(1)", "Down", show=False, id="log.down"),
        Binding("k,up", "scroll_lines(-1)", "Up", show=False, id="log.up"),
        Binding("h,left", "scroll_columns(-4)", "Left", show=False, id="log.left"),
        Binding("l,right", "scroll_columns(4)", "Right", show=False, id="log.right"),
        Binding("ctrl+d", "scroll_pages(0.5)", "Half page down", show=False, id="log.half-down"),
        Binding("ctrl+u", "scroll_pages(-0.5)", "Half page up", show=False, id="log.half-up"),
        Binding("pagedown", "scroll_pages(1)", "Page down", show=False, id="log.page-down"),
        Binding("pageup", "scroll_pages(-1)", "Page up", show=False, id="log.page-up"),
        Binding("g,home", "scroll_top", "Top", show=False, id="log.top"),
        Binding("G", "follow", "Bottom", show=False, id="log.bottom"),
        Binding("end", "follow", "Follow", id="log.follow"),
    ]

    def __init__(
        self,
        buffer: LogBuffer,
        *,
        on_user_scroll: Callable[[bool], None] | None = None,
        on_follow: Callable[[], None] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.buffer = buffer
        self.on_user_scroll = on_user_scroll
        self.on_follow = on_follow
        self.search: re.Pattern[str] | None = None
        self.current_seq: int | None = None  # the line of the current search match
        self.following = True  # mirrors LogPanel.follow
        self._programmatic = False  # set while we scroll, so it is not taken for the user
        self._text_width = 0
        self._prefix_width = 0
        # a few screens' worth: each cached Strip is ~10 GC-tracked objects, and a big cache
        # makes every full garbage collection (a pause of the whole UI) slower
        self._strips: LRUCache[int, Strip] = LRUCache(256)
        self._styles: tuple[Style, Style, Style, Style] | None = None
        self._host_styles: list[Style] = []

    # updates from the panel ----------------------------------------------------------------

    def lines_committed(self, commit: Commit, new: list[LogLine], follow: bool) -> None:
        """One batch of lines arrived (``new``, already in the buffer): resize, then either
        stick to the end or keep the lines on screen still."""
        if new:
            widest = max(len(line[TEXT]) for line in new)  # len ≈ cells; exact is slower
            self._text_width = max(self._text_width, widest)
        if self.buffer.merged and len(self.buffer.hosts) and self._update_prefix_width():
            self._strips.clear()
        self._resize()
        if follow:
            self.scroll_to_end()
        elif commit.shown_removed:
            self._scroll_quietly(max(0, self.scroll_y - commit.shown_removed))
        self.refresh()

    def view_replaced(self) -> None:
        """The view changed wholesale (filter set or cleared, buffer cleared)."""
        if not self.buffer.lines:
            self._text_width = 0
            self._prefix_width = 0
        self._strips.clear()
        self._resize()
        self.refresh()

    def restyle(self) -> None:
        """The search or current match changed: redraw the visible lines."""
        self._strips.clear()
        self.refresh()

    def scroll_to_end(self) -> None:
        self._scroll_quietly(self.max_scroll_y)

    def show_index(self, index: int) -> None:
        """Scroll so view line ``index`` is in the middle of the screen."""
        self._scroll_quietly(max(0, index - self.scrollable_content_region.height // 2))

    def scroll_to_index(self, index: int) -> None:
        """Scroll so view line ``index`` is the top line."""
        self._scroll_quietly(index)

    def on_resize(self) -> None:
        self._strips.clear()  # the current line's highlight spans the width
        if self.following:  # e.g. the search bar opened below: keep the last line in view
            self.scroll_to_end()

    def _scroll_quietly(self, y: float) -> None:
        if not self.is_mounted:  # lines may be written before the panel is shown
            return
        self._programmatic = True
        try:
            self.scroll_to(y=y, animate=False, force=True)
        finally:
            self._programmatic = False

    def _resize(self) -> None:
        self.virtual_size = Size(self._prefix_width + self._text_width, len(self.buffer.view))

    def _update_prefix_width(self) -> bool:
        width = max(len(host_tag(host)) for host in self.buffer.hosts) + 1
        changed = width != self._prefix_width
        self._prefix_width = width
        return changed

    # scrolling by the user -----------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._programmatic and self.on_user_scroll is not None:
            self.on_user_scroll(round(new_value) >= self.max_scroll_y)

    def action_scroll_lines(self, lines: int) -> None:
        self.scroll_to(y=self.scroll_y + lines, animate=False)

    def action_scroll_columns(self, columns: int) -> None:
        self.scroll_to(x=self.scroll_x + columns, animate=False)

    def action_scroll_pages(self, pages: float) -> None:
        step = max(1, int(self.scrollable_content_region.height * abs(pages)))
        self.scroll_to(y=self.scroll_y + (step if pages > 0 else -step), animate=False)

    def action_scroll_top(self) -> None:
        self.scroll_to(y=0, animate=False)

    def action_follow(self) -> None:
        """Jump to the newest line and follow new ones."""
        if self.on_follow is not None:
            self.on_follow()
        self.scroll_to_end()

    # rendering -----------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        view = self.buffer.view
        if index >= len(view):
            return Strip.blank(width, self._line_styles()[0])
        line = view[index]
        strip = self._strips.get(line[SEQ])
        if strip is None:
            strip = self._render_log_line(line, width)
            self._strips[line[SEQ]] = strip
        if scroll_x == 0 and strip.cell_length == width:
            return strip  # the common case: no cropping, no new Strip
        return strip.crop_extend(scroll_x, scroll_x + width, self._line_styles()[0])

    def _line_styles(self) -> tuple[Style, Style, Style, Style]:
        """(base, stderr, match, current) styles, computed once per style change."""
        if self._styles is None:
            base = self.rich_style
            stderr, match = (
                self.get_component_rich_style(f"log-view--{name}", partial=True)
                for name in ("stderr", "match")
            )
            # only the background of the current line, blended (a partial style drops alpha)
            current = Style(bgcolor=self.get_component_rich_style("log-view--current").bgcolor)
            self._styles = (base, base + stderr, match, current)
            self._host_styles = [
                base + self.get_component_rich_style(name, partial=True)
                for name in ("log-view--host", *(f"log-view--host-{i}" for i in range(1, 5)))
            ]
        return self._styles

    def _render_log_line(self, line: LogLine, width: int) -> Strip:
        """The whole line (prefix, text, matches) padded to at least ``width`` cells."""
        base, stderr, match, current = self._line_styles()
        text_style = stderr if line[STREAM] == "stderr" else base
        is_current = line[SEQ] == self.current_seq
        segments: list[Segment] = []
        if self.buffer.merged:
            prefix = host_tag(line[HOST]).ljust(self._prefix_width)
            host_styles = self._host_styles
            host = host_styles[self.buffer.hosts.get(line[HOST], 0) % len(host_styles)]
            segments.append(Segment(prefix, host + current if is_current else host))
        if is_current:
            text_style += current
        match = text_style + match  # the match colours win over the current-line tint
        text = line[TEXT]
        position = 0
        if self.search is not None:
            for found in self.search.finditer(text):
                start, end = found.span()
                if start == end:
                    continue
                if start > position:
                    segments.append(Segment(text[position:start], text_style))
                segments.append(Segment(text[start:end], match))
                position = end
        if position < len(text):
            segments.append(Segment(text[position:], text_style))
        cells = (len(text) if text.isascii() else cell_len(text)) + (
            self._prefix_width if self.buffer.merged else 0
        )
        if cells < width:  # the current line is tinted across the whole width
            segments.append(Segment(" " * (width - cells), base + current if is_current else base))
            cells = width
        return Strip(segments, cells)
