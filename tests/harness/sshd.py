"""Tier-1 harness: real OpenSSH sshd processes on loopback addresses (see test-hosts.md).

Every sshd runs in a private mount namespace (one per :class:`SshEnv`, held open by a
``sleep`` and entered with ``nsenter``) in which copies of /etc/passwd, /etc/shadow,
/etc/group, /etc/gshadow with the test users appended, a private /etc/sudoers.d, the homes
(/home) and the login records are bind-mounted over the real ones. The real /etc is never
written. Each sshd is a direct child of the test process (``nsenter`` execs into it), listens
on its own 127.A.B.C:22 and is killed by PID, with every process it spawned.

Usable outside pytest (benchmarks)::

    env = start_ssh_env(Path(tempfile.mkdtemp()))
    hosts = start_sshd_fleet(env, 50)
    ...
    stop_all()
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import secrets
import shlex
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from kxconsole.connector.base import ConnectionConfig
from tests.harness import loopback, procs
from tests.harness.configs import connection_config
from tests.harness.procs import HarnessError, Owned
from tests.harness.users import ClientKeys, make_client_keys, write_user_layer

__all__ = [
    "SSHD_DEFAULTS",
    "HarnessError",
    "SshEnv",
    "SshdHost",
    "config_for",
    "connection_config",
    "ssh_env",
    "sshd_fleet",
    "sshd_host",
    "start_ssh_env",
    "start_sshd_fleet",
    "stop_all",
    "stop_hosts",
]

LOGIN_RECORDS = ("/var/log/wtmp", "/var/log/btmp", "/var/log/lastlog", "/run/utmp")

SSHD_DEFAULTS = {
    "PidFile": "none",
    # sshd reads the (bind-mounted) shadow itself; PAM would add its 2 s failure delay and its
    # session modules (motd, loginuid) that write to the real machine's /run and /proc
    "UsePAM": "no",
    "PasswordAuthentication": "yes",
    "KbdInteractiveAuthentication": "no",
    "PubkeyAuthentication": "yes",
    "PermitRootLogin": "no",
    "StrictModes": "no",
    # the default 10:30:100 drops many simultaneous connects (benchmarks open 50 at once)
    "MaxStartups": "100:30:200",
    "LogLevel": "ERROR",
    "UseDNS": "no",
    "PrintMotd": "no",
    "PrintLastLog": "no",
    "Subsystem": "sftp internal-sftp",
}


@dataclass
class SshEnv:
    """One pytest session's users, client keys and known_hosts, and the mount namespace that
    holds the users."""

    tmp: Path
    client_key_path: Path
    encrypted_key_path: Path
    # secrets stay out of repr, so a failing test's report does not print them
    key_passphrase: str = field(repr=False)
    password: str = field(repr=False)
    known_hosts_path: Path
    keys: ClientKeys = field(repr=False)
    user_layer: Path  # etc/ and home/ as mounted over the system's in the namespace
    uids: dict[str, int]
    namespace_pid: int  # the process holding the mount namespace
    mount_namespace: str  # its id, "mnt:[...]"
    _namespace: procs.PinnedNamespace | None = field(default=None, repr=False)
    key_user: str = "kxkey"
    password_user: str = "kxpass"
    nosudo_user: str = "kxnosudo"
    tty_user: str = "kxtty"
    _holder: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _known_hosts_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_known_host(self, address: str, port: int, pubkey_line: str) -> None:
        host = address if port == 22 else f"[{address}]:{port}"
        with self._known_hosts_lock, self.known_hosts_path.open("a") as f:
            f.write(f"{host} {pubkey_line}\n")

    def forget_known_hosts(self, endpoints: set[tuple[str, int]]) -> None:
        names = {a if p == 22 else f"[{a}]:{p}" for a, p in endpoints}
        with self._known_hosts_lock, contextlib.suppress(FileNotFoundError):
            lines = self.known_hosts_path.read_text().splitlines(keepends=True)
            kept = [line for line in lines if line.split(" ", 1)[0] not in names]
            self.known_hosts_path.write_text("".join(kept))

    def stop(self) -> None:
        """Stop this environment's sshd processes and its namespace."""
        stop_hosts([h for h in _hosts if h.env is self])
        if self._holder is not None:
            holder = Owned(self._holder, ("sleep", "sh", "setpriv", "unshare"), self._namespace)
            procs.kill_owned([holder])
            self._holder = None
        with contextlib.suppress(ValueError):
            _envs.remove(self)


