"""SSHConnector: one asyncssh connection per host, sessions capped, reconnect on drop.

Every command is a channel on the one connection. At most ``config.max_sessions`` channels
are open at once (sshd refuses the 11th by default); the rest queue. A connection found dead
when a command starts is replaced once, transparently. A timeout or a cancel kills the remote
process group through a fresh channel (outside the cap), with the same sudo as the command."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from typing import Any

import asyncssh

from kxconsole.connector.base import ConnectionConfig, local_username
from kxconsole.connector.hostkeys import HostKeyChecker
from kxconsole.connector.script import PreparedCommand
from kxconsole.connector.shell import ShellConnector
from kxconsole.connector.stream import HIGH_WATER, Channel
from kxconsole.errors import AuthError, ConnectError, KxError

log = logging.getLogger("kxconsole.connector")

KILL_SLOTS = 2  # channels reserved for kill scripts: max_sessions + 2 stays within MaxSessions 10
OPEN_RETRIES = 5  # a channel refused by the server (its session limit) is retried, not failed
KEEPALIVE_COUNT_MAX = 3


class _Session(asyncssh.SSHClientSession[bytes], Channel):
    """One command's channel: output events in arrival order (stdout and stderr interleaved
    exactly as the server sent them)."""

    def __init__(self, release: Callable[[], None]) -> None:
        Channel.__init__(self)
        self._release = release
        self._chan: asyncssh.SSHClientChannel[bytes] | None = None
        self._paused = False

    def connection_made(self, chan: asyncssh.SSHClientChannel[bytes]) -> None:
        self._chan = chan

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        if datatype == asyncssh.EXTENDED_DATA_STDERR:
            self.events.put_nowait(("stderr", data))
        else:
            self.events.put_nowait(("stdout", data))
        if not self._paused and self._chan is not None and self.events.qsize() >= HIGH_WATER:
            self._paused = True  # a slow reader: let SSH flow control hold the server back
            self._chan.pause_reading()

    def consumed(self) -> None:
        if self._paused and self._chan is not None and self.events.qsize() < HIGH_WATER // 2:
            self._paused = False
            self._chan.resume_reading()

    def exit_status_received(self, status: int) -> None:
        self.exit_code = status

    def exit_signal_received(
        self, signal_name: str, core_dumped: bool, msg: str, lang: str
    ) -> None:
        try:
            self.exit_code = 128 + signal.Signals["SIG" + signal_name].value
        except KeyError:
            self.exit_code = 255

    def connection_lost(self, exc: Exception | None) -> None:
        self.error = exc
        self.events.put_nowait(None)

    async def send_stdin(self, data: bytes) -> None:
        assert self._chan is not None
        try:
            if data:
                self._chan.write(data)
            self._chan.write_eof()
        except (asyncssh.Error, OSError, BrokenPipeError):
            pass  # the command already ended (e.g. sudo refused before reading stdin)

    def abort(self) -> None:
        if self._chan is not None:
            self._chan.close()

    def release(self) -> None:
        self._release()


class _Client(asyncssh.SSHClient):
    def __init__(self, checker: HostKeyChecker, on_lost: Callable[[_Client], None]) -> None:
        self._checker = checker
        self._on_lost = on_lost

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        return self._checker.decide(host, addr, port, key)

    def connection_lost(self, exc: Exception | None) -> None:
        self._on_lost(self)


class SSHConnector(ShellConnector):
    """One host over SSH. Connects on first use (or :meth:`connect`); safe to share between
    concurrent tasks."""

    def __init__(self, config: ConnectionConfig) -> None:
        super().__init__(config)
        self._conn: asyncssh.SSHClientConnection | None = None
        self._bastion: SSHConnector | None = None
        self._lost = False
        self._client: _Client | None = None  # the asyncssh client of the current connection
        self._connect_lock = asyncio.Lock()
        self._sessions = asyncio.Semaphore(config.max_sessions)
        self._kill_sessions = asyncio.Semaphore(KILL_SLOTS)
        self.connections_made = 0  # how many SSH connections this connector has opened

    @property
    def is_connected(self) -> bool:
        return self._conn is not None and not self._lost

    @property
    def is_root(self) -> bool:
        return (self.config.user or local_username()) == "root"

    @property
    def connection(self) -> asyncssh.SSHClientConnection | None:
        """The live asyncssh connection (for identity checks and diagnostics)."""
        return self._conn if self.is_connected else None

    async def connect(self) -> None:
        await self._connection()

    async def close(self) -> None:
        async with self._connect_lock:
            await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            await conn.wait_closed()
        if self._bastion is not None:
            await self._bastion.close()
            self._bastion = None

    async def _connection(self) -> asyncssh.SSHClientConnection:
        async with self._connect_lock:
            if self._conn is None or self._lost:
                if self._conn is not None:
                    log.debug("%s: connection dropped, reconnecting", self.label)
                await self._drop()
                self._conn = await self._open_connection()
                self._lost = False
                self.connections_made += 1
            return self._conn

    def _new_client(self, checker: HostKeyChecker) -> _Client:
        self._client = _Client(checker, self._mark_lost)
        return self._client

    def _mark_lost(self, client: _Client) -> None:
        if client is self._client:  # a late notice from a replaced connection changes nothing
            self._lost = True

    async def _open_connection(self) -> asyncssh.SSHClientConnection:
        cfg = self.config
        tunnel: asyncssh.SSHClientConnection | None = None
        if cfg.bastion is not None:
            self._bastion = SSHConnector(cfg.bastion)
            tunnel = await self._bastion._connection()
        checker = HostKeyChecker(cfg)
        log.debug("%s: connecting", self.label)
        try:
            return await asyncssh.connect(
                cfg.host,
                cfg.port,
                tunnel=tunnel,
                username=cfg.user or local_username(),
                password=cfg.password.reveal() if cfg.password else None,
                known_hosts=checker.asyncssh_known_hosts(),
                client_factory=lambda: self._new_client(checker),
                connect_timeout=cfg.timeout,
                login_timeout=cfg.timeout,
                keepalive_interval=cfg.keepalive_interval,
                keepalive_count_max=KEEPALIVE_COUNT_MAX,
                config=None,  # ~/.ssh/config is read by the inventory, not behind its back
                **self._key_options(),
            )
        except asyncssh.HostKeyNotVerifiable as exc:
            raise checker.error(str(exc)) from None
        except asyncssh.PermissionDenied:
            raise AuthError(
                f"{self.label} refused the login of user {cfg.user!r} "
                f"({self._auth_methods()}); check the user name, password or key for this host",
                host=self.label,
            ) from None
        except TimeoutError:
            raise ConnectError(
                f"connecting to {self.label} timed out after {cfg.timeout:g}s (TCP connect, "
                "SSH handshake and login); check that the host is up and sshd answers "
                f"on port {cfg.port}",
                host=self.label,
            ) from None
        except (asyncssh.Error, OSError) as exc:
            via = f" via bastion {cfg.bastion.label}" if cfg.bastion is not None else ""
            raise ConnectError(
                f"could not connect to {self.label}{via}: {exc}; check the address, port "
                "and that sshd is running",
                host=self.label,
            ) from None

    def _auth_methods(self) -> str:
        cfg = self.config
        methods = [
            name
            for name, used in (
                ("password", cfg.password is not None),
                ("key", cfg.private_key is not None or cfg.private_key_path is not None),
                ("agent", cfg.use_agent),
            )
            if used
        ]
        return "tried " + (", ".join(methods) or "default keys")

    def _key_options(self) -> dict[str, Any]:
        cfg = self.config
        passphrase = cfg.passphrase.reveal() if cfg.passphrase else None
        options: dict[str, Any] = {"agent_path": () if cfg.use_agent else None}
        source = cfg.private_key_path or "the private key text"
        try:
            if cfg.private_key is not None:
                options["client_keys"] = [
                    asyncssh.import_private_key(cfg.private_key.reveal(), passphrase)
                ]
            elif cfg.private_key_path is not None:
                options["client_keys"] = [
                    asyncssh.read_private_key(cfg.private_key_path, passphrase)
                ]
        except (asyncssh.KeyImportError, asyncssh.KeyEncryptionError, OSError) as exc:
            hint = "a passphrase is needed" if passphrase is None else "check the passphrase"
            raise AuthError(
                f"could not load {source} for {self.label}: {exc}; {hint} and that the file "
                "is a readable private key",
                host=self.label,
            ) from None
        return options

    # -- channels ---------------------------------------------------------------------------

    async def _open_channel(self, prepared: PreparedCommand) -> Channel:
        await self._sessions.acquire()
        try:
            return await self._open_session(prepared, self._sessions.release)
        except BaseException:
            self._sessions.release()
            raise

    async def _open_kill_channel(self, prepared: PreparedCommand) -> Channel:
        await self._kill_sessions.acquire()
        try:
            return await self._open_session(prepared, self._kill_sessions.release)
        except BaseException:
            self._kill_sessions.release()
            raise

    async def _open_session(
        self, prepared: PreparedCommand, release: Callable[[], None]
    ) -> Channel:
        reconnected = False
        refused = 0
        while True:
            conn = await self._connection()
            try:
                _chan, session = await conn.create_session(
                    lambda: _Session(release), prepared.line, encoding=None
                )
                assert isinstance(session, _Session)
                return session
            except (asyncssh.Error, OSError) as exc:
                if self._lost or conn.is_closed():
                    if reconnected:  # a fresh connection died as well: not transparent
                        raise self._transport_error(exc) from None
                    self._lost = True
                    reconnected = True
                    continue
                if isinstance(exc, asyncssh.ChannelOpenError) and refused < OPEN_RETRIES:
                    refused += 1  # the server's session limit: wait for a channel to close
                    await asyncio.sleep(0.1 * refused)
                    continue
                raise self._transport_error(exc) from None

    def _transport_error(self, exc: BaseException) -> KxError:
        return ConnectError(
            f"could not start a command on {self.label}: {exc}; check the host and retry",
            host=self.label,
        )
