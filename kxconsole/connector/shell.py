""":class:`ShellConnector`: exec, stream, put, get and stat on top of a transport that can open
a channel running one command line and kill a process group. Local and SSH connectors
subclass it and provide only the transport."""

from __future__ import annotations

import asyncio
import logging

from kxconsole.connector.base import ConnectionConfig, ExecOptions, ExecResult, FileStat
from kxconsole.connector.files import STAT_ABSENT, get_script, parse_stat, put_script, stat_script
from kxconsole.connector.script import PreparedCommand, kill_script, prepare
from kxconsole.connector.stream import Channel, CommandStream, Killer, Opener
from kxconsole.errors import AuthError, CommandError, ConnectError, HostKeyError

log = logging.getLogger("kxconsole.connector")


async def _no_kill(
    channel: Channel, pid: int | None, pgid: int | None, prepared: PreparedCommand
) -> None:
    """The kill script itself is not killed again (its channel is just closed)."""


class ShellConnector:
    """The shared half of every real connector. Subclasses implement :meth:`connect`,
    :meth:`close`, :attr:`is_connected`, :attr:`is_root`, :meth:`_open_channel` and
    :meth:`_kill_group`."""

    config: ConnectionConfig

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        self.active_commands = 0  # channels open right now (the pool evicts only idle ones)

    @property
    def label(self) -> str:
        return self.config.label

    @property
    def is_connected(self) -> bool:
        raise NotImplementedError

    @property
    def is_root(self) -> bool:
        raise NotImplementedError

    async def connect(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> ShellConnector:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _open_channel(self, prepared: PreparedCommand) -> Channel:
        raise NotImplementedError

    async def _kill_group(
        self, channel: Channel, pid: int | None, pgid: int | None, prepared: PreparedCommand
    ) -> None:
        """Default: run the kill script with the same privilege as the command."""
        if pid is None and pgid is None:
            return
        opts = ExecOptions(sudo=prepared.sudo_mode != "none", hidden=True, timeout=10)
        kill = self._stream(kill_script(pgid, pid), opts, self._open_kill_channel, _no_kill)
        async with kill:
            async for _ in kill:
                pass

    async def _open_kill_channel(self, prepared: PreparedCommand) -> Channel:
        """Where the kill script runs; SSH gives it a slot outside the session cap."""
        return await self._open_channel(prepared)

    # -- commands ---------------------------------------------------------------------------

    def stream(self, cmd: str, opts: ExecOptions | None = None) -> CommandStream:
        return self._stream(cmd, opts or ExecOptions(), self._counted_open)

    def _stream(
        self, cmd: str, opts: ExecOptions, opener: Opener, killer: Killer | None = None
    ) -> CommandStream:
        prepared = prepare(
            cmd, opts, is_root=self.is_root, sudo_password=self.config.effective_sudo_password
        )
        return CommandStream(
            host=self.label,
            cmd=cmd,
            opts=opts,
            prepared=prepared,
            opener=opener,
            killer=killer or self._kill_group,
        )

    async def _counted_open(self, prepared: PreparedCommand) -> Channel:
        channel = await self._open_channel(prepared)
        self.active_commands += 1
        inner_release = channel.release

        def release() -> None:
            self.active_commands -= 1
            inner_release()

        channel.release = release  # type: ignore[method-assign]
        return channel

    async def exec(self, cmd: str, opts: ExecOptions | None = None) -> ExecResult:
        opts = opts or ExecOptions()
        attempt = 0
        while True:
            try:
                return await self._exec_once(cmd, opts)
            except (AuthError, HostKeyError):
                raise
            except ConnectError as exc:
                if attempt >= opts.retries:
                    raise
                attempt += 1
                if not opts.hidden:
                    log.debug("%s: retry %d after %s", self.label, attempt, exc)
                await asyncio.sleep(opts.retry_delay)

    async def _exec_once(self, cmd: str, opts: ExecOptions) -> ExecResult:
        stdout = bytearray()
        stderr = bytearray()
        async with self.stream(cmd, opts) as running:
            async for chunk in running:
                (stdout if chunk.stream == "stdout" else stderr).extend(chunk.data)
        assert running.exit_code is not None
        return ExecResult(bytes(stdout), bytes(stderr), running.exit_code, running.duration)

    # -- files ------------------------------------------------------------------------------

    async def put(
        self,
        content: bytes,
        path: str,
        *,
        mode: int | str | None = None,
        owner: str | None = None,
        group: str | None = None,
        sudo: bool = False,
    ) -> None:
        script = put_script(path, mode=mode, owner=owner, group=group)
        result = await self.exec(script, ExecOptions(sudo=sudo, stdin=content, hidden=True))
        if not result.ok:
            raise self._file_error("write", path, result)
        log.debug("%s: wrote %d bytes to %s", self.label, len(content), path)

    async def get(self, path: str, *, sudo: bool = False) -> bytes:
        result = await self.exec(get_script(path), ExecOptions(sudo=sudo, hidden=True))
        if not result.ok:
            raise self._file_error("read", path, result)
        return result.stdout

    async def stat(self, path: str, *, sudo: bool = False) -> FileStat | None:
        result = await self.exec(stat_script(path), ExecOptions(sudo=sudo))
        if result.exit_code == STAT_ABSENT:
            return None
        if not result.ok:
            raise self._file_error("stat", path, result)
        return parse_stat(path, result.stdout_text)

    def _file_error(self, verb: str, path: str, result: ExecResult) -> CommandError:
        tail = result.stderr_text.strip()[-300:] or f"exit code {result.exit_code}"
        return CommandError(
            f"could not {verb} {path} on {self.label}: {tail}; check the path and its "
            "permissions (pass sudo=True for root-owned paths)",
            host=self.label,
            command=f"{verb} {path}",
            exit_code=result.exit_code,
            stderr=result.stderr,
        )

