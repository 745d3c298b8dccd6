"""The console as the CLI opens it: config → inventories → connectors → first facts."""

from __future__ import annotations

from pathlib import Path

from kxconsole.config import Config
from kxconsole.tui.app import build_console
from tests.tui.console_fixtures import settle

ROOT = Path(__file__).resolve().parents[2]


async def test_demo_inventory_opens_with_every_host_up() -> None:
    app = build_console(Config(inventories=[str(ROOT / "inventories" / "demo.yaml")]))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        assert len(app.fleet.rows) == 15
        assert {str(r.state) for r in app.fleet.rows.values()} == {"up"}
        assert app.fleet.rows["db-01"].host.protected
        assert app.theme == "kx-dark"


async def test_a_bad_inventory_file_is_a_toast_and_the_good_one_still_loads(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("hosts:\n  web-01:\n    port: not-a-port\n")
    config = Config(inventories=[str(ROOT / "inventories" / "demo.yaml"), str(bad)])
    app = build_console(config)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        assert len(app.fleet.rows) == 15
        assert any(str(bad) in e.message for e in app.errors), app.errors


async def test_the_local_inventory_gathers_this_machine() -> None:
    import os

    app = build_console(Config(inventories=[str(ROOT / "inventories" / "local.yaml")]))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        row = app.fleet.rows["localhost"]
        assert str(row.state) == "up", row.reason
        assert row.facts is not None and row.facts.kernel == os.uname().release
