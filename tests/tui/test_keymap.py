"""The user keymap: validated on load (file:line), and applied to a running app so a rebound
key triggers the action, the old key no longer does, and an unbound key does nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget

from kxconsole.tui.keymap import (
    apply_keymap,
    binding_ids,
    is_valid_key,
    load_keymap,
    user_keymap_path,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "keymap"
BAD_CASES = sorted((DATA / "bad").glob("*.yaml"))


class Target(Widget, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "hit('x')", "Hit", id="test.hit"),
        Binding("o", "hit('o')", "Other", id="test.other"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[str] = []

    def action_hit(self, what: str) -> None:
        self.hits.append(what)


class KeymapApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("a", "app_hit", "App hit", id="test.app-hit")]

    def __init__(self) -> None:
        super().__init__()
        self.app_hits = 0

    def compose(self) -> ComposeResult:
        yield Target()

    def on_mount(self) -> None:
        self.query_one(Target).focus()

    def action_app_hit(self) -> None:
        self.app_hits += 1


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "keymap.yaml"
    path.write_text(text)
    return path


async def test_without_keymap_default_keys_work() -> None:
    app = KeymapApp()
    async with app.run_test() as pilot:
        await pilot.press("x", "o", "a")
        assert app.query_one(Target).hits == ["x", "o"]
        assert app.app_hits == 1


async def test_rebinding_moves_the_action_to_the_new_key(tmp_path: Path) -> None:
    keymap, errors = load_keymap(write(tmp_path, 'test.hit: "y, ctrl+t"\ntest.app-hit: "b"\n'))
    assert errors == []
    app = KeymapApp()
    async with app.run_test() as pilot:
        apply_keymap(app, keymap)
        target = app.query_one(Target)
        await pilot.press("x", "a")  # the old keys: nothing
        assert target.hits == [] and app.app_hits == 0
        await pilot.press("y", "ctrl+t", "b", "o")
        assert target.hits == ["x", "x", "o"]
        assert app.app_hits == 1


@pytest.mark.parametrize("unbind", ["null", '""', "~"])
async def test_unbinding_removes_the_key(tmp_path: Path, unbind: str) -> None:
    keymap, errors = load_keymap(write(tmp_path, f"test.hit: {unbind}\ntest.app-hit: {unbind}\n"))
    assert errors == []
    assert keymap == {"test.hit": "", "test.app-hit": ""}
    app = KeymapApp()
    async with app.run_test() as pilot:
        apply_keymap(app, keymap)
        await pilot.press("x", "a", "o")
        assert app.query_one(Target).hits == ["o"]  # the other binding still works
        assert app.app_hits == 0
        shown = {b.binding.id for b in app.screen.active_bindings.values()}
        assert "test.hit" not in shown and "test.other" in shown


async def test_reapplying_a_keymap_restores_defaults(tmp_path: Path) -> None:
    app = KeymapApp()
    async with app.run_test() as pilot:
        apply_keymap(app, {"test.hit": ""})
        await pilot.press("x")
        apply_keymap(app, {})
        await pilot.press("x")
        assert app.query_one(Target).hits == ["x"]


def test_good_keymap_file_loads() -> None:
    keymap, errors = load_keymap(DATA / "good" / "rebind.yaml")
    assert errors == []
    assert keymap == {
        "log.search": "ctrl+f",
        "log.save": "ctrl+s,w",
        "log.filter-invert": "",
        "log.filter": "",
        "log.search-next": "question_mark",
        "log.search-prev": "?",
    }


@pytest.mark.parametrize("case", BAD_CASES, ids=[p.stem for p in BAD_CASES])
def test_bad_keymap_reported_with_line(case: Path) -> None:
    match = re.match(r"# expect line (\d+): (.+)", case.read_text().splitlines()[0])
    assert match, case
    line, text = int(match[1]), match[2]
    keymap, errors = load_keymap(case)
    messages = [e.message for e in errors]
    assert any(e.line == line and text in e.message for e in errors), messages
    assert all(m.startswith(f"{case}:") for m in messages), messages
    assert all(k != "" for k in keymap)


def test_good_entries_survive_a_bad_one(tmp_path: Path) -> None:
    keymap, errors = load_keymap(write(tmp_path, 'a.one: "ctrl+f"\na.two: "ctrl+zz"\n'))
    assert keymap == {"a.one": "ctrl+f"}
    assert len(errors) == 1 and errors[0].line == 2


def test_unknown_binding_ids_reported_when_known_ids_given(tmp_path: Path) -> None:
    assert {"test.hit", "test.other", "test.app-hit"} <= binding_ids()
    keymap, errors = load_keymap(
        write(tmp_path, 'test.hit: "y"\ntest.nope: "z"\n'), known_ids=binding_ids()
    )
    assert keymap == {"test.hit": "y"}
    assert [(e.line, "no binding has the id 'test.nope'" in e.message) for e in errors] == [
        (2, True)
    ]


def test_missing_file_is_reported(tmp_path: Path) -> None:
    keymap, errors = load_keymap(tmp_path / "absent.yaml")
    assert keymap == {} and len(errors) == 1 and "cannot read keymap file" in errors[0].message


@pytest.mark.parametrize(
    ("key", "valid"),
    [("ctrl+f", True), ("G", True), ("question_mark", True), ("?", True), ("f12", True),
     ("ctrl+shift+end", True), ("pageup", True), ("space", True), ("ctrl+", False),
     ("ctl+f", False), ("nope", False), ("", False), (" ", False)],
)
def test_key_names(key: str, valid: bool) -> None:
    assert is_valid_key(key) is valid


def test_user_keymap_path_follows_xdg(tmp_path: Path) -> None:
    assert user_keymap_path({"XDG_CONFIG_HOME": str(tmp_path)}) == (
        tmp_path / "kxconsole" / "keymap.yaml"
    )
    assert user_keymap_path({}) == Path.home() / ".config" / "kxconsole" / "keymap.yaml"
