"""DryRunConnector: runs only read-only probes (``ExecOptions(probe=True)``), get and stat
through the wrapped connector; every other command and every put is recorded in
:attr:`DryRunConnector.planned` (redacted) and reported as a success with empty output."""

from __future__ import annotations

from kxconsole.connector.base import (
    Connector,
    ExecOptions,
    ExecResult,
    ExecStream,
    FileStat,
    parse_mode,
)
from kxconsole.connector.fake import FakeConnector
from kxconsole.connector.script import redact


class DryRunConnector:
    def __init__(self, inner: Connector) -> None:
        self.inner = inner
        self.config = inner.config
        self.planned: list[str] = []
        self._noop = FakeConnector(inner.config, handler=lambda cmd, opts: b"")

    @property
    def is_connected(self) -> bool:
        return self.inner.is_connected

    async def connect(self) -> None:
        await self.inner.connect()

    async def close(self) -> None:
        await self.inner.close()

    async def __aenter__(self) -> DryRunConnector:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def exec(self, cmd: str, opts: ExecOptions | None = None) -> ExecResult:
        opts = opts or ExecOptions()
        if opts.probe:
            return await self.inner.exec(cmd, opts)
        self._plan(redact(cmd, opts.hidden), opts)
        return ExecResult(b"", b"", 0, 0.0)

    def stream(self, cmd: str, opts: ExecOptions | None = None) -> ExecStream:
        opts = opts or ExecOptions()
        if opts.probe:
            return self.inner.stream(cmd, opts)
        self._plan(redact(cmd, opts.hidden), opts)
        return self._noop.stream(cmd, opts)

    def _plan(self, text: str, opts: ExecOptions) -> None:
        self.planned.append(f"sudo: {text}" if opts.sudo else text)

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
        bits = parse_mode(mode)
        details = [f"{len(content)} bytes"]
        details += [f"mode {bits:04o}"] if bits is not None else []
        details += [f"owner {owner}"] if owner else []
        details += [f"group {group}"] if group else []
        self._plan(f"write {path} ({', '.join(details)})", ExecOptions(sudo=sudo))

    async def get(self, path: str, *, sudo: bool = False) -> bytes:
        return await self.inner.get(path, sudo=sudo)

    async def stat(self, path: str, *, sudo: bool = False) -> FileStat | None:
        return await self.inner.stat(path, sudo=sudo)
