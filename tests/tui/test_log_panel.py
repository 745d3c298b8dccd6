"""LogPanel behaviour with real widgets in a Pilot-driven app: follow/pause, batching, lines
split across chunks, stderr style, merged prefixes, the max_lines bound, clear."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from textual import events

from kxconsole.connector import LocalConnector
from kxconsole.tui.widgets.log_panel import FLUSH_INTERVAL, LogPanel
from tests.tui.log_app import LogApp, row_text, styles_of, visible_rows


def numbered(start: int, stop: int, prefix: str = "line") -> bytes:
    return "".join(f"{prefix} {i}\n" for i in range(start, stop)).encode()


async def test_follow_pauses_on_scroll_up_and_resumes_on_end() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        panel, view = app.panel, app.view
        panel.write_chunk(None, "stdout", numbered(0, 200))
        await pilot.pause(FLUSH_INTERVAL * 3)
        assert panel.lines_total == 200
        assert panel.follow and view.scroll_y == view.max_scroll_y > 0
        assert visible_rows(view)[-1] == "line 199"
        assert str(app.query_one("#log-badge").render()) == "FOLLOW"

        await pilot.press("k", "k", "k")
        assert not panel.follow
        assert str(app.query_one("#log-badge").render()) == "PAUSED"
        paused_at, rows = view.scroll_y, visible_rows(view)

        panel.write_chunk(None, "stdout", numbered(200, 300))
        await pilot.pause(FLUSH_INTERVAL * 3)
        assert panel.lines_total == 300
        assert view.scroll_y == paused_at and visible_rows(view) == rows  # the view held still
        assert "+100 new" in str(app.query_one("#log-info").render())

        await pilot.press("end")
        assert panel.follow and view.scroll_y == view.max_scroll_y
        assert visible_rows(view)[-1] == "line 299"
        assert str(app.query_one("#log-badge").render()) == "FOLLOW"

        panel.write_chunk(None, "stdout", numbered(300, 310))
        await pilot.pause(FLUSH_INTERVAL * 3)
        assert visible_rows(view)[-1] == "line 309"  # following again


async def test_vim_motions_and_scrolling_back_down_resumes_follow() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        panel, view = app.panel, app.view
        panel.write_chunk(None, "stdout", numbered(0, 500))
        panel.flush()
        await pilot.pause()
        await pilot.press("g")
        assert view.scroll_y == 0 and not panel.follow
        assert visible_rows(view)[0] == "line 0"
        await pilot.press("j", "j")
        assert view.scroll_y == 2
        await pilot.press("ctrl+d")
        half = view.scrollable_content_region.height // 2
        assert view.scroll_y == 2 + half
        await pilot.press("ctrl+u", "k")
        assert view.scroll_y == 1
        await pilot.press("G")
        assert panel.follow and view.scroll_y == view.max_scroll_y
        await pilot.press("k")
        assert not panel.follow
        await pilot.press("j")  # back at the bottom: following again
        assert panel.follow


async def test_writes_are_batched_into_few_flushes() -> None:
    app = LogApp(max_lines=20_000)
    async with app.run_test(size=(80, 20)) as pilot:
        panel = app.panel
        flushes = []
        original = panel.app.view.lines_committed

        def counting(*args: object, **kwargs: object) -> None:
            flushes.append(1)
            original(*args, **kwargs)  # type: ignore[arg-type]

        panel.app.view.lines_committed = counting  # type: ignore[method-assign]
        start = time.monotonic()
        for batch in range(100):  # 10,000 calls, spread over >= 0.5 s
            for i in range(100):
                panel.write_chunk("h", "stdout", f"line {batch * 100 + i}\n".encode())
            await asyncio.sleep(0.005)
        await pilot.pause(FLUSH_INTERVAL * 3)
        elapsed = time.monotonic() - start
        assert panel.lines_total == 10_000
        assert panel.flush_count == len(flushes)
        # one flush per timer tick at most, not one per line or per write
        assert 1 <= panel.flush_count <= elapsed / FLUSH_INTERVAL + 3, (panel.flush_count, elapsed)
        assert panel.flush_count < 100


async def test_partial_lines_are_joined_per_host_and_stream() -> None:
    app = LogApp(merged=True)
    async with app.run_test(size=(80, 20)):
        panel = app.panel
        panel.write_chunk("a", "stdout", b"hel")
        panel.write_chunk("a", "stderr", b"err")
        panel.write_chunk("b", "stdout", b"other\n")
        panel.write_chunk("a", "stdout", b"lo\nwor")
        panel.write_chunk("a", "stderr", b"or\r\n")
        panel.write_chunk("a", "stdout", "ld caf\xc3".encode("latin-1"))  # é split in two
        panel.write_chunk("a", "stdout", b"\xa9\n")
        panel.write_chunk("b", "stdout", b"no newline at end")
        panel.flush()
        got = [(ln[1], ln[2], ln[3]) for ln in panel._buffer.lines]
        assert got == [
            ("b", "stdout", "other"),
            ("a", "stdout", "hello"),
            ("a", "stderr", "error"),
            ("a", "stdout", "world café"),
        ]
        panel.end_stream("b")
        panel.flush()
        assert panel._buffer.lines[-1][3] == "no newline at end"
        assert panel.lines_received == 5


async def test_control_characters_and_ansi_are_neutralised() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 10)):
        app.panel.write_chunk(None, "stdout", b"\x1b[31mred\x1b[0m\ta\x07b\n")
        app.panel.flush()
        assert app.panel._buffer.lines[0][3] == "red     a\N{REPLACEMENT CHARACTER}b"


async def test_stderr_lines_carry_the_stderr_style_and_merged_prefix() -> None:
    app = LogApp(merged=True)
    async with app.run_test(size=(80, 10)) as pilot:
        panel, view = app.panel, app.view
        panel.write_chunk("web-01", "stdout", b"all good\n")
        panel.write_chunk("db", "stderr", b"disk full\n")
        panel.flush()
        await pilot.pause()
        assert visible_rows(view)[:2] == ["[web-01] all good", "[db]     disk full"]
        error_color = view.get_component_rich_style("log-view--stderr").color
        assert error_color is not None
        out, err = view.render_line(0), view.render_line(1)
        assert [s.color for s in styles_of(err, "disk full")] == [error_color]
        assert all(s.color != error_color for s in styles_of(out, "all good"))
        # each host's prefix has its own colour, in order of appearance
        first = view.get_component_rich_style("log-view--host").color
        second = view.get_component_rich_style("log-view--host-1").color
        assert first != second
        assert [s.color for s in styles_of(out, "[web-01]")] == [first]
        assert [s.color for s in styles_of(err, "[db]")] == [second]


async def test_unmerged_panel_has_no_prefix() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 10)):
        app.panel.write_chunk("web-01", "stdout", b"plain\n")
        app.panel.flush()
        assert visible_rows(app.view)[0] == "plain"


async def test_max_lines_bounds_buffer_and_display() -> None:
    app = LogApp(max_lines=100, merged=True)
    async with app.run_test(size=(80, 20)) as pilot:
        panel, view = app.panel, app.view
        for i in range(0, 1000, 10):
            panel.write_chunk(f"h{i % 3}", "stdout", numbered(i, i + 10))
            if i % 200 == 0:
                panel.flush()
        await pilot.pause(FLUSH_INTERVAL * 3)
        assert panel.lines_received == 1000
        assert panel.lines_total == panel.lines_shown == 100
        assert view.virtual_size.height == 100
        assert panel._buffer.lines[0][3] == "line 900"
        await pilot.press("g")
        assert visible_rows(view)[0].endswith("line 900")
        panel.set_filter("line 9[5-9]")
        panel.write_chunk("h0", "stdout", numbered(1000, 1100))
        panel.flush()
        assert panel.lines_total == 100
        assert panel.lines_shown == 0  # the new lines don't match, the old matches fell out


async def test_pending_queue_is_bounded_when_the_timer_is_late() -> None:
    app = LogApp(max_lines=50)
    async with app.run_test(size=(80, 10)):
        for i in range(1000):  # no await: the timer cannot run
            app.panel.write_chunk(None, "stdout", f"{i}\n".encode())
        assert len(app.panel._buffer.pending) <= 100
        app.panel.flush()
        assert [ln[3] for ln in app.panel._buffer.lines] == [str(i) for i in range(950, 1000)]


async def test_clear_forgets_everything() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 10)) as pilot:
        app.panel.write_chunk(None, "stdout", numbered(0, 50) + b"partial")
        app.panel.flush()
        await pilot.press("k")
        app.panel.clear()
        app.panel.end_stream(None)
        app.panel.flush()
        assert app.panel.lines_total == 0 and app.panel.follow
        assert visible_rows(app.view)[0] == ""


async def test_consume_shows_a_real_local_command_and_returns_its_exit_code() -> None:
    app = LogApp(merged=True)
    async with app.run_test(size=(80, 10)) as pilot:
        async with LocalConnector() as local:
            script = "printf 'one\\ntwo\\n'; printf 'oops\\n' >&2; printf tail; exit 3"
            stream = local.stream(script)
            code = await app.panel.consume("local", stream)
        assert code == 3
        app.panel.flush()
        await pilot.pause()
        lines = {(ln[2], ln[3]) for ln in app.panel._buffer.lines}
        assert lines == {("stdout", "one"), ("stdout", "two"), ("stdout", "tail"),
                         ("stderr", "oops")}
        rows = visible_rows(app.view)
        assert "[local] tail" in rows and "[local] oops" in rows
        err_row = app.view.render_line(rows.index("[local] oops"))
        error_color = app.view.get_component_rich_style("log-view--stderr").color
        assert [s.color for s in styles_of(err_row, "oops")] == [error_color]
        assert row_text(err_row).startswith("[local]")


async def test_mouse_wheel_up_pauses_and_wheel_back_down_resumes() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        panel, view = app.panel, app.view
        panel.write_chunk(None, "stdout", numbered(0, 200))
        panel.flush()
        await pilot.pause()
        view.post_message(events.MouseScrollUp(view, 5, 5, 0, -1, 0, False, False, False))
        await pilot.pause()
        assert not panel.follow and view.scroll_y < view.max_scroll_y
        for _ in range(20):  # bounded: a few wheel steps reach the bottom again
            if panel.follow:
                break
            view.post_message(events.MouseScrollDown(view, 5, 5, 0, 1, 0, False, False, False))
            await pilot.pause()
        assert panel.follow and view.scroll_y == view.max_scroll_y


async def test_following_keeps_the_last_line_visible_when_the_bar_opens() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 20)) as pilot:
        app.panel.write_chunk(None, "stdout", numbered(0, 100))
        app.panel.flush()
        await pilot.pause()
        assert visible_rows(app.view)[-1] == "line 99"
        await pilot.press("slash")
        await pilot.pause()
        assert app.panel.follow and visible_rows(app.view)[-1] == "line 99"
        await pilot.press("escape")
        await pilot.pause()
        assert app.panel.follow and visible_rows(app.view)[-1] == "line 99"


async def test_panel_can_be_written_before_it_is_mounted(tmp_path: Path) -> None:
    panel = LogPanel(merged=True)
    panel.write_chunk("a", "stdout", b"x\ny\n")
    assert panel.flush() == 2
    panel.set_filter("x")
    assert panel.lines_shown == 1 and panel.search("x")
    assert panel.save(tmp_path / "early.log").read_text() == "[a] x\n[a] y\n"
    app = LogApp(merged=True)
    async with app.run_test(size=(80, 10)) as pilot:
        await app.mount(panel)
        await pilot.pause()
        assert panel.lines_total == 2
