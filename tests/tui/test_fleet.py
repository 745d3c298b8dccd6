"""Pilot tests of the fleet view: rows, filter, selection (with hidden counts), sort, motions."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from kxconsole.actions.demo import distro_for
from kxconsole.tui.messages import EventBatcher
from kxconsole.tui.screens.fleet import FleetScreen
from kxconsole.tui.screens.host import HostScreen
from kxconsole.tui.widgets.fleet_table import FleetTable
from tests.tui.console_fixtures import demo_inventory, make_app, settle


def _table(app: object) -> FleetTable:
    return app.screen.query_one(FleetTable)  # type: ignore[attr-defined, no-any-return]


def _order(table: FleetTable) -> list[str]:
    return [str(key.value) for key in table.rows]


def _selection_text(app: object) -> str:
    return str(app.screen.query_one("#fleet-selection", Static).render())  # type: ignore[attr-defined]


async def test_every_host_gets_a_row_with_its_facts() -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        table = _table(app)
        assert table.row_count == 8
        row = table.get_row("web-01")
        assert str(row[4]) == "web-01.demo.example"  # the hostname the host reports
        assert str(row[3]) == "up"
        assert str(row[6]) == distro_for("web-01").kernel
        # grouped: the default order is by group, then name
        assert _order(table)[:2] == ["cache-01", "cache-02"]


async def test_filter_then_selection_counts_hidden_hosts() -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("space")  # cache-01, cursor moves down
        await pilot.press("G", "space")  # web-04 (last)
        assert _selection_text(app) == "2 selected"
        await pilot.press("slash", *"web", "enter")
        await pilot.pause()
        assert _order(_table(app)) == ["web-01", "web-02", "web-03", "web-04"]
        assert _selection_text(app) == "2 selected (1 hidden)"
        await pilot.press("a")  # select all shown
        assert _selection_text(app) == "5 selected (1 hidden)"
        await pilot.press("x")
        assert _selection_text(app) == "none selected"
        await pilot.press("escape")  # clears the filter
        assert _table(app).row_count == 8


async def test_filter_matches_os_and_labels() -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"tier=prod-db")
        await pilot.pause()
        assert _order(_table(app)) == ["prod-db-01", "prod-db-02"]
        os_word = distro_for("web-02").os_release.split('"')[1].split()[0]  # e.g. "Debian"
        app.screen.query_one("#fleet-filter").value = os_word  # type: ignore[attr-defined]
        await pilot.pause()
        expected = sorted(h for h in app.fleet.rows if os_word in app.fleet.rows[h].os_name)
        assert sorted(_order(_table(app))) == expected


async def test_range_group_and_shift_selection() -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("v", "j", "j", "v")  # cache-01 .. prod-db-01
        assert app.fleet.selected == {"cache-01", "cache-02", "prod-db-01"}
        await pilot.press("x", "G", "A")  # the whole group of web-04
        assert app.fleet.selected == {"web-01", "web-02", "web-03", "web-04"}
        await pilot.press("x", "g", "shift+down", "shift+down")
        assert app.fleet.selected == {"cache-01", "cache-02", "prod-db-01"}


async def test_sort_keys_sort_and_reverse() -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("1")  # by host name
        assert _order(_table(app)) == sorted(app.fleet.rows)
        await pilot.press("1")  # again: reversed
        assert _order(_table(app)) == sorted(app.fleet.rows, reverse=True)
        await pilot.press("8")  # by memory
        mem = [app.fleet.rows[n].facts.total_memory for n in _order(_table(app))]  # type: ignore[union-attr]
        assert mem == sorted(mem)


async def test_vim_motions_move_the_cursor() -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        table = _table(app)
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == 7
        await pilot.press("g")
        assert table.cursor_row == 0


async def test_palette_finds_a_host_and_opens_it() -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"open host web-03")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, HostScreen)
        assert app.screen.host_name == "web-03"


async def test_many_hosts_use_few_batched_messages() -> None:
    inventory = demo_inventory({"web": 300, "db": 100})
    app = make_app(inventory)
    batches: list[int] = []

    class CountingBatcher(EventBatcher):
        def flush(self) -> None:
            if self._pending:
                batches.append(len(self._pending))
            super().flush()

    app.batcher = CountingBatcher(app, app.batcher.interval)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        assert _table(app).row_count == 400
        assert all(r.state == "up" for r in app.fleet.rows.values())
        assert sum(batches) == 400 * 3  # connecting, facts, up for every host
        assert len(batches) < 40, batches  # a few flushes, never one message per event
        assert isinstance(app.screen, FleetScreen)


async def test_protected_hosts_use_the_theme_accent() -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        accent = app.theme_variables["protected"]
        name_cell = _table(app).get_row("prod-db-01")[1]
        assert str(name_cell.style) == accent
        assert str(_table(app).get_row("web-01")[1].style) == ""
        app.theme = "kx-light"
        await pilot.pause()
        await pilot.pause()
        light = app.theme_variables["protected"]
        assert str(_table(app).get_row("prod-db-01")[1].style) == light


async def test_user_keymap_from_config_rebinds_at_start(tmp_path: Path) -> None:
    keymap = tmp_path / "keymap.yaml"
    keymap.write_text("fleet.select-toggle: t\nnot.a-binding: x\n")
    app = make_app(keymap=str(keymap))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        assert len(app.fleet.selected) == 1
        assert any("not.a-binding" in e.message for e in app.errors)


async def test_a_filter_typed_before_facts_arrive_catches_up() -> None:
    app = make_app()
    app.fleet.filter_text = "rocky"  # set before any facts: nothing matches yet
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        expected = sorted(n for n, r in app.fleet.rows.items() if "Rocky" in r.os_name)
        assert expected and sorted(_order(_table(app))) == expected


async def test_host_data_is_never_read_as_markup() -> None:
    from kxconsole.actions.events import FactsGathered
    from kxconsole.runner.models import Facts

    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        evil = Facts(hostname="[bold red]x[/]", kernel="[link=http://x]k")
        app.batcher(FactsGathered("web-01", evil, 1.0))
        app.flush_now()
        await pilot.pause()
        row = _table(app).get_row("web-01")
        assert str(row[4]) == "[bold red]x[/]" and str(row[6]) == "[link=http://x]k"


async def test_palette_selects_a_group_and_switches_theme() -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"select group cache")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.fleet.selected == {"cache-01", "cache-02"}
        assert _selection_text(app) == "2 selected"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"theme kx-light")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.theme == "kx-light"


async def test_clicking_a_header_sorts_by_that_column() -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.click(FleetTable, offset=(6, 0))  # the "Host" header
        await pilot.pause()
        assert app.fleet.sort_column == "host"
        assert _order(_table(app)) == sorted(app.fleet.rows)
