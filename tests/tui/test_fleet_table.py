"""The fleet table's shortcuts for 2,000 hosts: no measuring of fixed-width cells, and updates of
rows far from the screen shown when they scroll near it (or are read)."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import replace

from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from kxconsole.actions.events import FactsGathered
from kxconsole.tui.app import KxConsoleApp
from kxconsole.tui.widgets.fleet_table import COLUMNS, FleetTable
from tests.tui.console_fixtures import demo_inventory, make_app, settle


def _table(app: KxConsoleApp) -> FleetTable:
    return app.screen.query_one(FleetTable)


def _screen_text(table: FleetTable) -> list[str]:
    return ["".join(s.text for s in table.render_line(y)) for y in range(table.size.height)]


def _new_kernels(app: KxConsoleApp) -> None:
    """A batch of facts for every host: each reports the kernel ``<host>-new``."""
    for row in app.fleet.rows.values():
        assert row.facts is not None
        app.batcher(FactsGathered(row.name, replace(row.facts, kernel=f"{row.name}-new"), 2.0))
    app.flush_now()


def test_textual_still_has_the_measuring_hook_the_table_overrides() -> None:
    # FleetTable._update_dimensions skips DataTable's per-cell measuring; if Textual renames or
    # reshapes the hook, the override would silently stop working (and first paint doubles)
    hook = inspect.signature(DataTable._update_dimensions)
    assert list(hook.parameters) == ["self", "new_rows"]
    assert "_update_dimensions" in vars(FleetTable)


async def test_table_has_its_full_size_without_measuring_cells() -> None:
    calls: list[int] = []

    class CountingTable(FleetTable):
        def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
            new_rows = list(new_rows)
            calls.append(len(new_rows))
            super()._update_dimensions(new_rows)

    app = make_app(demo_inventory({"web": 300}))
    import kxconsole.tui.screens.fleet as fleet_screen

    original = fleet_screen.FleetTable
    fleet_screen.FleetTable = CountingTable  # type: ignore[misc]
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await settle(pilot, app)
            table = _table(app)
            assert isinstance(table, CountingTable)
            assert max(calls) == 300  # Textual still hands the new rows to the hook
            width = sum(w + 2 * table.cell_padding for _, _, w in COLUMNS)
            assert table.virtual_size == Size(width, 300 + 1)  # + the header
            await pilot.press("G")
            await settle(pilot, app)
            assert table.cursor_row == 299
            last = list(table.rows)[-1].value or ""
            assert any(f" {last} " in line for line in _screen_text(table))
    finally:
        fleet_screen.FleetTable = original  # type: ignore[misc]


async def test_rows_far_from_the_screen_show_new_facts_when_scrolled_to() -> None:
    app = make_app(demo_inventory({"web": 300}))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        table = _table(app)
        _new_kernels(app)
        await pilot.pause()
        assert any("web-01-new" in line for line in _screen_text(table))  # on screen at once
        assert len(table._waiting) > 150  # the rest waits (not 300 cell updates now)
        await pilot.press("G")  # the last rows were far from the screen when facts came
        await settle(pilot, app)
        assert table.scroll_y > 200
        bottom = [cells for line in _screen_text(table)[1:] if (cells := line.split())]
        assert len(bottom) > 30 and all(f"{cells[0]}-new" in cells for cells in bottom), bottom


async def test_rows_far_from_the_screen_read_current() -> None:
    app = make_app(demo_inventory({"web": 300}))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        _new_kernels(app)
        await pilot.pause()
        table = _table(app)
        assert str(table.get_row("web-250")[6]) == "web-250-new"
        assert str(table.get_cell("web-260", "kernel")) == "web-260-new"
        # a filter rebuilds from the fleet's rows: nothing waiting is lost
        await pilot.press("slash", *"web-29", "enter")
        await pilot.pause()
        assert [str(table.get_row(k.value or "")[6]) for k in table.rows][:2] == \
            ["web-29-new", "web-290-new"]
