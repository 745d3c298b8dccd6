"""Console streaming benchmark: a merged LogPanel fed by 50 hosts at 50,000 lines/s in total.

Runs the real app headless (``run_test``). 50 FakeConnector-like streams are consumed by
``LogPanel.consume`` (the same path a real ``Connector.stream()`` takes) while a key is pressed
every ~50 ms; the key's handler records when it ran. Prints the worst and median key delay
(target: worst < 100 ms), the lines/s actually ingested and the peak memory, once with
max_lines=10k and once with 100k (same total output), each in its own process so the peaks
do not mix. Usage: ``python3 bench/console_stream.py [--seconds 5] [--rate 50000] [--keys pilot]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar, Literal

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as `python3 bench/console_stream.py`
    sys.path.insert(0, str(ROOT))

from rich.text import Text  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.binding import Binding, BindingType  # noqa: E402
from textual.widgets import Log, RichLog  # noqa: E402

from kxconsole.connector import OutputChunk  # noqa: E402
from kxconsole.tui.widgets.log_panel import LogPanel  # noqa: E402

PRODUCERS = 50
CHUNK_INTERVAL = 0.05  # seconds between two chunks of one host
KEY_INTERVAL = 0.05


def make_chunk_pool(lines_per_chunk: int, variants: int = 16) -> list[bytes]:
    """A few distinct chunks of ~90-byte access-log lines, reused by every host: making fresh
    text per chunk would cost the bench more CPU than the panel spends on it."""
    pool = []
    for v in range(variants):
        lines = []
        for i in range(lines_per_chunk):
            n = v * lines_per_chunk + i
            lines.append(
                f"{n:08d} GET /api/v1/items/{n % 9973} 200 {n % 97}ms "
                f"upstream=10.0.{n % 251}.{n % 13}:8080 bytes={n * 7 % 65536}\n"
            )
        pool.append("".join(lines).encode())
    return pool


class PacedStream:
    """An ``ExecStream`` like ``FakeConnector.stream()`` returns, but on an absolute schedule
    (chunk k at start + k*interval), so a busy event loop delays chunks without lowering the
    total rate. Every 5th chunk is stderr."""

    def __init__(self, host: str, chunks: int, pool: list[bytes], start: float) -> None:
        self.host = host
        self.chunks = chunks
        self.pool = pool
        self.start = start
        self.exit_code: int | None = None

    async def __aenter__(self) -> PacedStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def __aiter__(self) -> AsyncIterator[OutputChunk]:
        return self._run()

    async def _run(self) -> AsyncIterator[OutputChunk]:
        loop = asyncio.get_running_loop()
        for k in range(self.chunks):
            await asyncio.sleep(max(0.0, self.start + k * CHUNK_INTERVAL - loop.time()))
            stream: Literal["stdout", "stderr"] = "stderr" if k % 5 == 4 else "stdout"
            yield OutputChunk(stream, self.pool[(k + hash(self.host)) % len(self.pool)])
        self.exit_code = 0


class StreamBenchApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "probe", "Latency probe", id="bench.probe")
    ]

    def __init__(self, max_lines: int, gc_freeze: bool) -> None:
        super().__init__()
        self.max_lines = max_lines
        self.gc_freeze = gc_freeze
        self.handled_at: list[float] = []

    def compose(self) -> ComposeResult:
        yield LogPanel(max_lines=self.max_lines, merged=True)

    def on_mount(self) -> None:
        self.query_one(LogPanel).focus()
        if self.gc_freeze:
            # what a long-running console should do once started: move the startup objects
            # (Textual, Rich, our modules) out of the collector's sight, so full collections
            # only walk new objects; without it they pause the UI for 100+ ms at this rate
            gc.freeze()

    def action_probe(self) -> None:
        self.handled_at.append(time.perf_counter())


def _memory_kib() -> tuple[int, int]:
    """(current RSS, peak RSS) of this process, KiB."""
    fields = {}
    for row in Path("/proc/self/status").read_text().splitlines():
        key, _, value = row.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


def _buffer_bytes(panel: LogPanel) -> int:
    lines = panel._buffer.lines
    return sys.getsizeof(lines) + sum(sys.getsizeof(ln) + sys.getsizeof(ln[3]) for ln in lines)


async def run_one(
    max_lines: int,
    rate: int,
    seconds: float,
    keys: Literal["simulate", "pilot"] = "simulate",
    gc_freeze: bool = True,
) -> dict[str, Any]:
    """One run in this process: returns the figures of that run."""
    app = StreamBenchApp(max_lines, gc_freeze)
    gc_pauses: list[float] = []
    gc_started = [0.0]

    def gc_timer(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            if phase == "start":
                gc_started[0] = time.perf_counter()
            else:
                gc_pauses.append(time.perf_counter() - gc_started[0])

    gc.callbacks.append(gc_timer)
    per_host = rate / PRODUCERS * CHUNK_INTERVAL
    lines_per_chunk = max(1, round(per_host))
    chunks = round(seconds / CHUNK_INTERVAL)
    async with app.run_test(size=(160, 45)) as pilot:
        panel = app.query_one(LogPanel)
        await pilot.pause()
        rss_before, _ = _memory_kib()
        cpu0 = time.process_time()
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.05
        pool = make_chunk_pool(lines_per_chunk)
        streams = [PacedStream(f"host-{i:02d}", chunks, pool, start) for i in range(PRODUCERS)]
        t0 = time.perf_counter()
        tasks = [asyncio.create_task(panel.consume(s.host, s)) for s in streams]
        # A key every KEY_INTERVAL on an absolute schedule; the i-th handling is matched to the
        # i-th press (keys are handled in order). "simulate" posts the Key event to the app
        # (App.simulate_key, the queue terminal input goes to). "pilot" uses pilot.press, in a
        # task per press since it returns only once the screen is idle (never, while output
        # streams); its idle-waiting sends a callback to every widget per press, which slows
        # the app itself, so it measures the harness as much as the console.
        pressed_at: list[float] = []
        presses: list[asyncio.Task[None]] = []
        next_press = time.perf_counter()
        while not all(t.done() for t in tasks):
            pressed_at.append(time.perf_counter())
            if keys == "pilot":
                presses.append(asyncio.create_task(pilot.press("f5")))
            else:
                app.simulate_key("f5")
            next_press += KEY_INTERVAL
            await asyncio.sleep(max(0.0, next_press - time.perf_counter()))
        codes = await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        await asyncio.wait_for(asyncio.gather(*presses), timeout=60)
        for _ in range(100):  # bounded wait for the last simulated keys to be handled
            if len(app.handled_at) >= len(pressed_at):
                break
            await asyncio.sleep(0.01)
        delays = [done - pressed for pressed, done in zip(pressed_at, app.handled_at, strict=True)]
        panel.flush()
        await pilot.pause()
        _, rss_peak = _memory_kib()
        return {
            "max_lines": max_lines,
            "target_lines_per_s": rate,
            "seconds": round(elapsed, 2),
            "lines_received": panel.lines_received,
            "lines_per_s": round(panel.lines_received / elapsed),
            "lines_kept": panel.lines_total,
            "flushes": panel.flush_count,
            "cpu_s": round(cpu, 2),
            "exit_codes_ok": all(c == 0 for c in codes),
            "key_method": keys,
            "gc_freeze": gc_freeze,
            "full_gc_count": len(gc_pauses),
            "full_gc_worst_ms": round(max(gc_pauses, default=0.0) * 1000, 1),
            "key_presses": len(delays),
            "load_average": round(os.getloadavg()[0], 1),
            "key_delay_worst_ms": round(max(delays) * 1000, 1) if delays else None,
            "key_delay_median_ms": round(statistics.median(delays) * 1000, 1) if delays else None,
            "rss_before_kib": rss_before,
            "rss_peak_kib": rss_peak,
            "rss_growth_kib": rss_peak - rss_before,
            "buffer_bytes": _buffer_bytes(panel),
        }


class WidgetCostApp(App[None]):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        if self.kind == "Log":
            yield Log(max_lines=10_000)
        elif self.kind == "RichLog":
            yield RichLog(max_lines=10_000)
        else:
            yield LogPanel(max_lines=10_000, merged=True)


async def widget_cost(kind: str, lines: int = 20_000, per_tick: int = 3_334) -> float:
    """CPU seconds ``kind`` needs per 50,000 lines: writes of one tick's worth of lines
    (50k lines/s at 15 Hz), then a frame, as in the console. Log writes plain lines (it cannot
    style one line apart), RichLog one styled Text per line, LogPanel 50-line chunks."""
    app = WidgetCostApp(kind)
    pool = make_chunk_pool(50)
    texts = [line for chunk in pool for line in chunk.decode().splitlines()]
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        cpu0 = time.process_time()
        for tick in range(lines // per_tick):
            batch = [texts[(tick * per_tick + i) % len(texts)] for i in range(per_tick)]
            if kind == "Log":
                app.query_one(Log).write_lines(batch)
            elif kind == "RichLog":
                rich_log = app.query_one(RichLog)
                for i, line in enumerate(batch):
                    rich_log.write(Text(line, style="red" if i % 5 == 4 else ""))
            else:
                panel = app.query_one(LogPanel)
                for start in range(0, per_tick, 50):
                    data = "\n".join(batch[start : start + 50]).encode() + b"\n"
                    panel.write_chunk(f"host-{start % 50:02d}", "stdout", data)
                panel.flush()
            await pilot.pause(1 / 15)  # let the frame render
        cpu = time.process_time() - cpu0
    return cpu * 50_000 / (lines // per_tick * per_tick)


def run_stream_bench(
    rate: int = 50_000,
    seconds: float = 5.0,
    max_lines_options: tuple[int, ...] = (10_000, 100_000),
    keys: Literal["simulate", "pilot"] = "simulate",
) -> dict[str, Any]:
    """Run the benchmark once per ``max_lines`` value (with ``gc.freeze()`` after start-up),
    then the largest once more without it, each in a fresh process; returns
    ``{"runs": [figures, ...]}`` (see :func:`run_one` for the keys)."""
    configs = [(n, True) for n in max_lines_options] + [(max(max_lines_options), False)]
    runs = []
    for max_lines, freeze in configs:
        command = [sys.executable, __file__, "--one", str(max_lines), "--rate", str(rate),
                   "--seconds", str(seconds), "--keys", keys]
        if not freeze:
            command.append("--no-gc-freeze")
        proc = subprocess.run(command, capture_output=True, text=True,
                              timeout=seconds * 20 + 120, cwd=ROOT)
        if proc.returncode != 0:
            raise RuntimeError(f"stream bench (max_lines={max_lines}) failed:\n{proc.stderr}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    widgets = {kind: asyncio.run(widget_cost(kind)) for kind in ("LogPanel", "Log", "RichLog")}
    return {"runs": runs, "widget_cpu_s_per_50k_lines": widgets}


def print_report(result: dict[str, Any]) -> None:
    runs = result["runs"]
    loads = ", ".join(str(r["load_average"]) for r in runs)
    print("console stream bench: merged LogPanel, 50 hosts, a key every 50 ms "
          f"({runs[0]['key_method']}; load average during the runs: {loads} on "
          f"{os.cpu_count()} CPUs)")
    header = ("max_lines", "gc.freeze", "lines/s", "received", "kept", "flushes", "CPU s",
              "keys", "key worst ms", "key median", "full GCs", "worst GC ms", "RSS peak MiB",
              "RSS growth", "buffer MiB")
    print(" ".join(f"{h:>12}" for h in header))
    for r in runs:
        row = (r["max_lines"], "yes" if r["gc_freeze"] else "no", r["lines_per_s"],
               r["lines_received"], r["lines_kept"], r["flushes"], r["cpu_s"], r["key_presses"],
               r["key_delay_worst_ms"], r["key_delay_median_ms"], r["full_gc_count"],
               r["full_gc_worst_ms"], f"{r['rss_peak_kib'] / 1024:.1f}",
               f"{r['rss_growth_kib'] / 1024:.1f}", f"{r['buffer_bytes'] / 2**20:.1f}")
        print(" ".join(f"{v:>12}" for v in row))
    frozen = [r for r in runs if r["gc_freeze"]]
    if len(frozen) >= 2 and frozen[0]["rss_growth_kib"] > 0:
        small, large = frozen[0], frozen[-1]
        ratio = large["rss_growth_kib"] / small["rss_growth_kib"]
        print(f"memory growth {large['max_lines']} vs {small['max_lines']} max_lines: "
              f"{ratio:.1f}x for the same {small['lines_received']:,} lines of output "
              "(bounded by max_lines, not by output)")
    widgets = result.get("widget_cpu_s_per_50k_lines")
    if widgets:
        base = widgets["LogPanel"]
        print("CPU per 50,000 lines written and drawn at 15 Hz (side by side, same lines): "
              + ", ".join(f"{k} {v:.2f} s ({v / base:.1f}x)" for k, v in widgets.items()))
    for r in runs:
        worst = r["key_delay_worst_ms"] or 0
        print(f"max_lines {r['max_lines']}, gc.freeze {'yes' if r['gc_freeze'] else 'no'}: "
              f"worst key delay {worst} ms, {'within' if worst < 100 else 'ABOVE'} the 100 ms "
              "target")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=int, default=50_000, help="total lines/s")
    parser.add_argument("--keys", choices=["simulate", "pilot"], default="simulate",
                        help="how keys are pressed (see run_one)")
    parser.add_argument("--one", type=int, metavar="MAX_LINES", help=argparse.SUPPRESS)
    parser.add_argument("--no-gc-freeze", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        figures = run_one(args.one, args.rate, args.seconds, args.keys, not args.no_gc_freeze)
        print(json.dumps(asyncio.run(figures)))
        return
    result = run_stream_bench(args.rate, args.seconds, keys=args.keys)
    print_report(result)


if __name__ == "__main__":
    main()
