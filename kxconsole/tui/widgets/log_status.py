"""The log panel's status line: the FOLLOW/PAUSED badge, line counts, filter and search, and
a short message (no match, search wrapped, ...)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label


class LogStatus(Horizontal):
    DEFAULT_CSS = """
    LogStatus {
        height: 1;
        background: $panel;
        & > Label { width: auto; padding: 0 1; }
        & > #log-badge { text-style: bold; }
        & > #log-badge.-follow { background: $success; color: $background; }
        & > #log-badge.-paused { background: $warning; color: $background; }
        & > #log-info { color: $text-muted; }
        & > #log-message { color: $text-warning; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.message = ""
        self._shown: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        yield Label("FOLLOW", id="log-badge", classes="-follow")
        yield Label("", id="log-info")
        yield Label("", id="log-message")

    def show(
        self,
        *,
        follow: bool,
        shown: int,
        total: int,
        unseen: int,
        filter_text: str | None,
        search_text: str | None,
    ) -> None:
        """Redraw from the panel's state; ``filter_text``/``search_text`` None when unset."""
        state = (follow, shown, total, unseen, filter_text, search_text, self.message)
        if state == self._shown:
            return  # e.g. following a full buffer: nothing to redraw (each update is a layout)
        self._shown = state
        badge = self.query_one("#log-badge", Label)
        badge.update("FOLLOW" if follow else "PAUSED")
        badge.set_class(follow, "-follow")
        badge.set_class(not follow, "-paused")
        parts = [f"{shown:,} lines" if shown == total else f"{shown:,} of {total:,} lines"]
        if not follow and unseen:
            parts.append(f"+{unseen:,} new")
        if filter_text is not None:
            parts.append(f"filter {filter_text}")
        if search_text is not None:
            parts.append(f"search /{search_text}/")
        self.query_one("#log-info", Label).update("  ".join(parts))
        self.query_one("#log-message", Label).update(self.message)
