"""Transport: run commands on a host and move bytes (local subprocess, SSH, fake, dry-run).

Usage::

    async with SSHConnector(ConnectionConfig(host="10.0.0.5", user="ops")) as conn:
        result = await conn.exec("systemctl is-active nginx", ExecOptions(sudo=True))
        async with conn.stream("journalctl -fu nginx", ExecOptions(timeout=60)) as running:
            async for chunk in running:          # OutputChunk(stream, data), as it arrives
                ...
        print(running.exit_code)                 # set once iteration ends
        await conn.put(b"...", "/etc/app.conf", mode="0644", owner="root", sudo=True)

``exec`` returns an :class:`ExecResult` for any exit code and raises only ``ConnectError``
(and its ``AuthError``/``HostKeyError``), ``CommandTimeout`` and ``SudoError``. Leaving a
``stream`` early, a timeout and a cancel kill the command's process group on the host.
A pool shares one connector per host: ``async with ConnectorPool() as pool: conn = await
pool.get(config)``.
"""

from kxconsole.connector.base import (
    ConnectionConfig,
    Connector,
    ExecOptions,
    ExecResult,
    ExecStream,
    FileStat,
    OutputChunk,
)
from kxconsole.connector.dryrun import DryRunConnector
from kxconsole.connector.fake import FakeConnector, FakeReply
from kxconsole.connector.local import LocalConnector
from kxconsole.connector.pool import ConnectorPool
from kxconsole.connector.ssh import SSHConnector

__all__ = [
    "ConnectionConfig",
    "Connector",
    "ConnectorPool",
    "DryRunConnector",
    "ExecOptions",
    "ExecResult",
    "ExecStream",
    "FakeConnector",
    "FakeReply",
    "FileStat",
    "LocalConnector",
    "OutputChunk",
    "SSHConnector",
]