@dataclass
class SshdHost:
    name: str
    address: str
    port: int
    pid: int
    host_key_fingerprint: str  # SHA256:...
    host_pubkey_line: str  # "ssh-ed25519 AAAA..."
    log_path: Path
    env: SshEnv = field(repr=False)
    _proc: subprocess.Popen[bytes] = field(repr=False)
    # each sshd has a mount namespace of its own (a copy of the env's), so that processes
    # which outlive their session (re-parented to init) are still found and killed
    namespace: procs.PinnedNamespace | None = field(default=None, repr=False)

    def kill_session_children(self) -> int:
        """SIGKILL every per-connection sshd child (and what runs under it): each client sees
        its connection drop. Returns how many connections were cut."""
        table = procs.process_table()
        parents = {pid: ppid for pid, (ppid, _) in table.items()}
        children = [p for p in procs.children_of(self.pid, parents) if procs.comm(p) == "sshd"]
        tree: list[int] = []
        for child in children:
            tree += [child, *procs.descendants_of(child, parents)]
        procs.kill_pids(tree, {pid: table[pid][1] for pid in tree})
        procs.wait_gone(tree)
        return len(children)

    def stop(self) -> None:
        """Kill this sshd, its sessions and everything they started; idempotent."""
        stop_hosts([self])

    def _owned(self) -> Owned:
        return Owned(self._proc, ("sshd", "setpriv", "nsenter", "unshare"), self.namespace)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


_hosts: list[SshdHost] = []
_envs: list[SshEnv] = []
_names = itertools.count(1)


def _require(tool: str, package: str) -> str:
    path = shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if path is None:
        raise HarnessError(
            f"the sshd test harness needs `{tool}` (Debian package {package}); "
            f"install it (.ci/run does) — these tests fail rather than skip without it"
        )
    return path


