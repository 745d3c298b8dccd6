"""Themes: bundled data files load, bad files are reported with file:line while the others
still load, user themes override bundled ones, and a running app switches themes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Static

from kxconsole.tui.themes import (
    THEME_VARIABLE_DEFAULTS,
    bundled_themes_dir,
    default_theme_dirs,
    load_themes,
    register_themes,
    user_themes_dir,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "themes"
BAD_CASES = sorted((DATA / "bad").glob("*.yaml"))
BUNDLED = ("kx-dark", "kx-light", "kx-high-contrast")


def expectation(path: Path) -> tuple[int, str]:
    """The `# expect line N: text` header of a bad-case file."""
    match = re.match(r"# expect line (\d+): (.+)", path.read_text().splitlines()[0])
    assert match, f"{path} lacks its '# expect line N: text' header"
    return int(match[1]), match[2]


def test_bundled_themes_load_without_errors() -> None:
    themes, errors = load_themes([bundled_themes_dir()])
    assert errors == []
    assert set(BUNDLED) <= set(themes)
    for name in BUNDLED:
        variables = themes[name].variables
        protected = Color.parse(variables["protected"])
        error = Color.parse(themes[name].error or "")
        assert protected != error, name
        assert "protected-muted" in variables


def test_bundled_dir_is_the_source_checkout_here() -> None:
    assert bundled_themes_dir() == Path(__file__).resolve().parents[2] / "themes"


@pytest.mark.parametrize("case", BAD_CASES, ids=[p.stem for p in BAD_CASES])
def test_bad_theme_is_reported_with_line_and_others_load(case: Path, tmp_path: Path) -> None:
    line, text = expectation(case)
    shutil.copy(case, tmp_path / case.name)
    shutil.copy(DATA / "good" / "ocean.yaml", tmp_path / "ocean.yaml")

    themes, errors = load_themes([bundled_themes_dir(), tmp_path])

    assert set(themes) == {*BUNDLED, "ocean"}
    assert errors, "the bad file was not reported"
    messages = [e.message for e in errors]
    assert any(text in m for m in messages), messages
    where = f"{tmp_path / case.name}:{line}"
    assert any(e.path == str(tmp_path / case.name) and e.line == line for e in errors), messages
    assert any(m.startswith(where) for m in messages), messages


def test_user_theme_overrides_bundled_by_name(tmp_path: Path) -> None:
    user_dir = tmp_path / "kxconsole" / "themes"
    user_dir.mkdir(parents=True)
    shutil.copy(DATA / "good" / "kx-dark.yaml", user_dir)

    dirs = default_theme_dirs({"XDG_CONFIG_HOME": str(tmp_path)})
    assert dirs == [bundled_themes_dir(), user_dir]
    themes, errors = load_themes(dirs)

    assert errors == []
    assert themes["kx-dark"].variables["protected"] == "#B000FF"
    assert themes["kx-light"].variables["protected"] == "#E06C00"


def test_user_themes_dir_defaults_to_dot_config() -> None:
    assert user_themes_dir({}) == Path.home() / ".config" / "kxconsole" / "themes"


def test_missing_directories_are_skipped(tmp_path: Path) -> None:
    themes, errors = load_themes([tmp_path / "nope"])
    assert (themes, errors) == ({}, [])


class ThemedApp(App[None]):
    CSS = "#marker { background: $protected; color: $protected-muted; }"

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **THEME_VARIABLE_DEFAULTS}

    def compose(self) -> ComposeResult:
        yield Static("production", id="marker")


async def test_theme_switch_in_running_app_resolves_protected() -> None:
    themes, errors = load_themes([bundled_themes_dir()])
    assert errors == []
    app = ThemedApp()
    register_themes(app, themes)
    async with app.run_test() as pilot:
        marker = app.query_one("#marker")
        # before any kx theme: the fallback from THEME_VARIABLE_DEFAULTS
        assert marker.styles.background == Color.parse(THEME_VARIABLE_DEFAULTS["protected"])
        for name in ("kx-dark", "kx-light", "kx-high-contrast"):
            app.theme = name
            await pilot.pause()
            expected = Color.parse(themes[name].variables["protected"])
            assert marker.styles.background == expected, name
            assert app.current_theme.name == name
        assert app.has_class("-light-mode") is False
        app.theme = "kx-light"
        await pilot.pause()
        assert app.has_class("-light-mode")
