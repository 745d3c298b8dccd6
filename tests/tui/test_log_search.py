"""LogPanel search, filter, save and its keys under a user keymap (Pilot, real widgets)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from kxconsole.errors import ValidationError
from kxconsole.tui.keymap import apply_keymap
from kxconsole.tui.widgets.log_bar import LogBar
from kxconsole.tui.widgets.log_panel import FLUSH_INTERVAL, LogPanel
from tests.tui.log_app import LogApp, styles_of, visible_rows

NEEDLES = (40, 120, 250)  # the lines that contain "needle"


def haystack(count: int = 300) -> bytes:
    return "".join(
        f"line {i} {'a needle here' if i in NEEDLES else 'hay'}\n" for i in range(count)
    ).encode()


def current_text(panel: LogPanel) -> str | None:
    seq = panel._view.current_seq
    index = None if seq is None else panel._buffer.index_of(seq)
    return None if index is None else panel._buffer.view[index][3]


async def test_search_highlights_and_n_N_move_between_matches() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        panel, view = app.panel, app.view
        panel.write_chunk(None, "stdout", haystack())
        panel.flush()
        await pilot.press("g")  # search runs down from the top of the screen
        await pilot.press("slash", *"needle", "enter")
        assert current_text(panel) == "line 40 a needle here"
        assert not panel.follow
        assert "line 40 a needle here" in visible_rows(view)
        assert isinstance(app.focused, type(view))  # the bar closed, focus went back

        row = visible_rows(view).index("line 40 a needle here")
        strip = view.render_line(row)
        match_style = view.get_component_rich_style("log-view--match")
        (needle_style,) = styles_of(strip, "needle")
        assert needle_style.bgcolor == match_style.bgcolor
        assert all(s.bgcolor != match_style.bgcolor for s in styles_of(strip, "line 40"))

        await pilot.press("n")
        assert current_text(panel) == "line 120 a needle here"
        assert "line 120 a needle here" in visible_rows(view)
        await pilot.press("n")
        assert current_text(panel) == "line 250 a needle here"
        await pilot.press("n")  # wraps to the first
        assert current_text(panel) == "line 40 a needle here"
        assert "wrapped" in str(app.query_one("#log-message").render())
        await pilot.press("N")  # and back again
        assert current_text(panel) == "line 250 a needle here"
        await pilot.press("N")
        assert current_text(panel) == "line 120 a needle here"

        await pilot.press("escape")  # clears the highlight
        assert view.search is None and view.current_seq is None


async def test_search_is_smart_case_and_reports_no_match() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)):
        panel = app.panel
        panel.write_chunk(None, "stdout", haystack())
        assert panel.search("NEEDLE") is False
        assert "no match" in str(app.query_one("#log-message").render())
        assert panel.search("Line 1\\d0 a NEEDLE".lower()) is True
        assert current_text(panel) == "line 120 a needle here"


async def test_bad_regex_shows_a_message_in_the_bar_without_crashing() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        panel = app.panel
        panel.write_chunk(None, "stdout", haystack(20))
        panel.flush()
        for key in ("slash", "ampersand"):
            await pilot.press(key, *"(unclosed", "enter")
            bar = app.query_one(LogBar)
            assert bar.is_open
            message = str(app.query_one("#log-bar-message").render())
            assert message.startswith("bad regex: missing ), unterminated subpattern"), message
            assert isinstance(app.focused, Input)
            await pilot.press("escape")
            assert not bar.is_open
        assert panel.lines_shown == 20 and app.view.search is None
        with pytest.raises(ValidationError, match="bad regex"):
            panel.set_filter("[oops")
        with pytest.raises(ValidationError, match="bad regex"):
            panel.search("*")


async def test_filter_live_inverse_and_clear_restores_lines() -> None:
    app = LogApp(merged=True, max_lines=1000)
    async with app.run_test(size=(80, 20)) as pilot:
        panel, view = app.panel, app.view
        for i in range(30):
            panel.write_chunk("web1" if i % 3 else "db1", "stdout", f"request {i}\n".encode())
        panel.flush()

        await pilot.press("ampersand", *"db1", "enter")  # matches the [host] prefix
        assert panel.lines_shown == 10 and panel.lines_total == 30
        assert all(row.startswith("[db1]") for row in visible_rows(view) if row)
        assert "10 of 30 lines" in str(app.query_one("#log-info").render())

        panel.write_chunk("db1", "stdout", b"request new-db\n")
        panel.write_chunk("web1", "stdout", b"request new-web\n")
        await pilot.pause(FLUSH_INTERVAL * 3)
        assert panel.lines_shown == 11 and "[db1]  request new-db" in visible_rows(view)

        await pilot.press("exclamation_mark")  # inverse: hide db1
        assert panel.lines_shown == 21
        assert not any(row.startswith("[db1]") for row in visible_rows(view))
        assert "filter !/db1/" in str(app.query_one("#log-info").render())

        await pilot.press("ampersand", "ctrl+u", *"!request [0-9]$", "enter")  # typed inverse
        assert panel.lines_shown == 32 - 10
        await pilot.press("ampersand", "ctrl+u", "enter")  # empty: clear the filter
        assert panel.lines_shown == panel.lines_total == 32
        assert "[web1] request new-web" in visible_rows(view)


async def test_invert_without_filter_says_so() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.press("exclamation_mark")
        assert "no filter" in str(app.query_one("#log-message").render())


async def test_save_key_writes_the_unfiltered_buffer_with_prefixes(tmp_path: Path) -> None:
    app = LogApp(merged=True)
    async with app.run_test(size=(80, 20)) as pilot:
        panel = app.panel
        panel.save_directory = tmp_path
        panel.write_chunk("web-1", "stdout", b"hello\n")
        panel.write_chunk("db", "stderr", b"oops\n")
        panel.write_chunk("web-1", "stdout", b"bye\n")
        panel.set_filter("bye")
        await pilot.press("ctrl+s")
        await pilot.pause()
        (path,) = tmp_path.glob("kxconsole-log-*.txt")
        assert path.read_text() == "[web-1] hello\n[db]    oops\n[web-1] bye\n"
        assert [(m.path, m.lines) for m in app.saved] == [(path.resolve(), 3)]
        assert any("3 lines saved to" in n.message for n in app._notifications)

        returned = panel.save(tmp_path / "explicit.log")
        assert returned == (tmp_path / "explicit.log").resolve()
        assert returned.read_text() == path.read_text()


async def test_save_failure_is_a_toast_not_a_crash(tmp_path: Path) -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        app.panel.save_directory = tmp_path / "missing"
        app.panel.write_chunk(None, "stdout", b"x\n")
        await pilot.press("ctrl+s")
        await pilot.pause()
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "Could not save the log" in errors[0].message


async def test_user_keymap_rebinds_and_unbinds_panel_keys() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        apply_keymap(app, {"log.search": "ctrl+f", "log.top": "", "log.down": "J"})
        panel, view = app.panel, app.view
        panel.write_chunk(None, "stdout", haystack())
        panel.flush()
        await pilot.pause()
        at_end = view.scroll_y
        await pilot.press("g")  # unbound: nothing happens
        assert view.scroll_y == at_end and panel.follow
        await pilot.press("slash")  # the old search key: no bar
        assert not app.query_one(LogBar).is_open
        await pilot.press("ctrl+f")
        assert app.query_one(LogBar).is_open
        await pilot.press("escape", "k", "k", "J")
        assert view.scroll_y == at_end - 1
        await pilot.press("j")  # j was part of log.down, now rebound to J only
        assert view.scroll_y == at_end - 1


async def test_every_panel_binding_has_an_id_and_a_description() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)):
        for node in (app.panel, app.view, app.query_one(LogBar)):
            for bindings in node._bindings.key_to_bindings.values():
                for binding in bindings:
                    assert binding.id and binding.id.startswith("log."), binding
                    assert binding.description, binding


async def test_copy_key_puts_the_screen_on_the_clipboard() -> None:
    app = LogApp(merged=True)
    async with app.run_test(size=(80, 8)) as pilot:
        for i in range(20):
            app.panel.write_chunk("a" if i % 2 else "bb", "stdout", f"n{i}\n".encode())
        app.panel.flush()
        await pilot.pause()
        await pilot.press("y")
        rows = app.view.scrollable_content_region.height
        expected = [f"{'[a]  ' if i % 2 else '[bb] '}n{i}" for i in range(20 - rows, 20)]
        assert app.clipboard.splitlines() == expected
        assert any("copied" in n.message for n in app._notifications)
