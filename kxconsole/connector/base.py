"""The transport contract: config, options, results and the :class:`Connector` protocol.

See ``runner-contract.md``. A connector runs shell scripts on one host (as ``sh -c``), streams
their output, and moves bytes. It knows nothing of packages or services.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from kxconsole.errors import ValidationError
from kxconsole.secrets import Secret, as_secret

HostKeyPolicy = Literal["strict", "accept-new"]


@dataclass
class ConnectionConfig:
    """How to reach one host. Passwords and key texts are :class:`Secret` (plain strings are
    wrapped on construction), so a config can be printed or logged safely."""

    host: str
    port: int = 22
    user: str | None = None
    password: Secret | None = None
    private_key: Secret | None = None  # key text (PEM/OpenSSH)
    private_key_path: str | None = None
    passphrase: Secret | None = None  # for an encrypted private key
    timeout: float = 10.0  # connect + handshake, seconds
    bastion: ConnectionConfig | None = None  # jump host
    known_hosts: str | None = None  # None: ~/.ssh/known_hosts
    host_key_policy: HostKeyPolicy = "strict"
    sudo_password: Secret | None = None  # None: fall back to ``password``
    use_agent: bool = True
    keepalive_interval: float = 15.0
    max_sessions: int = 8  # concurrent channels on one connection; below sshd's MaxSessions
    name: str | None = None  # the inventory name, used in messages

    def __post_init__(self) -> None:
        self.password = as_secret(self.password)
        self.private_key = as_secret(self.private_key)
        self.passphrase = as_secret(self.passphrase)
        self.sudo_password = as_secret(self.sudo_password)
        if self.host_key_policy not in ("strict", "accept-new"):
            raise ValueError(
                f"host_key_policy must be 'strict' or 'accept-new', not {self.host_key_policy!r}"
            )

    @property
    def label(self) -> str:
        """What messages call this host: the inventory name, else user@host:port."""
        if self.name:
            return self.name
        user = f"{self.user}@" if self.user else ""
        return f"{user}{self.host}:{self.port}"

    @property
    def effective_sudo_password(self) -> Secret | None:
        return self.sudo_password if self.sudo_password is not None else self.password

    def credential_hash(self) -> str:
        """A digest of every credential, so pools can key on it without holding the values."""
        h = hashlib.sha256()
        for part in (self.password, self.private_key, self.passphrase, self.sudo_password):
            h.update(b"\0" + (part.reveal().encode() if part is not None else b"-"))
        h.update(b"\0" + (self.private_key_path or "").encode())
        if self.bastion is not None:
            h.update(self.bastion.credential_hash().encode())
        return h.hexdigest()[:16]


@dataclass
class ExecOptions:
    """How to run one command."""

    sudo: bool = False
    timeout: float | None = None  # seconds; the remote process group is killed on expiry
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    stdin: bytes | None = None
    hidden: bool = False  # never log the command or its output
    retries: int = 0  # retried only on transport errors, never on a non-zero exit
    retry_delay: float = 1.0
    # a read-only probe (test, stat, query): a dry-run connector still runs it
    probe: bool = False
    # called with each chunk as it arrives, also for exec()
    on_output: Callable[[OutputChunk], Awaitable[None] | None] | None = None


@dataclass(frozen=True)
class OutputChunk:
    stream: Literal["stdout", "stderr"]
    data: bytes


@dataclass(frozen=True)
class ExecResult:
    stdout: bytes
    stderr: bytes
    exit_code: int
    duration: float  # seconds

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def stdout_text(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    @property
    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", "replace")


@dataclass(frozen=True)
class FileStat:
    path: str
    size: int
    mode: int  # permission bits, e.g. 0o644
    uid: int
    gid: int
    owner: str
    group: str
    is_dir: bool
    is_file: bool
    is_link: bool
    mtime: float


class ExecStream(Protocol):
    """What ``Connector.stream()`` returns: an async iterator of :class:`OutputChunk` in
    arrival order. When iteration ends, ``exit_code`` holds the exit status. Usable as
    ``async with`` so leaving early (or being cancelled) kills the remote process group."""

    exit_code: int | None

    def __aiter__(self) -> AsyncIterator[OutputChunk]: ...

    async def __aenter__(self) -> ExecStream: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class Connector(Protocol):
    """One host. Every implementation (local, SSH, fake, dry-run) keeps this contract."""

    config: ConnectionConfig

    @property
    def is_connected(self) -> bool: ...

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Connector: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def exec(self, cmd: str, opts: ExecOptions | None = None) -> ExecResult: ...

    def stream(self, cmd: str, opts: ExecOptions | None = None) -> ExecStream: ...

    async def put(
        self,
        content: bytes,
        path: str,
        *,
        mode: int | str | None = None,
        owner: str | None = None,
        group: str | None = None,
        sudo: bool = False,
    ) -> None: ...

    async def get(self, path: str, *, sudo: bool = False) -> bytes: ...

    async def stat(self, path: str, *, sudo: bool = False) -> FileStat | None: ...


def parse_mode(mode: int | str | None) -> int | None:
    """``0o644``, ``"0644"`` or ``"644"`` → ``0o644``; rejects anything outside 0..0o7777."""
    if mode is None:
        return None
    if isinstance(mode, str):
        text = mode.strip()
        if not text or not all(c in "01234567" for c in text) or len(text) > 4:
            raise ValidationError(f"file mode {mode!r} is not an octal mode such as '0644'")
        value = int(text, 8)
    else:
        value = int(mode)
    if not 0 <= value <= 0o7777:
        raise ValidationError(f"file mode {oct(value)} is outside 0..0o7777")
    return value


def local_username() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name
