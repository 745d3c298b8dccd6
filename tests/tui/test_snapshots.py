"""SVG snapshots of every console view, at two terminal sizes.

Deterministic: demo fake connectors (fixed data), a fixed clock, the time zone pinned to UTC
(conftest), every worker awaited and its events flushed before the picture. Update baselines
with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and commit ``__snapshots__/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from kxconsole.errors import AuthError, ConnectError, HostKeyError
from kxconsole.tui.app import KxConsoleApp
from tests.tui.console_fixtures import make_app, settle

SIZES = [pytest.param((100, 30), id="100x30"), pytest.param((160, 45), id="160x45")]

FAILURES = {
    "web-02": ConnectError("web-02 (10.0.0.12:22): connection refused; is sshd running?"),
    "web-03": ConnectError("web-03 (10.0.0.13:22): no route to host"),
    "cache-01": AuthError("cache-01: the server refused our key for user ops"),
    "prod-db-02": HostKeyError("prod-db-02: host key unknown (SHA256:kT3b…); accept it first"),
}


def _steps(app: KxConsoleApp, *keys: str) -> Callable[[Pilot[object]], Awaitable[None]]:
    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot, app)
        for key in keys:
            await pilot.press(key)
            await settle(pilot, app)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_fleet_with_facts(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    assert snap_compare(app, terminal_size=size, run_before=_steps(app))


@pytest.mark.parametrize("size", SIZES)
def test_fleet_with_errors(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = make_app(failures=FAILURES)
    assert snap_compare(app, terminal_size=size, run_before=_steps(app))


@pytest.mark.parametrize("size", SIZES)
def test_fleet_filtered_with_selection(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    keys = ("space", "space", "slash", "w", "e", "b", "enter", "j", "space")
    assert snap_compare(app, terminal_size=size, run_before=_steps(app, *keys))


@pytest.mark.parametrize("size", SIZES)
def test_host_facts(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    assert snap_compare(app, terminal_size=size, run_before=_steps(app, "G", "enter"))


@pytest.mark.parametrize("size", SIZES)
def test_host_services(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    assert snap_compare(app, terminal_size=size, run_before=_steps(app, "G", "enter", "2"))


@pytest.mark.parametrize("size", SIZES)
def test_host_packages(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    assert snap_compare(app, terminal_size=size, run_before=_steps(app, "G", "enter", "3"))


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    assert snap_compare(app, terminal_size=size, run_before=_steps(app, "question_mark"))


def test_readme_screenshot_is_a_current_snapshot() -> None:
    """docs/console.svg is the 160x45 fleet-with-errors baseline (copy it after updating)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    baseline = Path(__file__).parent / "__snapshots__" / "test_snapshots"
    source = baseline / "test_fleet_with_errors[160x45].svg"
    assert (root / "docs" / "console.svg").read_bytes() == source.read_bytes(), (
        f"docs/console.svg is stale: cp '{source}' docs/console.svg")
