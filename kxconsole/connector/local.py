"""LocalConnector: runs commands on this machine through an asyncio subprocess.

Each command is its own session (``start_new_session``), so a timeout or a cancel can kill its
whole process group. sudo is used only when this process is not root."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from kxconsole.connector.base import ConnectionConfig, local_username
from kxconsole.connector.script import PreparedCommand
from kxconsole.connector.shell import ShellConnector
from kxconsole.connector.stream import HIGH_WATER, Channel, StreamName

READ_SIZE = 65536


class _LocalChannel(Channel):
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        super().__init__()
        # bounded: a slow reader makes the pumps wait, and the pipes hold the command back
        self.events = asyncio.Queue(maxsize=HIGH_WATER)
        self.proc = proc
        self._pumps = [
            asyncio.create_task(self._pump(proc.stdout, "stdout")),
            asyncio.create_task(self._pump(proc.stderr, "stderr")),
        ]
        self._closer = asyncio.create_task(self._close_when_done())
        self._writer: asyncio.Task[None] | None = None

    async def _pump(self, reader: asyncio.StreamReader | None, stream: StreamName) -> None:
        assert reader is not None
        while data := await reader.read(READ_SIZE):
            await self.events.put((stream, data))

    async def _close_when_done(self) -> None:
        try:
            await asyncio.gather(*self._pumps)
            self.exit_code = await self.proc.wait()
        except asyncio.CancelledError:
            return  # aborted: nobody reads any more
        except Exception as exc:  # a pipe error: reported as a transport failure
            self.error = exc
        await self.events.put(None)

    async def send_stdin(self, data: bytes) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        # a command that exits without reading its stdin (e.g. sudo refusing) breaks the pipe
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if data:
                stdin.write(data)
                # written in the background: a large stdin must not block the reader
                self._writer = asyncio.create_task(self._drain_and_close(stdin))
                return
            stdin.close()

    @staticmethod
    async def _drain_and_close(stdin: asyncio.StreamWriter) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            await stdin.drain()
            stdin.close()

    def abort(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        for pump in self._pumps:
            pump.cancel()


class LocalConnector(ShellConnector):
    """This machine. ``config`` defaults to ``ConnectionConfig(host="local")``."""

    def __init__(self, config: ConnectionConfig | None = None) -> None:
        config = config or ConnectionConfig(host="local", user=local_username(), name="local")
        super().__init__(config)
        self._connected = False

    @property
    def is_connected(self) -> bool:
        return self._connected

    @property
    def is_root(self) -> bool:
        return os.geteuid() == 0

    async def connect(self) -> None:
        self._connected = True

    async def close(self) -> None:
        self._connected = False

    async def _open_channel(self, prepared: PreparedCommand) -> Channel:
        proc = await asyncio.create_subprocess_exec(
            *prepared.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        return _LocalChannel(proc)

    async def _kill_group(
        self, channel: Channel, pid: int | None, pgid: int | None, prepared: PreparedCommand
    ) -> None:
        assert isinstance(channel, _LocalChannel)
        if prepared.sudo_mode != "none":  # root-owned processes: kill through sudo too
            await super()._kill_group(channel, pid, pgid, prepared)
            return
        group = channel.proc.pid  # start_new_session: the group leader is our child
        await _term_then_kill(group)


async def _term_then_kill(pgid: int, grace: float = 2.0) -> None:
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    loop = asyncio.get_running_loop()
    end = loop.time() + grace
    while loop.time() < end:
        await asyncio.sleep(0.05)
        if not _group_alive(pgid):
            return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    """Whether a live process is in the group; zombies (waiting to be reaped by whoever
    inherited them) do not count, though ``killpg(pgid, 0)`` would still find them."""
    try:
        entries = os.listdir("/proc")
    except OSError:  # no /proc: fall back to the signal probe
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b") ", 1)[-1].split()
        except OSError:
            continue
        if len(fields) > 2 and fields[0] != b"Z" and fields[2] == str(pgid).encode():
            return True
    return False
