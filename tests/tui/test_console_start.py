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


async def test_a_bad_theme_file_is_a_toast_and_the_others_still_load(tmp_path: Path) -> None:
    import shutil

    from tests.tui.console_fixtures import make_app

    themes = tmp_path / "themes"
    shutil.copytree(ROOT / "themes", themes)
    (themes / "broken.yaml").write_text("name: broken\ndark: true\nprimary: not-a-colour\n")
    app = make_app(theme_dirs=[themes])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        assert app.theme == "kx-dark"
        assert "broken" not in app.available_themes
        assert any("broken.yaml" in e.message for e in app.errors), app.errors
        assert any("broken.yaml" in n.message for n in app._notifications)


async def test_a_missing_keymap_file_is_reported(tmp_path: Path) -> None:
    from tests.tui.console_fixtures import make_app

    app = make_app(keymap=str(tmp_path / "nope.yaml"))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        assert any("nope.yaml does not exist" in e.message for e in app.errors)
