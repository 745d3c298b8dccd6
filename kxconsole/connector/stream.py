"""One running command: the :class:`Channel` a transport provides, and :class:`CommandStream`,
the :class:`~kxconsole.connector.base.ExecStream` built on it (marker filtering, sudo refusal
detection, timeout and cancellation that kill the remote process group)."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Literal

from kxconsole.connector.base import ExecOptions, OutputChunk
from kxconsole.connector.script import MarkerFilter, PreparedCommand, redact, sudo_error
from kxconsole.errors import CommandTimeout, ConnectError

log = logging.getLogger("kxconsole.connector")

StreamName = Literal["stdout", "stderr"]
Event = tuple[StreamName, bytes] | None  # None: the channel is closed (output ended)


class Channel:
    """A started command as the transport sees it. Transports put ``(stream, bytes)`` events
    and finally ``None`` on :attr:`events`, and set :attr:`exit_code` (or :attr:`error` when
    the transport failed before an exit status arrived)."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.exit_code: int | None = None
        self.error: BaseException | None = None

    async def send_stdin(self, data: bytes) -> None:
        """Write ``data`` then end of file (always, so nothing waits on stdin)."""
        raise NotImplementedError

    def abort(self) -> None:
        """Close the channel now (the command may still run; the kill is separate)."""
        raise NotImplementedError

    def release(self) -> None:
        """Give back whatever slot the channel held. Called exactly once."""

    def consumed(self) -> None:
        """The reader took an event: a transport that paused reading may resume."""


# (channel, pid, pgid, prepared) -> kill the process group on the host
Killer = Callable[[Channel, int | None, int | None, PreparedCommand], Awaitable[None]]
Opener = Callable[[PreparedCommand], Awaitable[Channel]]

KILL_BOUND = 15.0  # seconds a kill may take before we give up on it
HIGH_WATER = 64  # queued output chunks at which a transport stops reading (back-pressure)


class CommandStream:
    """Async iterator of :class:`OutputChunk` in arrival order; ``exit_code`` is set when it
    ends. Use as ``async with conn.stream(cmd) as s: async for chunk in s: ...``. Leaving the
    ``async with`` early, a timeout, or a cancel kill the remote process group."""

    def __init__(
        self,
        *,
        host: str,
        cmd: str,
        opts: ExecOptions,
        prepared: PreparedCommand,
        opener: Opener,
        killer: Killer,
    ) -> None:
        self.host = host
        self.cmd = cmd
        self.opts = opts
        self.prepared = prepared
        self.exit_code: int | None = None
        self.duration = 0.0
        self._opener = opener
        self._killer = killer
        self._channel: Channel | None = None
        self._filter = MarkerFilter(
            prepared.marker, prepared.prompt if prepared.sudo_mode == "password" else b""
        )
        self._pending: list[OutputChunk] = []
        self._done = False
        self._released = False
        self._started = time.monotonic()
        self._deadline = self._started + opts.timeout if opts.timeout is not None else None

    def __aiter__(self) -> CommandStream:
        return self

    async def __aenter__(self) -> CommandStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def __anext__(self) -> OutputChunk:
        try:
            return await self._next()
        except BaseException:
            await self.aclose()
            raise

    async def _next(self) -> OutputChunk:
        while True:
            if self._pending:
                return self._pending.pop(0)
            if self._done:
                raise StopAsyncIteration
            if self._channel is None:
                await self._start()
            event = await self._next_event()
            if event is None:
                await self._finish()
                continue
            stream, data = event
            if stream == "stderr":
                data = self._filter.feed(data)
            if data:
                chunk = OutputChunk(stream, data)
                await self._emit(chunk)
                return chunk

    async def _start(self) -> None:
        if not self.opts.hidden:
            log.debug("%s: run %s", self.host, self.cmd)
        channel = await self._bounded(self._opener(self.prepared))
        self._channel = channel
        await channel.send_stdin(self.prepared.stdin)

    async def _bounded(self, awaitable: Awaitable[Channel]) -> Channel:
        if self._deadline is None:
            return await awaitable
        try:
            async with asyncio.timeout_at(self._loop_deadline()):
                return await awaitable
        except TimeoutError:
            raise self._timeout_error() from None

    def _loop_deadline(self) -> float:
        assert self._deadline is not None
        loop = asyncio.get_running_loop()
        return loop.time() + (self._deadline - time.monotonic())

    async def _next_event(self) -> Event:
        channel = self._channel
        assert channel is not None
        if self._deadline is None:
            event = await channel.events.get()
        else:
            remaining = self._deadline - time.monotonic()
            try:
                event = await asyncio.wait_for(channel.events.get(), max(remaining, 0))
            except TimeoutError:
                await self._kill()
                raise self._timeout_error() from None
        channel.consumed()
        return event

    def _timeout_error(self) -> CommandTimeout:
        self._done = True
        timeout = self.opts.timeout or 0
        return CommandTimeout(
            f"{redact(self.cmd, self.opts.hidden)!r} on {self.host} ran past its timeout of "
            f"{timeout:g}s and was killed; raise the timeout if the command needs longer",
            host=self.host,
            command=redact(self.cmd, self.opts.hidden),
            timeout=timeout,
        )

    async def _finish(self) -> None:
        assert self._channel is not None
        self._done = True
        self.duration = time.monotonic() - self._started
        self._release()
        rest = self._filter.flush()
        if self.prepared.sudo_mode != "none" and not self._filter.seen:
            raise sudo_error(
                self.host, self.cmd, self.opts.hidden, self._filter.strip_prompts(rest)
            )
        if self._channel.exit_code is None:
            reason = self._channel.error or "the channel closed without an exit status"
            raise ConnectError(
                f"lost the connection to {self.host} while running "
                f"{redact(self.cmd, self.opts.hidden)!r} ({reason}); the command may or may "
                "not have completed: check the host, then retry",
                host=self.host,
            )
        self.exit_code = self._channel.exit_code
        if rest:
            chunk = OutputChunk("stderr", rest)
            await self._emit(chunk)
            self._pending.append(chunk)

    async def _emit(self, chunk: OutputChunk) -> None:
        if self.opts.on_output is not None:
            result = self.opts.on_output(chunk)
            if inspect.isawaitable(result):
                await result

    async def _kill(self) -> None:
        channel = self._channel
        if channel is None:
            return
        try:
            await asyncio.wait_for(
                self._killer(channel, self._filter.pid, self._filter.pgid, self.prepared),
                KILL_BOUND,
            )
        except Exception as exc:  # the kill is best effort; the caller gets the real error
            log.warning("%s: could not kill the timed-out command: %s", self.host, exc)
        finally:
            channel.abort()
            self._release()

    def _release(self) -> None:
        if not self._released and self._channel is not None:
            self._released = True
            self._channel.release()

    async def aclose(self) -> None:
        """Stop early: kill the remote process group if the command is still running."""
        if self._done:
            self._release()
            return
        self._done = True
        await asyncio.shield(self._kill())
