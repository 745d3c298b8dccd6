"""The fleet table's shortcuts for 2,000 hosts: no measuring of fixed-width cells, updates of rows
far from the screen shown when they scroll near it (or are read), only changed cells rendered
again, a screen of changed rows painted a slice per frame."""

from __future__ import annotations

import gc
import inspect
from collections.abc import Iterable
from dataclasses import replace

import pytest
from textual.geometry import Size
from textual.pilot import Pilot
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from kxconsole.actions.events import FactsGathered
from kxconsole.tui.app import KxConsoleApp
from kxconsole.tui.widgets.fleet_table import COLUMNS, ROWS_PER_PAINT, FleetTable
from tests.tui.console_fixtures import demo_inventory, make_app, settle


def _table(app: KxConsoleApp) -> FleetTable:
    return app.screen.query_one(FleetTable)


def _screen_text(table: FleetTable) -> list[str]:
    return ["".join(s.text for s in table.render_line(y)) for y in range(table.size.height)]


def _new_kernels(app: KxConsoleApp, suffix: str = "new") -> None:
    """A batch of facts for every host: each reports the kernel ``<host>-<suffix>``."""
    for row in app.fleet.rows.values():
        assert row.facts is not None
        facts = replace(row.facts, kernel=f"{row.name}-{suffix}")
        app.batcher(FactsGathered(row.name, facts, 2.0))
    app.flush_now()


async def _painted(pilot: Pilot[object], table: FleetTable) -> None:
    """Wait (bounded) until every slice of changed rows on screen has been shown."""
    for _ in range(100):
        await pilot.pause()
        if not table._slice_pending:
            return
        await pilot.pause(0.02)
    raise AssertionError("rows on screen still waiting for their slice after 100 frames")


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


def test_textual_still_keys_the_render_caches_the_table_trims() -> None:
    # FleetTable drops only the changed cells' renders from DataTable's private caches (not
    # update_cell, which makes every cell on screen render again): if Textual renames them,
    # or stops keying them by row key / row index / line, the trimming must be revisited
    source = inspect.getsource(DataTable)
    for cache in ("_cell_render_cache", "_row_render_cache", "_line_cache",
                  "_row_renderable_cache", "_data"):
        assert f"self.{cache}" in source, cache
    assert "cache_key = (update_count, row_index)" in inspect.getsource(
        DataTable._get_row_renderables)
    assert list(inspect.signature(DataTable.render_line).parameters) == ["self", "y"]


async def test_a_batch_renders_only_the_changed_cells_again() -> None:
    app = make_app(demo_inventory({"web": 300}))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        table = _table(app)
        _new_kernels(app, "v1")  # the time of the facts changes too
        await _painted(pilot, table)
        _screen_text(table)
        cache = table._cell_render_cache
        cached = {key: id(cache.get(key)) for key in cache.keys()}  # noqa: SIM118
        assert all(isinstance(k[0], RowKey) and isinstance(k[1], ColumnKey) for k in cached)
        assert all(isinstance(k[0], int) for k in table._line_cache.keys())  # noqa: SIM118
        updates = table._update_count
        _new_kernels(app, "v2")  # now only the kernel cells change
        await _painted(pilot, table)
        lines = _screen_text(table)[1:]
        rendered = [key for key in cache.keys() if cached.get(key) != id(cache.get(key))]  # noqa: SIM118
        assert {key[1] for key in rendered} == {"kernel"}  # no other cell rendered again
        assert len(rendered) >= len(lines)  # each row on screen: its new kernel
        assert table._update_count == updates  # update_cell would have dropped every cache
        rows = [cells for line in lines if (cells := line.split())]
        assert len(rows) > 30 and all(f"{cells[0]}-v2" in cells for cells in rows), rows
        assert str(table.get_cell("web-299", "kernel")) == "web-299-v2"  # far: read current


async def test_a_screen_of_changed_rows_is_painted_a_slice_per_frame() -> None:
    app = make_app(demo_inventory({"web": 300}))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        table = _table(app)
        events = [FactsGathered(row.name, replace(row.facts, kernel="sliced"), 2.0)
                  for row in app.fleet.rows.values() if row.facts is not None]
        table.update_hosts(app.fleet.apply(events))  # as the screen does with a batch
        # the first slice at once, the rest of the screen after the next paints
        on_screen = table._order[: table.size.height - 1]  # under the header
        first = [name for name in on_screen if table._shown[name][6][0] == "sliced"]
        assert len(first) == ROWS_PER_PAINT and table._slice_pending
        await pilot.press("j")  # a key between slices is handled
        assert table.cursor_row == 1
        await _painted(pilot, table)
        rows = [cells for line in _screen_text(table)[1:] if (cells := line.split())]
        assert len(rows) > 30 and all("sliced" in cells for cells in rows), rows
        # an operator's own change (selection) is shown at once, however many rows
        await pilot.press("a")
        assert all(table._shown[name][0][0] == "●" for name in on_screen)


async def test_gc_freezes_again_after_the_first_round(monkeypatch: pytest.MonkeyPatch) -> None:
    # what the first round gathered lives as long as the app: frozen, a full collection
    # does not walk it while keys are pressed (run_console only; recorded here, not done)
    frozen: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    app = make_app()
    app.freeze_gc_after_start = True
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        assert len(frozen) == 2  # after the first paint, after the first round
        await pilot.press("r")  # another round: nothing more frozen
        await settle(pilot, app)
        assert len(frozen) == 2
