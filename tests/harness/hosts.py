"""Tier-2 harness: isolated test hosts with their own root filesystem (see test-hosts.md).

Each host is an overlayfs (lower: the session's user layer over the cached Debian image,
see image.py; upper: the host's own) mounted at ``root`` in the test process's mount namespace,
so tests can inspect it from outside. ``unshare --mount --uts --pid --fork --kill-child`` then
mounts /proc, a minimal /dev, tmpfs /run and /tmp, read-only /proc/sys and /sys inside, sets
the hostname, drops capabilities from the bounding set and runs ``chroot <root> sshd -D`` as the
PID namespace's init, listening on the host's own loopback address (the machine's network
namespace, so ``apt-get`` inside reaches the mirror).

Teardown SIGKILLs the recorded ``unshare`` (``--kill-child`` takes the whole PID namespace),
unmounts the overlay and removes the host's directory, also when the test failed.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
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
from tests.harness.image import COMPLETE_MARK, ensure_image, image_path
from tests.harness.procs import HarnessError, Owned
from tests.harness.sshd import SSHD_DEFAULTS, SshEnv
from tests.harness.users import write_user_layer

__all__ = [
    "TestHost",
    "config_for_host",
    "ensure_image",
    "start_hosts",
    "stop_all_hosts",
    "stop_test_hosts",
]

# capabilities no test needs and that reach beyond the host: modules, raw I/O, the clock,
# device nodes, reboot, kernel log, process accounting, LSM policy
DROPPED_CAPS = (
    "sys_module,sys_rawio,sys_time,mknod,sys_boot,syslog,sys_pacct,mac_admin,mac_override,"
    "wake_alarm,block_suspend,audit_control"
)
OWNER_FILE = "kx-owner.pid"
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")


@dataclass
class TestHost:
    __test__ = False  # not a pytest test class

    name: str
    address: str
    port: int
    pid: int  # the ``unshare`` process; its PID namespace is the host
    root: Path  # the host's merged root filesystem, mounted in the test process too
    upper: Path  # the host's own writable layer
    log_path: Path
    env: SshEnv = field(repr=False)
    _proc: subprocess.Popen[bytes] = field(repr=False)
    _dir: Path = field(repr=False)
    host_pubkey_line: str = ""  # "ssh-ed25519 AAAA..."
    host_key_fingerprint: str = ""  # SHA256:...

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        stop_test_hosts([self])


_hosts: list[TestHost] = []
_layers: dict[tuple[Path, str, Path], Path] = {}
_layers_lock = threading.Lock()
_names = itertools.count(1)


def _user_layer(env: SshEnv, image: Path) -> Path:
    """The session's users, keys, sudoers, resolv.conf and policy-rc.d as an overlay layer
    over ``image``."""
    with _layers_lock:
        key = (env.tmp, env.keys.public_line, image)  # one per env (its keys are unique)
        if key not in _layers:
            layer = env.tmp / f"host-users-{image.name}"
            shutil.rmtree(layer, ignore_errors=True)
            write_user_layer(image / "etc", layer, env.keys, env.password)
            shutil.copy(Path("/etc/resolv.conf").resolve(), layer / "etc/resolv.conf")
            # hosts share the machine's network namespace: a package's postinst must not
            # start a daemon on 0.0.0.0 (tests start services with `service`, which ignores it)
            policy = layer / "usr/sbin/policy-rc.d"
            policy.parent.mkdir(parents=True, exist_ok=True)
            policy.write_text(
                "#!/bin/sh\n# kxconsole test host: no daemon starts from apt\nexit 101\n"
            )
            policy.chmod(0o755)
            _layers[key] = layer
        return _layers[key]


def _sshd_config(address: str, port: int) -> str:
    options = {**SSHD_DEFAULTS, "HostKey": "/etc/ssh/kx_host_ed25519_key"}
    return f"ListenAddress {address}:{port}\n" + "".join(f"{k} {v}\n" for k, v in options.items())


def _host_script(name: str, root: Path) -> str:
    """What runs as PID 1 of the new namespaces, ending in ``exec chroot … sshd``."""
    m = shlex.quote(str(root))
    lines = [
        "set -e",
        f"mount -t proc -o nosuid,nodev,noexec proc {m}/proc",
        f"mount -t tmpfs -o mode=755,nosuid tmpfs {m}/dev",
    ]
    for dev in DEVICES:
        lines += [f"touch {m}/dev/{dev}", f"mount --bind /dev/{dev} {m}/dev/{dev}"]
    lines += [
        f"mkdir -m 755 {m}/dev/pts {m}/dev/shm",
        f"mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts {m}/dev/pts",
        f"ln -s pts/ptmx {m}/dev/ptmx",
        f"mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs {m}/dev/shm",
        f"ln -s /proc/self/fd {m}/dev/fd",
        f"ln -s /proc/self/fd/0 {m}/dev/stdin",
        f"ln -s /proc/self/fd/1 {m}/dev/stdout",
        f"ln -s /proc/self/fd/2 {m}/dev/stderr",
        f"mount -t tmpfs -o mode=755,nosuid,nodev tmpfs {m}/run",
        f"mkdir -m 755 {m}/run/sshd {m}/run/lock",
        f"mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs {m}/tmp",
        # kernel settings under fs.* and kernel.* are not namespaced: never writable inside
        f"mount --bind {m}/proc/sys {m}/proc/sys",
        f"mount -o remount,bind,ro {m}/proc/sys",
        f"if [ -e {m}/proc/sysrq-trigger ]; then"
        f" mount --bind {m}/proc/sysrq-trigger {m}/proc/sysrq-trigger &&"
        f" mount -o remount,bind,ro {m}/proc/sysrq-trigger; fi",
        f"mount -t sysfs -o ro,nosuid,nodev,noexec sysfs {m}/sys",
        f"hostname {shlex.quote(name)}",
        f"exec setpriv --bounding-set -{DROPPED_CAPS.replace(',', ',-')} "
        f"chroot {m} /usr/sbin/sshd -D -e -f /etc/ssh/kx_sshd_config",
    ]
    return "\n".join(lines) + "\n"


_stale_checked = False


def _reap_stale_hosts() -> None:
    """Unmount the overlays of test hosts whose test process died without tearing down
    (SIGKILL): their directory records the owner's PID."""
    global _stale_checked
    if _stale_checked:
        return
    _stale_checked = True
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        mountpoint = Path(fields[4])
        fstype = fields[fields.index("-") + 1]
        owner_file = mountpoint.parent / OWNER_FILE
        if fstype != "overlay" or mountpoint.name != "root" or not owner_file.exists():
            continue
        with contextlib.suppress(OSError, ValueError):
            owner = int(owner_file.read_text())
            if owner != os.getpid() and procs.is_gone(owner):
                _unmount(mountpoint)
                shutil.rmtree(mountpoint.parent, ignore_errors=True)


