"""In-process servers for faults a real sshd cannot produce on demand (see test-hosts.md):
a TCP listener that never speaks SSH, and an asyncssh server whose channel closes in the
middle of a command's output. Both listen on 127.0.0.1, port 0, and stop with their test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh


@dataclass
class FaultServer:
    host: str
    port: int
    known_hosts_path: Path
    connections: int = 0
    commands: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[FaultServer]:
    """Accepts TCP connections and never sends a byte: the SSH handshake never completes."""
    held: list[asyncio.StreamWriter] = []
    server_state = FaultServer("127.0.0.1", 0, Path("/dev/null"))

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_state.connections += 1
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    server_state.port = server.sockets[0].getsockname()[1]
    try:
        yield server_state
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


class _NoAuthServer(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return False  # any user, no credentials: this server only exists to misbehave


def _half_then_close(state: FaultServer) -> object:
    async def run(process: asyncssh.SSHServerProcess[bytes]) -> None:
        """Prints one line, then drops the channel without an exit status."""
        state.commands.append(process.command or "")
        process.stdout.write(b"partial output\n")
        await asyncio.sleep(0.3)
        process.channel.close()

    return run


@contextlib.asynccontextmanager
async def closing_channel_server(tmp: Path) -> AsyncIterator[FaultServer]:
    """An SSH server whose every command writes one line and then closes its channel."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    known_hosts = tmp / "fault_known_hosts"
    state = FaultServer("127.0.0.1", 0, known_hosts)
    server = await asyncssh.create_server(
        _NoAuthServer,
        "127.0.0.1",
        0,
        server_host_keys=[key],
        process_factory=_half_then_close(state),
        encoding=None,
    )
    state.port = server.sockets[0].getsockname()[1]
    public = key.export_public_key("openssh").decode().split()
    known_hosts.write_text(f"[127.0.0.1]:{state.port} {public[0]} {public[1]}\n")
    try:
        yield state
    finally:
        server.close()
        await server.wait_closed()
