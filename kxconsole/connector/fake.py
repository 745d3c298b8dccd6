"""FakeConnector: a scripted, deterministic connector for console snapshots, demos and the
streaming benchmark. Same protocol as the real ones; no clocks or randomness in its output.

Replies are looked up by exact command first, then by regular expression (``re.search``, in
insertion order), then ``handler``; a command with no reply exits 127."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from kxconsole.connector.base import (
    ConnectionConfig,
    ExecOptions,
    ExecResult,
    FileStat,
    OutputChunk,
    parse_mode,
)
from kxconsole.connector.script import redact
from kxconsole.errors import CommandError, CommandTimeout, KxError


@dataclass
class FakeReply:
    """What a fake command prints and returns. ``chunks`` (if given) replace stdout/stderr
    and are streamed in order, ``delay_per_chunk`` seconds apart; ``error`` is raised
    instead (e.g. a ``SudoError``) after the chunks."""

    stdout: str | bytes = b""
    stderr: str | bytes = b""
    exit_code: int = 0
    chunks: list[OutputChunk] | None = None
    delay_per_chunk: float = 0.0
    error: KxError | None = None

    def output(self) -> list[OutputChunk]:
        if self.chunks is not None:
            return list(self.chunks)
        out = []
        for stream, data in (("stdout", self.stdout), ("stderr", self.stderr)):
            raw = data.encode() if isinstance(data, str) else data
            if raw:
                out.append(OutputChunk(stream, raw))  # type: ignore[arg-type]
        return out


ReplyValue = str | bytes | FakeReply
Handler = Callable[[str, ExecOptions], ReplyValue | Awaitable[ReplyValue]]
Reply = ReplyValue | Handler


@dataclass
class FakeCall:
    cmd: str
    opts: ExecOptions


@dataclass
class FakeFile:
    content: bytes
    mode: int = 0o644
    owner: str = "root"
    group: str = "root"


@dataclass
class _FakeStream:
    connector: FakeConnector
    cmd: str
    opts: ExecOptions
    exit_code: int | None = None
    _gen: AsyncIterator[OutputChunk] | None = field(default=None, repr=False)

    def __aiter__(self) -> AsyncIterator[OutputChunk]:
        if self._gen is None:
            self._gen = self._run()
        return self._gen

    async def __aenter__(self) -> _FakeStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._gen is not None:
            await self._gen.aclose()  # type: ignore[attr-defined]

    async def _run(self) -> AsyncIterator[OutputChunk]:
        fake = self.connector
        fake.calls.append(FakeCall(self.cmd, self.opts))
        if fake.latency:
            await asyncio.sleep(fake.latency)
        reply = await fake.reply_for(self.cmd, self.opts)
        elapsed = fake.latency
        for chunk in reply.output():
            if reply.delay_per_chunk:
                elapsed += reply.delay_per_chunk
                if self.opts.timeout is not None and elapsed > self.opts.timeout:
                    raise fake.timeout(self.cmd, self.opts)
                await asyncio.sleep(reply.delay_per_chunk)
            if self.opts.on_output is not None:
                result = self.opts.on_output(chunk)
                if inspect.isawaitable(result):
                    await result
            yield chunk
        if reply.error is not None:
            raise reply.error
        self.exit_code = reply.exit_code


class FakeConnector:
    """A scripted host. ``calls`` records every command; ``files`` is its file system."""

    def __init__(
        self,
        config: ConnectionConfig | None = None,
        *,
        replies: Mapping[str, Reply] | None = None,
        handler: Handler | None = None,
        latency: float = 0.0,
        fail_connect: Exception | None = None,
        files: Mapping[str, bytes | FakeFile] | None = None,
    ) -> None:
        self.config = config or ConnectionConfig(host="fake", name="fake")
        self.replies: dict[str, Reply] = dict(replies or {})
        self.handler = handler
        self.latency = latency
        self.fail_connect = fail_connect
        self.calls: list[FakeCall] = []
        self.files: dict[str, FakeFile] = {
            path: f if isinstance(f, FakeFile) else FakeFile(f) for path, f in (files or {}).items()
        }
        self._connected = False

    @property
    def commands(self) -> list[str]:
        return [call.cmd for call in self.calls]

    @property
    def is_connected(self) -> bool:
        return self._connected

    async def connect(self) -> None:
        if self.fail_connect is not None:
            raise self.fail_connect
        self._connected = True

    async def close(self) -> None:
        self._connected = False

    async def __aenter__(self) -> FakeConnector:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def reply_for(self, cmd: str, opts: ExecOptions) -> FakeReply:
        reply: Reply | None = self.replies.get(cmd)
        if reply is None:
            for pattern, candidate in self.replies.items():
                if _search(pattern, cmd):
                    reply = candidate
                    break
        if reply is None:
            reply = self.handler
        if reply is None:
            return FakeReply(stderr=f"fake: no reply for {cmd!r}\n", exit_code=127)
        value = reply(cmd, opts) if callable(reply) else reply
        if inspect.isawaitable(value):
            value = await value
        if isinstance(value, FakeReply):
            return value
        assert isinstance(value, str | bytes)
        return FakeReply(stdout=value)

    def timeout(self, cmd: str, opts: ExecOptions) -> CommandTimeout:
        return CommandTimeout(
            f"{redact(cmd, opts.hidden)!r} on {self.config.label} ran past its timeout of "
            f"{opts.timeout:g}s",
            host=self.config.label,
            command=redact(cmd, opts.hidden),
            timeout=opts.timeout or 0,
        )

    def stream(self, cmd: str, opts: ExecOptions | None = None) -> _FakeStream:
        if self.fail_connect is not None:
            raise self.fail_connect
        return _FakeStream(self, cmd, opts or ExecOptions())

    async def exec(self, cmd: str, opts: ExecOptions | None = None) -> ExecResult:
        out = {"stdout": bytearray(), "stderr": bytearray()}
        async with self.stream(cmd, opts) as running:
            async for chunk in running:
                out[chunk.stream].extend(chunk.data)
        assert running.exit_code is not None
        return ExecResult(bytes(out["stdout"]), bytes(out["stderr"]), running.exit_code, 0.0)

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
        self.calls.append(FakeCall(f"put {path}", ExecOptions(sudo=sudo, hidden=True)))
        old = self.files.get(path)
        bits = parse_mode(mode)
        self.files[path] = FakeFile(
            content,
            mode=bits if bits is not None else (old.mode if old else 0o644),
            owner=owner or (old.owner if old else "root"),
            group=group or (old.group if old else "root"),
        )

    async def get(self, path: str, *, sudo: bool = False) -> bytes:
        self.calls.append(FakeCall(f"get {path}", ExecOptions(sudo=sudo, hidden=True)))
        if path not in self.files:
            raise CommandError(
                f"could not read {path} on {self.config.label}: No such file or directory",
                host=self.config.label,
                command=f"get {path}",
                exit_code=1,
            )
        return self.files[path].content

    async def stat(self, path: str, *, sudo: bool = False) -> FileStat | None:
        self.calls.append(FakeCall(f"stat {path}", ExecOptions(sudo=sudo)))
        file = self.files.get(path)
        if file is None:
            is_dir = any(p.startswith(path.rstrip("/") + "/") for p in self.files)
            if not is_dir:
                return None
            return FileStat(path, 4096, 0o755, 0, 0, "root", "root", True, False, False, 0.0)
        uid = 0 if file.owner == "root" else 1000
        gid = 0 if file.group == "root" else 1000
        return FileStat(
            path, len(file.content), file.mode, uid, gid, file.owner, file.group,
            False, True, False, 0.0,
        )


def _search(pattern: str, cmd: str) -> bool:
    try:
        return re.search(pattern, cmd) is not None
    except re.error:
        return False