def _spawn(env: SshEnv, image: Path, layer: Path, name: str, port: int) -> TestHost:
    address = loopback.allocate(port)
    base = env.tmp / "test-hosts" / name
    shutil.rmtree(base, ignore_errors=True)
    upper, work, root = base / "upper", base / "work", base / "root"
    for d in (upper / "etc/ssh", work, root):
        d.mkdir(parents=True)
    (upper / "etc").chmod(0o755)
    (upper / "etc/ssh").chmod(0o755)
    key = asyncssh.generate_private_key("ssh-ed25519", comment=name)
    fd = os.open(upper / "etc/ssh/kx_host_ed25519_key", os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.export_private_key("openssh"))
    (upper / "etc/ssh/kx_host_ed25519_key.pub").write_bytes(key.export_public_key("openssh"))
    (upper / "etc/ssh/kx_sshd_config").write_text(_sshd_config(address, port))
    (base / OWNER_FILE).write_text(str(os.getpid()))
    (upper / "etc/hostname").write_text(name + "\n")
    # sudo warns on every call when the host name does not resolve
    (upper / "etc/hosts").write_text(
        f"127.0.0.1\tlocalhost\n127.0.1.1\t{name}\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    )
    lower = f"{layer}:{image}"
    mount = subprocess.run(
        [
            "mount",
            "-t",
            "overlay",
            "overlay",
            "-o",
            f"lowerdir={lower},upperdir={upper},workdir={work}",
            str(root),
        ],
        capture_output=True,
        text=True,
    )
    if mount.returncode != 0:
        raise HarnessError(f"could not mount the overlay for test host {name}: {mount.stderr}")
    log_path = base / "host.log"
    try:
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [
                    *procs.DIE_WITH_PARENT,
                    "unshare",
                    "--mount",
                    "--uts",
                    "--pid",
                    "--fork",
                    "--kill-child",
                    "--propagation",
                    "private",
                    "--",
                    "sh",
                    "-c",
                    _host_script(name, root),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
    except BaseException:
        _unmount(root)
        raise
    pub = key.export_public_key("openssh").decode().split()
    host = TestHost(
        name,
        address,
        port,
        proc.pid,
        root,
        upper,
        log_path,
        env,
        proc,
        base,
        host_pubkey_line=f"{pub[0]} {pub[1]}",
        host_key_fingerprint=key.get_fingerprint("sha256"),
    )
    _hosts.append(host)
    return host


def _unmount(root: Path) -> None:
    for _ in range(50):  # bounded: the namespace's copy of the mount may take a moment to go
        if subprocess.run(["umount", str(root)], capture_output=True).returncode == 0:
            return
        if not _is_mounted(root):
            return
        threading.Event().wait(0.05)
    subprocess.run(["umount", "-l", str(root)], capture_output=True)


def _is_mounted(path: Path) -> bool:
    text = Path("/proc/self/mountinfo").read_text()
    return any(line.split()[4] == str(path) for line in text.splitlines())


def start_hosts(env: SshEnv, n: int, *, port: int = 22) -> list[TestHost]:
    """Start ``n`` isolated hosts, wait until each one's sshd listens and add their host keys
    to ``env.known_hosts_path``."""
    image = ensure_image()
    _reap_stale_hosts()
    layer = _user_layer(env, image)
    spawned: list[TestHost] = []
    try:
        todo = [_spawn(env, image, layer, f"testhost{next(_names)}", port) for _ in range(n)]
        spawned += todo
        for _attempt in range(3):
            died = procs.wait_listening(
                todo,
                lambda h: h._proc.poll() is None,
                lambda h, parents: [h.pid, *procs.descendants_of(h.pid, parents)],
            )
            if not died:
                break
            for h in died:
                # another process may have taken the address between probe and bind: retry
                if "Address already in use" not in h.log_tail(50):
                    raise HarnessError(
                        f"test host {h.name} ({h.address}:{h.port}) exited with "
                        f"{h._proc.returncode} while starting; log {h.log_path}:\n{h.log_tail()}"
                    )
            stop_test_hosts(died)
            spawned = [h for h in spawned if h not in died]
            todo = [_spawn(env, image, layer, f"testhost{next(_names)}", port) for _ in died]
            spawned += todo
        else:
            raise HarnessError(f"{len(died)} test hosts could not bind a free loopback address")
    except BaseException:
        stop_test_hosts(spawned)
        raise
    for h in spawned:
        env.add_known_host(h.address, h.port, h.host_pubkey_line)
    return spawned


def stop_test_hosts(hosts: list[TestHost]) -> None:
    """Kill each host's whole PID namespace, unmount its overlay, remove its directory."""
    procs.kill_owned([Owned(h._proc, ("unshare", "setpriv")) for h in hosts])
    for h in hosts:
        _unmount(h.root)
        shutil.rmtree(h._dir, ignore_errors=True)
        with contextlib.suppress(ValueError):
            _hosts.remove(h)
    for env in {id(h.env): h.env for h in hosts}.values():
        env.forget_known_hosts({(h.address, h.port) for h in hosts if h.env is env})


def stop_all_hosts() -> None:
    stop_test_hosts(list(_hosts))


atexit.register(stop_all_hosts)


def config_for_host(
    h: TestHost, env: SshEnv, user: str = "key", **overrides: Any
) -> ConnectionConfig:
    """A ConnectionConfig for a test user on an isolated host (``key``: kxkey with
    passwordless sudo; ``password``: kxpass, sudo with its password; ``nosudo``; ``tty``)."""
    return connection_config(h.name, h.address, h.port, env, user, **overrides)


# ---------------------------------------------------------------- pytest fixtures

_image_error: HarnessError | None = None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Build the image (once per machine and recipe, minutes) before the first test that
    needs it, outside that test's timeout. A failure fails those tests, with the reason."""
    global _image_error
    if not any("test_hosts" in getattr(item, "fixturenames", ()) for item in items):
        return
    if not (image_path() / COMPLETE_MARK).exists():
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"building the isolated-host image {image_path()} (once)")
    try:
        ensure_image()
    except HarnessError as e:
        _image_error = e


@pytest.fixture
def test_hosts(ssh_env: SshEnv) -> Iterator[Callable[[int], list[TestHost]]]:
    """A factory: ``test_hosts(n=1) -> list[TestHost]``; all are torn down when the test ends,
    whatever its outcome."""
    started: list[TestHost] = []

    def start(n: int = 1) -> list[TestHost]:
        if _image_error is not None:
            pytest.fail(str(_image_error), pytrace=False)
        try:
            hosts = start_hosts(ssh_env, n)
        except HarnessError as e:
            pytest.fail(str(e), pytrace=False)
        started.extend(hosts)
        return hosts

    yield start
    stop_test_hosts(started)


@pytest.fixture
def test_host(test_hosts: Callable[[int], list[TestHost]]) -> TestHost:
    return test_hosts(1)[0]
