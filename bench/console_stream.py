"""Console streaming benchmark: a merged LogPanel fed by 50 hosts at 50,000 lines/s in total.

Runs the real app headless (``run_test``). 50 FakeConnector-like streams are consumed by
``LogPanel.consume`` (the same path a real ``Connector.stream()`` takes) while a key is pressed
every ~50 ms; the key's handler records when it ran. Prints the worst and median key delay
(target: worst < 100 ms), the lines/s actually ingested and the peak memory, once with
max_lines=10k and once with 100k (same total output), each in its own process so the peaks
do not mix. Usage: ``python3 bench/console_stream.py [--seconds 5] [--rate 50000]``.
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
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar, Literal

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as `python3 bench/console_stream.py`
    sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402
from textual.binding import Binding, BindingType  # noqa: E402

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

    def __init__(self, max_lines: int) -> None:
        super().__init__()
        self.max_lines = max_lines
        self.handled_at: list[float] = []

    def compose(self) -> ComposeResult:
        yield LogPanel(max_lines=self.max_lines, merged=True)

    def on_mount(self) -> None:
        self.query_one(LogPanel).focus()

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


async def run_one(max_lines: int, rate: int, seconds: float) -> dict[str, Any]:
    """One run in this process: returns the figures of that run."""
    app = StreamBenchApp(max_lines)
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
        # pilot.press() returns only once the screen is idle, which it never is while output
        # streams; so each press runs in its own task, started every KEY_INTERVAL on an
        # absolute schedule, and the i-th handling is matched to the i-th press (keys are
        # handled in order).
        pressed_at: list[float] = []
        presses: list[asyncio.Task[None]] = []
        next_press = time.perf_counter()
        while not all(t.done() for t in tasks):
            pressed_at.append(time.perf_counter())
            presses.append(asyncio.create_task(pilot.press("f5")))
            next_press += KEY_INTERVAL
            await asyncio.sleep(max(0.0, next_press - time.perf_counter()))
        codes = await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        await asyncio.wait_for(asyncio.gather(*presses), timeout=60)
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
            "key_presses": len(delays),
            "load_average": round(os.getloadavg()[0], 1),
            "key_delay_worst_ms": round(max(delays) * 1000, 1) if delays else None,
            "key_delay_median_ms": round(statistics.median(delays) * 1000, 1) if delays else None,
            "rss_before_kib": rss_before,
            "rss_peak_kib": rss_peak,
            "rss_growth_kib": rss_peak - rss_before,
            "buffer_bytes": _buffer_bytes(panel),
        }


def run_stream_bench(
    rate: int = 50_000, seconds: float = 5.0, max_lines_options: tuple[int, ...] = (10_000, 100_000)
) -> dict[str, Any]:
    """Run the benchmark once per ``max_lines`` value, each in a fresh process; returns
    ``{"runs": [figures, ...]}`` (see :func:`run_one` for the keys)."""
    runs = []
    for max_lines in max_lines_options:
        proc = subprocess.run(
            [sys.executable, __file__, "--one", str(max_lines), "--rate", str(rate),
             "--seconds", str(seconds)],
            capture_output=True, text=True, timeout=seconds * 20 + 120, cwd=ROOT,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"stream bench (max_lines={max_lines}) failed:\n{proc.stderr}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {"runs": runs}


def print_report(result: dict[str, Any]) -> None:
    loads = ", ".join(str(r["load_average"]) for r in result["runs"])
    print("console stream bench: merged LogPanel, 50 hosts, key press every 50 ms "
          f"(load average during the runs: {loads} on {os.cpu_count()} CPUs)")
    header = ("max_lines", "lines/s", "received", "kept", "flushes", "CPU s", "key presses",
              "key worst ms",
              "key median ms", "RSS peak MiB", "RSS growth MiB", "buffer MiB")
    print("  ".join(f"{h:>14}" for h in header))
    for r in result["runs"]:
        row = (r["max_lines"], r["lines_per_s"], r["lines_received"], r["lines_kept"],
               r["flushes"], r["cpu_s"], r["key_presses"], r["key_delay_worst_ms"],
               r["key_delay_median_ms"],
               f"{r['rss_peak_kib'] / 1024:.1f}", f"{r['rss_growth_kib'] / 1024:.1f}",
               f"{r['buffer_bytes'] / 2**20:.1f}")
        print("  ".join(f"{v:>14}" for v in row))
    runs = result["runs"]
    if len(runs) == 2 and runs[0]["rss_growth_kib"] > 0:
        ratio = runs[1]["rss_growth_kib"] / runs[0]["rss_growth_kib"]
        print(f"memory growth ratio {runs[1]['max_lines']}/{runs[0]['max_lines']} lines: "
              f"{ratio:.1f}x (same total output; bounded by max_lines, not by output)")
    worst = max((r["key_delay_worst_ms"] or 0) for r in runs)
    print(f"worst key delay {worst} ms: {'OK' if worst < 100 else 'ABOVE'} the 100 ms target")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=int, default=50_000, help="total lines/s")
    parser.add_argument("--one", type=int, metavar="MAX_LINES", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(asyncio.run(run_one(args.one, args.rate, args.seconds))))
        return
    result = run_stream_bench(args.rate, args.seconds)
    print_report(result)


if __name__ == "__main__":
    main()
