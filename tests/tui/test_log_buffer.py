"""LogBuffer (the panel's data, no widgets): splitting, bounds, filter view, positions; and the
panel restyling its lines when the theme changes."""

from __future__ import annotations

import re

import pytest

from kxconsole.tui.widgets.log_buffer import MAX_PARTIAL, TEXT, LogBuffer, clean_text
from tests.tui.log_app import LogApp, styles_of


def texts(lines: list[tuple[int, str | None, str, str]]) -> list[str]:
    return [line[TEXT] for line in lines]


def test_commit_reports_what_changed_and_trims_to_max_lines() -> None:
    buffer = LogBuffer(5)
    buffer.feed("a", "stdout", b"1\n2\n3\n")
    first = buffer.commit()
    assert (first.added, first.shown_added, first.shown_removed) == (3, 3, 0)
    buffer.feed("a", "stdout", b"4\n5\n6\n7\n")
    second = buffer.commit()
    assert (second.added, second.shown_added, second.shown_removed) == (4, 4, 2)
    assert texts(buffer.lines) == ["3", "4", "5", "6", "7"]
    assert buffer.commit().added == 0
    assert buffer.received == 7 and buffer.dropped == 2


def test_filter_view_is_trimmed_with_the_buffer() -> None:
    buffer = LogBuffer(4)
    buffer.feed(None, "stdout", b"keep 1\nskip\nkeep 2\n")
    buffer.commit()
    buffer.set_filter(re.compile("keep"))
    assert texts(buffer.view) == ["keep 1", "keep 2"]
    buffer.feed(None, "stdout", b"skip\nkeep 3\n")
    commit = buffer.commit()  # "keep 1" falls out of the buffer, so out of the view too
    assert texts(buffer.lines) == ["skip", "keep 2", "skip", "keep 3"]
    assert texts(buffer.view) == ["keep 2", "keep 3"]
    assert (commit.shown_added, commit.shown_removed) == (1, 1)
    buffer.set_filter(re.compile("keep"), inverse=True)
    assert texts(buffer.view) == ["skip", "skip"]
    buffer.set_filter(None)
    assert buffer.view is buffer.lines


def test_positions_by_sequence_number() -> None:
    buffer = LogBuffer(100)
    buffer.feed(None, "stdout", b"".join(b"line %d\n" % i for i in range(10)))
    buffer.commit()
    buffer.set_filter(re.compile("[02468]$"))
    seqs = [line[0] for line in buffer.view]
    assert buffer.index_of(seqs[2]) == 2
    assert buffer.index_of(seqs[2] + 1) is None  # an odd line: hidden
    assert buffer.nearest_index(seqs[2] + 1) == 3
    assert buffer.nearest_index(10_000) == len(buffer.view) - 1


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain", "plain"),
        ("crlf\r", "crlf"),
        ("\x1b[1;31mbold red\x1b[0m", "bold red"),
        ("a\tb", "a       b"),
        ("bell\x07", "bell\N{REPLACEMENT CHARACTER}"),
        ("café ☕", "café ☕"),
        ("10%\r20%\r30% done", "30% done"),
        ("c1 \x9b31m", "c1 \N{REPLACEMENT CHARACTER}31m"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_a_line_without_newline_is_bounded() -> None:
    buffer = LogBuffer(10)
    for _ in range(100):  # 100 x 1 KiB, never a newline
        buffer.feed("h", "stdout", b"x" * 1024)
    buffer.commit()
    assert [len(t) for t in texts(buffer.lines)] == [65 * 1024]
    assert max(len(p) for p in buffer._partial.values()) < MAX_PARTIAL


def test_bad_max_lines_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_lines"):
        LogBuffer(0)


async def test_theme_switch_restyles_existing_lines() -> None:
    app = LogApp(merged=True)
    async with app.run_test(size=(80, 10)) as pilot:
        app.panel.write_chunk("db", "stderr", b"disk full\n")
        app.panel.flush()
        await pilot.pause()
        colors = {}
        for theme in ("kx-dark", "kx-light", "kx-high-contrast"):
            app.theme = theme
            await pilot.pause()
            (style,) = styles_of(app.view.render_line(0), "disk full")
            expected = app.view.get_component_rich_style("log-view--stderr").color
            assert style.color == expected, theme
            colors[theme] = style.color
        assert len(set(colors.values())) == 3