def start_ssh_env(tmp: Path) -> SshEnv:
    """Generate client keys, the test users and the mount namespace that holds them."""
    _require("sshd", "openssh-server")
    unshare = _require("unshare", "util-linux")
    _require("nsenter", "util-linux")
    _require("openssl", "openssl")
    if os.geteuid() != 0:
        raise HarnessError("the sshd test harness must run as root (it runs sshd and mounts)")
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege-separation dir

    tmp.mkdir(parents=True, exist_ok=True)
    password = "kx-" + secrets.token_urlsafe(12)
    keys = make_client_keys(tmp / "client", passphrase="kx-phrase-" + secrets.token_urlsafe(8))
    layer = tmp / "users"
    uids = write_user_layer(Path("/etc"), layer, keys, password)
    known_hosts = tmp / "known_hosts"
    known_hosts.touch()

    mounts = [(layer / "etc" / name, f"/etc/{name}") for name in ("passwd", "shadow", "group")]
    if (layer / "etc" / "gshadow").exists():
        mounts.append((layer / "etc" / "gshadow", "/etc/gshadow"))
    mounts += [(layer / "etc" / "sudoers.d", "/etc/sudoers.d"), (layer / "home", "/home")]
    records = tmp / "login-records"
    records.mkdir(exist_ok=True)
    for record in LOGIN_RECORDS:
        if os.path.exists(record):
            (records / os.path.basename(record)).touch()
            mounts.append((records / os.path.basename(record), record))
    script = "set -e\n"
    script += "".join(f"mount --bind {shlex.quote(str(s))} {shlex.quote(d)}\n" for s, d in mounts)
    script += "echo ready\nexec sleep infinity\n"
    holder = subprocess.Popen(
        [
            *procs.DIE_WITH_PARENT,
            *(unshare, "--mount", "--propagation", "private", "--"),
            *("sh", "-c", script),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert holder.stdout is not None and holder.stderr is not None
    line = holder.stdout.readline()  # bounded: sh either prints or exits
    if line.strip() != b"ready":
        holder.wait(timeout=10)
        raise HarnessError(
            "could not set up the private mount namespace for the test users "
            f"(unshare --mount + bind mounts): {holder.stderr.read().decode(errors='replace')}"
        )
    pinned = procs.pin_mount_ns(holder.pid)
    if pinned is None:
        raise HarnessError(f"unshare --mount (pid {holder.pid}) did not make a mount namespace")
    env = SshEnv(
        tmp=tmp,
        client_key_path=keys.key_path,
        encrypted_key_path=keys.encrypted_key_path,
        key_passphrase=keys.passphrase,
        password=password,
        known_hosts_path=known_hosts,
        keys=keys,
        user_layer=layer,
        uids=uids,
        namespace_pid=holder.pid,
        mount_namespace=pinned.id,
        _namespace=pinned,
        _holder=holder,
    )
    _envs.append(env)
    return env


def _sshd_config(address: str, port: int, host_key: Path, options: dict[str, str]) -> str:
    merged = {k.lower(): (k, v) for k, v in SSHD_DEFAULTS.items()}
    merged.update({k.lower(): (k, str(v)) for k, v in options.items()})
    lines = [f"ListenAddress {address}:{port}", f"HostKey {host_key}"]
    lines += [f"{k} {v}" for k, v in merged.values()]
    return "\n".join(lines) + "\n"


def _spawn(env: SshEnv, name: str, port: int, options: dict[str, str]) -> SshdHost:
    sshd = _require("sshd", "openssh-server")
    address = loopback.allocate(port)
    home = env.tmp / "hosts" / name
    home.mkdir(parents=True, exist_ok=True)
    key = asyncssh.generate_private_key("ssh-ed25519", comment=name)
    key_path = home / "ssh_host_ed25519_key"
    with contextlib.suppress(FileNotFoundError):
        key_path.unlink()
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.export_private_key("openssh"))
    config = home / "sshd_config"
    config.write_text(_sshd_config(address, port, key_path, options))
    log_path = home / "sshd.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                *procs.DIE_WITH_PARENT,
                *("nsenter", f"--mount=/proc/{env.namespace_pid}/ns/mnt", "--"),
                *("unshare", "--mount", "--propagation", "private", "--"),
                *(sshd, "-D", "-e", "-f", str(config)),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    pub = key.export_public_key("openssh").decode().split()
    host = SshdHost(
        name=name,
        address=address,
        port=port,
        pid=proc.pid,
        host_key_fingerprint=key.get_fingerprint("sha256"),
        host_pubkey_line=f"{pub[0]} {pub[1]}",
        log_path=log_path,
        env=env,
        _proc=proc,
    )
    _hosts.append(host)
    return host


def start_sshd_fleet(env: SshEnv, n: int, *, port: int = 22, **sshd_options: str) -> list[SshdHost]:
    """Start ``n`` sshd (each with its own host key and loopback address), wait until all
    listen and add their keys to ``env.known_hosts_path``. ``sshd_options`` are sshd_config
    keywords that override the defaults, e.g. ``MaxSessions="2"``."""
    spawned: list[SshdHost] = []
    try:
        todo = [_spawn(env, f"sshd{next(_names)}", port, sshd_options) for _ in range(n)]
        spawned += todo
        for _attempt in range(3):
            died = procs.wait_listening(
                todo, lambda h: h._proc.poll() is None, lambda h, _: [h.pid]
            )
            if not died:
                break
            # another process may have taken the address between probe and bind: retry
            for h in died:
                if "Address already in use" not in h.log_path.read_text(errors="replace"):
                    raise HarnessError(
                        f"sshd {h.name} on {h.address}:{h.port} exited with "
                        f"{h._proc.returncode}; log {h.log_path}:\n{h.log_tail()}"
                    )
                h.stop()
                spawned.remove(h)
            todo = [_spawn(env, h.name, port, sshd_options) for h in died]
            spawned += todo
        else:
            raise HarnessError(f"{len(died)} sshd could not bind a free loopback address")
    except BaseException:
        for h in spawned:
            h.stop()
        raise
    hosts = sorted(spawned, key=lambda h: int(h.name[4:]))
    for h in hosts:
        # listening, so sshd has been exec'd into a namespace of its own: pin it
        pinned_ns = procs.pin_mount_ns(h.pid)
        if pinned_ns is not None and pinned_ns.id == env.mount_namespace:
            pinned_ns.release()
            pinned_ns = None
        h.namespace = pinned_ns
    for h in hosts:
        env.add_known_host(h.address, h.port, h.host_pubkey_line)
    return hosts


def stop_hosts(hosts: list[SshdHost]) -> None:
    """Stop many sshd at once (one pass over /proc): each with its sessions, and whatever
    they left running; their known_hosts lines are removed."""
    procs.kill_owned([h._owned() for h in hosts])
    for h in hosts:
        with contextlib.suppress(ValueError):
            _hosts.remove(h)
    for env in {id(h.env): h.env for h in hosts}.values():
        gone = {(h.address, h.port) for h in hosts if h.env is env}
        env.forget_known_hosts(gone)


def stop_all() -> None:
    """Stop every sshd and namespace this process started (also registered with atexit)."""
    stop_hosts(list(_hosts))
    for env in list(_envs):
        env.stop()


atexit.register(stop_all)


def config_for(
    host: SshdHost, env: SshEnv, user: str = "key", **overrides: Any
) -> ConnectionConfig:
    """A ConnectionConfig for one of the test users: ``key`` (kxkey, key file), ``password``
    (kxpass), ``nosudo`` (kxnosudo), ``tty`` (kxtty, key file and password)."""
    return connection_config(host.name, host.address, host.port, env, user, **overrides)


# ---------------------------------------------------------------- pytest fixtures


@pytest.fixture(scope="session")
def ssh_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshEnv]:
    try:
        env = start_ssh_env(tmp_path_factory.mktemp("ssh-env"))
    except HarnessError as e:
        pytest.fail(str(e), pytrace=False)
    yield env
    env.stop()


@pytest.fixture
def sshd_fleet(ssh_env: SshEnv) -> Iterator[Callable[..., list[SshdHost]]]:
    """A factory: ``sshd_fleet(n=1, **sshd_options) -> list[SshdHost]``; all are stopped when
    the test ends, whatever its outcome."""
    started: list[SshdHost] = []

    def start(n: int = 1, **sshd_options: str) -> list[SshdHost]:
        try:
            hosts = start_sshd_fleet(ssh_env, n, port=22, **sshd_options)
        except HarnessError as e:
            pytest.fail(str(e), pytrace=False)
        started.extend(hosts)
        return hosts

    yield start
    stop_hosts(started)


@pytest.fixture
def sshd_host(sshd_fleet: Callable[..., list[SshdHost]]) -> SshdHost:
    return sshd_fleet(1)[0]
