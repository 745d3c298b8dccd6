"""Faults from in-process servers: a handshake that never completes, a channel closed
mid-stream, nothing listening."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from kxconsole.connector import ConnectionConfig, ExecOptions, SSHConnector
from kxconsole.errors import AuthError, ConnectError, HostKeyError
from tests.integration.asyncssh_server import closing_channel_server, silent_server


async def test_a_stalled_handshake_fails_promptly_with_connect_error() -> None:
    async with silent_server() as server:
        config = ConnectionConfig(
            host=server.host, port=server.port, user="kx", timeout=1.0, name="stalled-host",
            known_hosts="/dev/null", use_agent=False,
        )
        started = time.monotonic()
        with pytest.raises(ConnectError) as info:
            await SSHConnector(config).exec("true")
        elapsed = time.monotonic() - started
    assert server.connections == 1
    assert elapsed < 10, f"took {elapsed:.1f}s for a 1s connect timeout"
    assert not isinstance(info.value, AuthError | HostKeyError)
    assert "stalled-host" in info.value.message and "timed out" in info.value.message


async def test_nothing_listening_is_a_connect_error_naming_the_host() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = ConnectionConfig(host="127.0.0.1", port=port, user="kx", timeout=5, use_agent=False)
    with pytest.raises(ConnectError) as info:
        await SSHConnector(config).exec("true")
    assert f"127.0.0.1:{port}" in info.value.message and info.value.host == config.label


async def test_a_channel_closed_mid_stream_raises_after_the_output_so_far(tmp_path: Path) -> None:
    async with closing_channel_server(tmp_path) as server:
        config = ConnectionConfig(
            host=server.host, port=server.port, user="kx", name="flaky",
            known_hosts=str(server.known_hosts_path), use_agent=False, timeout=5,
        )
        async with SSHConnector(config) as conn:
            got: list[bytes] = []
            with pytest.raises(ConnectError) as info:
                async with conn.stream("anything", ExecOptions(timeout=20)) as running:
                    async for chunk in running:
                        got.append(chunk.data)
            assert got == [b"partial output\n"]
            assert "flaky" in info.value.message and "may or may not" in info.value.message
            assert running.exit_code is None
            # retries re-run a command after a transport failure (here it fails again)
            with pytest.raises(ConnectError):
                await conn.exec("again", ExecOptions(retries=1, retry_delay=0.01))
            # the command's text reaches the server inside `sh -c`
            ends = [c.rsplit("\n", 1)[-1] for c in server.commands]
            assert ends == ["anything'", "again'", "again'"]
