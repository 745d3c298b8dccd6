"""Snapshots of a merged LogPanel, FOLLOW and PAUSED, with stderr lines and a search highlight.

Deterministic: fixed sizes, fixed data (no clocks), every queued line flushed before the
screenshot so the flush timer has nothing left to change."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from tests.tui.log_app import LogApp

SIZES = [(100, 30), (160, 45)]
HOSTS = ("web-01", "web-02", "db-primary")


def fill(app: LogApp, start: int, stop: int) -> None:
    """Deterministic output of three hosts: every 7th line on stderr, some with 'timeout'."""
    for i in range(start, stop):
        host = HOSTS[i % 3]
        if i % 7 == 3:
            app.panel.write_chunk(host, "stderr", f"E{i:04d} upstream timeout after 30s\n".encode())
        else:
            note = "retry after timeout" if i % 11 == 5 else "ok"
            line = f"GET /api/v1/items/{i} 200 {i % 97 + 3}ms {note}\n"
            app.panel.write_chunk(host, "stdout", line.encode())


async def following(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, LogApp)
    await pilot.pause()  # laid out first, so the panel knows its height
    fill(app, 0, 400)
    app.panel.search("timeout")
    await pilot.press("end")  # back to following; matches stay highlighted
    app.panel.flush()
    await pilot.pause()


async def paused(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, LogApp)
    await pilot.pause()  # laid out first, so the panel knows its height
    fill(app, 0, 400)
    app.panel.flush()
    await pilot.press("g")
    app.panel.search("timeout")  # goes to the first match: paused there
    await pilot.press("n", "n")
    fill(app, 400, 460)  # arrives while paused: the view holds still
    app.panel.flush()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("steps", [following, paused], ids=["follow", "paused"])
def test_log_panel_snapshot(
    snap_compare: Callable[..., bool],
    size: tuple[int, int],
    steps: Callable[[Pilot[None]], object],
) -> None:
    assert snap_compare(LogApp(merged=True), terminal_size=size, run_before=steps)
