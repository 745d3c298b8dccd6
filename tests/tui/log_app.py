"""A tiny app hosting one LogPanel, shared by the log panel tests, snapshots and the bench."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from textual.app import App, ComposeResult
from textual.strip import Strip

from kxconsole.tui.themes import bundled_themes_dir, load_themes, register_themes
from kxconsole.tui.widgets.log_panel import LogPanel
from kxconsole.tui.widgets.log_view import LogView


class LogApp(App[None]):
    def __init__(self, theme: str = "kx-dark", **panel_kwargs: Any) -> None:
        super().__init__()
        self.panel_kwargs = panel_kwargs
        self.saved: list[LogPanel.Saved] = []
        themes, errors = load_themes([bundled_themes_dir()])
        assert not errors, errors
        register_themes(self, themes)
        self.theme = theme

    def compose(self) -> ComposeResult:
        yield LogPanel(**self.panel_kwargs)

    def on_mount(self) -> None:
        self.panel.focus()

    def on_log_panel_saved(self, event: LogPanel.Saved) -> None:
        self.saved.append(event)

    @property
    def panel(self) -> LogPanel:
        return self.query_one(LogPanel)

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)


def row_text(strip: Strip) -> str:
    return "".join(segment.text for segment in strip)


def visible_rows(view: LogView) -> list[str]:
    """The text of every row of the view as drawn now."""
    return [row_text(view.render_line(y)).rstrip() for y in range(view.size.height)]


def styles_of(strip: Strip, text: str) -> list[Style]:
    """Styles of the segments of ``strip`` whose text contains ``text``."""
    return [seg.style for seg in strip if text in seg.text and seg.style is not None]
