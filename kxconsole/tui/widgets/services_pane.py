"""The host view's services pane: units with active/enabled state; follow a unit's log."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message

from kxconsole.runner.listings import ServiceUnit
from kxconsole.tui.widgets.listing_pane import Cell, ListingPane

ACTIVE_STYLES = {"active": "green", "running": "green", "failed": "bold red", "stopped": "dim"}


def service_row(unit: ServiceUnit) -> tuple[Cell, ...]:
    style = ACTIVE_STYLES.get(unit.active, "")
    return (unit.name, Text(unit.active, style=style), unit.sub, unit.enabled, unit.description)


class ServicesPane(ListingPane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "follow", "Follow log", id="services.follow"),
        Binding("enter", "follow", "Follow log", show=False, id="services.follow-enter"),
    ]
    columns = (("Unit", 32), ("Active", 9), ("Sub", 8), ("Enabled", 9), ("Description", None))
    placeholder = "filter units…"
    noun = "units"

    class FollowUnit(Message):
        def __init__(self, unit: str) -> None:
            super().__init__()
            self.unit = unit

    def show_units(self, units: list[ServiceUnit]) -> None:
        self.set_rows([service_row(u) for u in units])

    def action_follow(self) -> None:
        values = self.cursor_row_values
        if values:
            self.post_message(self.FollowUnit(str(values[0])))
