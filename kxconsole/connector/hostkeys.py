"""Host key verification against an OpenSSH ``known_hosts`` file.

``strict`` refuses unknown and changed keys; ``accept-new`` appends an unknown key to the file
and still refuses a changed one. There is no policy that skips verification."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import asyncssh

from kxconsole.connector.base import ConnectionConfig
from kxconsole.errors import HostKeyError

_write_lock = threading.Lock()  # many connectors may record keys into one file at once


def known_hosts_path(config: ConnectionConfig) -> Path:
    return Path(config.known_hosts or "~/.ssh/known_hosts").expanduser()


def host_pattern(host: str, port: int) -> str:
    """How OpenSSH names a host in known_hosts."""
    return host if port == 22 else f"[{host}]:{port}"


class HostKeyChecker:
    """Decides on keys asyncssh did not find trusted, and remembers why it refused one."""

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        self.path = known_hosts_path(config)
        self.fingerprint: str | None = None
        self.changed = False

    def asyncssh_known_hosts(self) -> str | bytes:
        """The ``known_hosts`` argument for asyncssh: the file, or nothing trusted."""
        return str(self.path) if self.path.is_file() else b""

    def decide(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        """Called by asyncssh for a key that is not in known_hosts as trusted for this host."""
        self.fingerprint = key.get_fingerprint("sha256")
        lookup_port = port if port != 22 else None
        trusted: Sequence[asyncssh.SSHKey] = ()
        if self.path.is_file():
            trusted = asyncssh.match_known_hosts(str(self.path), host, addr, lookup_port)[0]
        if trusted:  # the host is known with another key
            self.changed = True
            return False
        if self.config.host_key_policy == "accept-new":
            self._record(host, port, key)
            return True
        return False

    def _record(self, host: str, port: int, key: asyncssh.SSHKey) -> None:
        algorithm, blob = key.export_public_key("openssh").decode().split()[:2]  # no comment
        line = f"{host_pattern(host, port)} {algorithm} {blob}\n"
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _write_lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a") as f:
                f.write(line)

    def error(self, detail: str) -> HostKeyError:
        label = self.config.label
        where = host_pattern(self.config.host, self.config.port)
        if self.changed:
            message = (
                f"the host key of {label} has CHANGED (now {self.fingerprint}) and does not "
                f"match {self.path}; this may be a reinstalled host or an attack. Verify the "
                f"new fingerprint out of band, then remove the old entry "
                f"(ssh-keygen -R '{where}' -f {self.path}) and connect again"
            )
        elif self.fingerprint is not None:
            message = (
                f"the host key of {label} ({self.fingerprint}) is not in {self.path} and the "
                "host key policy is 'strict'; verify the fingerprint, then accept it "
                "(host_key_policy 'accept-new') or add it to known_hosts"
            )
        else:
            message = f"could not verify the host key of {label} against {self.path}: {detail}"
        return HostKeyError(
            message, host=label, fingerprint=self.fingerprint, changed=self.changed
        )
