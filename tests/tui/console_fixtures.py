"""Shared builders for the console tests: demo inventories, fixed clock, settled app."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from textual.pilot import Pilot

from kxconsole.actions.demo import demo_connector_factory
from kxconsole.actions.fleet import ConnectorFactory
from kxconsole.config import Config
from kxconsole.inventory.model import Group, Host, Inventory
from kxconsole.tui.app import KxConsoleApp

FIXED_NOW = 1_764_763_200.0  # 2025-12-03 12:00:00 UTC
BUNDLED_THEMES = Path(__file__).resolve().parents[2] / "themes"


def fixed_clock() -> float:
    return FIXED_NOW


def demo_inventory(groups: Mapping[str, int] | None = None, *,
                   protected: tuple[str, ...] = ("prod-db",)) -> Inventory:
    """Hosts ``<group>-<nn>`` in the given groups (default: a small mixed fleet)."""
    groups = groups or {"web": 4, "prod-db": 2, "cache": 2}
    inv = Inventory()
    for group, count in groups.items():
        members = [f"{group}-{n:02d}" for n in range(1, count + 1)]
        inv.groups[group] = Group(group, hosts=members, protected=group in protected)
        for name in members:
            inv.hosts[name] = Host(name, connector="fake", groups=[group],
                                   labels={"tier": group}, protected=group in protected)
    return inv


def make_app(inventory: Inventory | None = None, *,
             failures: Mapping[str, Exception] | None = None,
             connector_factory: ConnectorFactory | None = None,
             gather_timeout: float = 5.0, clock: Callable[[], float] = fixed_clock,
             keymap: str | None = None, **kwargs: object) -> KxConsoleApp:
    config = Config(theme="kx-dark", fanout=8, gather_timeout=gather_timeout, keymap=keymap)
    return KxConsoleApp(
        inventory or demo_inventory(),
        connector_factory=connector_factory or demo_connector_factory(failures=failures),
        config=config, clock=clock, toast_timeout=600.0,
        **{"theme_dirs": [BUNDLED_THEMES], **kwargs},  # type: ignore[arg-type]
    )


async def settle(pilot: Pilot[object], app: KxConsoleApp) -> None:
    """Wait until every background task is done and its events are on screen."""
    for _ in range(3):  # a round may start follow-up work (listings after facts)
        await app.workers.wait_for_complete()
        app.flush_now()
        await pilot.pause()
    await pilot.wait_for_scheduled_animations()
