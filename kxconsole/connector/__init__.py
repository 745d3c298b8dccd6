"""Transport: run commands on a host and move bytes (local subprocess, SSH, fake)."""

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
