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
from kxconsole.connector.local import LocalConnector
from kxconsole.connector.ssh import SSHConnector

__all__ = [
    "ConnectionConfig",
    "Connector",
    "ExecOptions",
    "ExecResult",
    "ExecStream",
    "FileStat",
    "LocalConnector",
    "OutputChunk",
    "SSHConnector",
]
