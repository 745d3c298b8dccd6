"""Console benchmark: launch time to the first painted fleet view with 2,000 hosts, then the
streaming figures of ``bench/console_stream.py``.

Launch: the real app runs headless (``run_test``) on an inventory of 2,000 demo hosts (fake
connectors answering the real facts script output). Measured from creating the app to the
fleet table holding every row and a frame having been painted (target < 1 s), and on to every
host's facts being on screen. A 20-host inventory is measured the same way in the same run, as
the fixed cost of starting Textual. Each size runs in its own process; best and median of
``--repeat``.

Live facts: once every host is up, ``BATCHES`` batches of new facts for every host (a new
"last seen" and kernel: two cells of each row change) go through the app's own batcher, one
per flush interval, while a key is pressed every ``KEY_INTERVAL`` (``App.simulate_key``, the
queue terminal input goes to). The facts are built in the same event loop, as the real
gatherer's are. Prints the time to apply one batch (model and cells; the worst and the median
batch of a run) and the worst and median delay from a key press to its handler, each as the
median and the worst over the runs.
Usage: ``python3 bench/console.py [--hosts 2000] [--repeat 3] [--no-stream]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as `python3 bench/console.py`
    sys.path.insert(0, str(ROOT))

BOUND = 120.0  # seconds: no wait in this bench is unbounded
BATCHES = 6  # batches of facts for every host, one per flush interval
KEY_INTERVAL = 0.02  # seconds between key presses while the batches are applied


async def launch_once(hosts: int) -> dict[str, float]:
    from textual.binding import Binding, BindingType

    from kxconsole.actions.demo import demo_connector_factory
    from kxconsole.config import Config
    from kxconsole.inventory.model import Group, Host, Inventory
    from kxconsole.tui.app import KxConsoleApp
    from kxconsole.tui.messages import FleetEvents
    from kxconsole.tui.widgets.fleet_table import FleetTable

    inventory = Inventory()
    groups = {f"dc{g}": [f"dc{g}-node{n:04d}" for n in range(hosts // 4)] for g in range(4)}
    for group, names in groups.items():
        inventory.groups[group] = Group(group, hosts=names)
        for name in names:
            inventory.hosts[name] = Host(name, connector="fake", groups=[group])

    painted: list[float] = []

    class TimedTable(FleetTable):
        def render_line(self, y: int) -> Any:
            if not painted and self.row_count == len(inventory.hosts):
                painted.append(time.perf_counter())
            return super().render_line(y)

    batch_s: list[float] = []

    class ProbeApp(KxConsoleApp):
        """The app, plus a key whose handler records when it ran and a timed batch handler."""

        CSS_PATH = str(ROOT / "kxconsole" / "tui" / "app.tcss")  # relative to the subclass
        BINDINGS: ClassVar[list[BindingType]] = [
            *KxConsoleApp.BINDINGS, Binding("f5", "probe", "probe", show=False)]
        handled_at: ClassVar[list[float]] = []  # one app per process

        def action_probe(self) -> None:
            self.handled_at.append(time.perf_counter())

        def on_fleet_events(self, message: FleetEvents) -> None:
            t0 = time.perf_counter()
            super().on_fleet_events(message)
            batch_s.append(time.perf_counter() - t0)

    start = time.perf_counter()
    app = ProbeApp(inventory, connector_factory=demo_connector_factory(),
                   config=Config(fanout=50), theme_dirs=[ROOT / "themes"])
    app.freeze_gc_after_start = True  # as run_console runs it
    # the screen builds its table by class; swap in the timed one without changing the app
    import kxconsole.tui.screens.fleet as fleet_screen

    fleet_screen.FleetTable = TimedTable  # type: ignore[misc]
    async with app.run_test(size=(160, 45)) as pilot:
        deadline = time.perf_counter() + BOUND
        while not painted and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        first_paint = painted[0] if painted else float("nan")
        while time.perf_counter() < deadline and any(
            r.facts is None for r in app.fleet.rows.values()
        ):
            await asyncio.sleep(0.01)
        await app.workers.wait_for_complete()
        app.flush_now()
        await pilot.pause()
        all_facts = time.perf_counter()
        up = sum(1 for r in app.fleet.rows.values() if str(r.state) == "up")
        live = await live_facts(app, batch_s)
    return {"hosts": hosts, "first_paint_s": first_paint - start,
            "all_facts_s": all_facts - start, "up": up, **live}


async def live_facts(app: Any, batch_s: list[float]) -> dict[str, float]:
    """Batches of new facts for every host through the app's batcher, keys pressed meanwhile."""
    from dataclasses import replace

    from kxconsole.actions.events import FactsGathered

    batch_s.clear()
    app.handled_at.clear()
    rows = list(app.fleet.rows.values())
    pressed_at: list[float] = []
    next_press = time.perf_counter()
    next_batch = next_press
    interval = app.batcher.interval
    sent = 0
    deadline = next_press + BOUND
    while (len(batch_s) < BATCHES or len(app.handled_at) < len(pressed_at)) and \
            time.perf_counter() < deadline:
        now = time.perf_counter()
        # the next batch once the last one is applied (the batcher would merge two into one)
        if sent < BATCHES and now >= next_batch and len(batch_s) == sent:
            at = time.time()
            for row in rows:  # what a gather round delivers: new facts, a new time
                facts = replace(row.facts, kernel=f"6.1.0-{sent}-amd64")
                app.batcher(FactsGathered(row.name, facts, at))
            sent += 1
            next_batch = now + interval
        if len(batch_s) < BATCHES:
            pressed_at.append(now)
            app.simulate_key("f5")
        next_press += KEY_INTERVAL
        await asyncio.sleep(max(0.0, next_press - time.perf_counter()))
    delays = [done - pressed for pressed, done in zip(pressed_at, app.handled_at, strict=False)]
    return {"batch_worst_s": max(batch_s), "batch_median_s": statistics.median(batch_s),
            "key_worst_ms": max(delays) * 1000, "key_median_ms": statistics.median(delays) * 1000,
            "keys": len(delays)}


def run_launch(hosts: int, repeat: int) -> dict[str, Any]:
    """The best run (by first paint), plus the median of every figure over the runs."""
    runs: list[dict[str, Any]] = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, __file__, "--one", str(hosts)],
                              capture_output=True, text=True, timeout=BOUND * 2, cwd=ROOT)
        if proc.returncode != 0:
            raise RuntimeError(f"launch bench ({hosts} hosts) failed:\n{proc.stderr}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    best = dict(min(runs, key=lambda r: r["first_paint_s"]))
    best["median"] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    best["worst"] = {key: max(r[key] for r in runs) for key in runs[0]}
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-stream", action="store_true", help="skip the streaming part")
    parser.add_argument("--one", type=int, metavar="HOSTS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(asyncio.run(launch_once(args.one))))
        return
    small = run_launch(20, args.repeat)
    large = run_launch(args.hosts, args.repeat)
    print(f"console launch bench (best of {args.repeat}, load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")
    print(f"{'hosts':>8}  {'first paint s':>14}  {'all facts s':>12}  {'hosts up':>9}")
    for r in (small, large):
        print(f"{r['hosts']:>8}  {r['first_paint_s']:>14.3f}  {r['all_facts_s']:>12.3f}  "
              f"{r['up']:>9}")
    ratio = large["first_paint_s"] / small["first_paint_s"]
    verdict = "OK" if large["first_paint_s"] < 1.0 else "ABOVE"
    print(f"first paint {args.hosts} vs 20 hosts: {ratio:.2f}x; "
          f"{large['first_paint_s']:.3f} s is {verdict} the 1 s target")
    med = large["median"]
    print(f"first paint {args.hosts} hosts: median {med['first_paint_s']:.3f} s, worst "
          f"{large['worst']['first_paint_s']:.3f} s of {args.repeat} runs")
    print()
    print(f"live facts, {args.hosts} hosts: {BATCHES} batches of new facts for every host "
          f"(2 cells a row), a key every {KEY_INTERVAL * 1000:.0f} ms; over {args.repeat} runs")
    print(f"{'':>8}  {'batch worst ms':>14}  {'batch median ms':>15}  {'key worst ms':>12}  "
          f"{'key median ms':>13}  {'keys':>5}")
    for name, r in (("median", med), ("worst", large["worst"])):
        print(f"{name:>8}  {r['batch_worst_s'] * 1000:>14.1f}  {r['batch_median_s'] * 1000:>15.1f}"
              f"  {r['key_worst_ms']:>12.1f}  {r['key_median_ms']:>13.1f}  {r['keys']:>5.0f}")
    if not args.no_stream:
        import console_stream  # bench/ is on sys.path when run as a script

        print()
        console_stream.print_report(console_stream.run_stream_bench())


if __name__ == "__main__":
    main()
