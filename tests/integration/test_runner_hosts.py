"""The runner's mutating methods against isolated Debian test hosts over real SSH.

Every mutating method runs TWICE: the first call changes the host (``changed`` True), the
second finds nothing to do (``changed`` False) and leaves the host as the first left it. The
host's state is read from outside through ``TestHost.root`` (its mounted root filesystem).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import os
import tarfile
import threading
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kxconsole.connector import Connector, SSHConnector
from kxconsole.runner import Change, Facts, InitSystemType, PackageManagerType, Runner
from tests.harness.hosts import TestHost, config_for_host
from tests.harness.sshd import SshEnv

pytestmark = pytest.mark.hosts

RUNNER = Runner()


@dataclass
class Target:
    host: TestHost
    conn: Connector
    facts: Facts

    def path(self, inside: str) -> Path:
        """Where a path inside the host is, seen from the test process."""
        return self.host.root / inside.lstrip("/")


@pytest.fixture
async def target(ssh_env: SshEnv, test_host: TestHost) -> AsyncIterator[Target]:
    async with SSHConnector(config_for_host(test_host, ssh_env)) as conn:
        yield Target(test_host, conn, await RUNNER.gather_facts(conn))


async def twice(call: Callable[[], Awaitable[Change]]) -> tuple[Change, Change]:
    first = await call()
    assert first.changed, f"first call changed nothing: {first}"
    second = await call()
    assert not second.changed, f"second call changed again: {second}"
    return first, second


def passwd_entry(t: Target, name: str, db: str = "passwd") -> list[str]:
    lines = t.path(f"/etc/{db}").read_text().splitlines()
    found = [line.split(":") for line in lines if line.split(":")[0] == name]
    assert len(found) == 1, f"{name} appears {len(found)} times in /etc/{db}"
    return found[0]


async def test_gather_facts(target: Target) -> None:
    f = target.facts
    assert f.hostname == target.host.name
    assert (f.os.id, f.os.version_id, f.os.codename) == ("debian", "12", "bookworm")
    assert f.kernel == os.uname().release
    assert f.package_manager.type == PackageManagerType.APT
    assert f.init_system.type == InitSystemType.SYSVINIT  # no /run/systemd/system inside
    assert f.total_cpu >= 1 and f.total_memory > 0


async def test_install_and_remove_packages(target: Target) -> None:
    t = target
    assert not await RUNNER.is_package_installed(t.conn, t.facts, "hello")
    await twice(lambda: RUNNER.install_packages(t.conn, t.facts, "hello", "sl"))
    assert t.path("/usr/bin/hello").exists() and t.path("/usr/games/sl").exists()
    assert await RUNNER.is_package_installed(t.conn, t.facts, "hello")
    assert (await RUNNER.run(t.conn, "hello")).strip() == "Hello, world!"
    await twice(lambda: RUNNER.remove_packages(t.conn, t.facts, "hello", "sl"))
    assert not t.path("/usr/bin/hello").exists() and not t.path("/usr/games/sl").exists()
    assert not await RUNNER.is_package_installed(t.conn, t.facts, "hello")


async def test_add_group_and_user(target: Target) -> None:
    t = target
    await twice(lambda: RUNNER.add_group(t.conn, "kxgroup", False))
    gid = passwd_entry(t, "kxgroup", "group")[2]
    assert await RUNNER.group_exists(t.conn, "kxgroup")
    await twice(
        lambda: RUNNER.add_user(t.conn, "kxuser", "kxgroup", "/bin/sh", "/home/kxuser", True)
    )
    entry = passwd_entry(t, "kxuser")
    assert (entry[3], entry[5], entry[6]) == (gid, "/home/kxuser", "/bin/sh")
    home = t.path("/home/kxuser").stat()
    assert (home.st_uid, home.st_gid) == (int(entry[2]), int(gid))
    assert await RUNNER.user_exists(t.conn, "kxuser")
    await twice(lambda: RUNNER.add_user(t.conn, "kxsys", None, None, None, False, True))
    assert int(passwd_entry(t, "kxsys")[2]) < 1000  # a system user
    assert not t.path("/home/kxsys").exists()


async def test_set_hostname(target: Target) -> None:
    t = target
    await twice(lambda: RUNNER.set_hostname(t.conn, t.facts, "kx-renamed"))
    assert t.path("/etc/hostname").read_text().strip() == "kx-renamed"
    assert (await RUNNER.run(t.conn, "hostname")).strip() == "kx-renamed"
    assert os.uname().nodename != "kx-renamed"  # the UTS namespace kept it inside


async def test_add_host_entry_never_duplicates(target: Target) -> None:
    t = target
    hosts = t.path("/etc/hosts")
    before = hosts.read_text()
    inode = hosts.stat().st_ino
    await twice(lambda: RUNNER.add_host_entry(t.conn, "10.9.8.7", "db.example.test", "db"))
    text = hosts.read_text()
    assert text.startswith(before)  # the existing entries are kept as they were
    lines = [line.split() for line in text.splitlines() if line.split()[:1] == ["10.9.8.7"]]
    assert len(lines) == 1 and set(lines[0][1:]) == {"db.example.test", "db"}
    assert hosts.stat().st_ino != inode  # replaced by rename, never rewritten in place
    names = [n for line in text.splitlines() for n in line.split()[1:]]
    assert names.count("db.example.test") == 1


async def test_files_twice(target: Target) -> None:
    t = target
    await twice(lambda: RUNNER.mkdirp(t.conn, "/opt/kx/conf", "0750", True))
    assert t.path("/opt/kx/conf").is_dir()
    assert t.path("/opt/kx/conf").stat().st_mode & 0o7777 == 0o750
    content = b"listen = 8080\nname = 'x y'\n"
    await twice(lambda: RUNNER.write_file(t.conn, content, "/opt/kx/conf/app.conf", "0640", True))
    conf = t.path("/opt/kx/conf/app.conf")
    assert conf.read_bytes() == content and conf.stat().st_mode & 0o7777 == 0o640
    assert await RUNNER.read_file(t.conn, "/opt/kx/conf/app.conf", True) == content
    await twice(lambda: RUNNER.chmod(t.conn, "/opt/kx/conf/app.conf", "0600", True))
    assert conf.stat().st_mode & 0o7777 == 0o600
    await RUNNER.add_group(t.conn, "kxgroup", False)
    await RUNNER.add_user(t.conn, "kxowner", None, None, None, False, False)
    uid = int(passwd_entry(t, "kxowner")[2])
    gid = int(passwd_entry(t, "kxgroup", "group")[2])
    await twice(lambda: RUNNER.chown(t.conn, "/opt/kx/conf/app.conf", "kxowner", None))
    assert (conf.stat().st_uid, conf.stat().st_gid) == (uid, 0)
    await twice(lambda: RUNNER.chown(t.conn, "/opt/kx/conf/app.conf", None, "kxgroup"))
    assert (conf.stat().st_uid, conf.stat().st_gid) == (uid, gid)
    await twice(lambda: RUNNER.chown(t.conn, "/opt/kx", "root", "root", recursive=True))
    assert (conf.stat().st_uid, conf.stat().st_gid) == (0, 0)
    await twice(lambda: RUNNER.remove(t.conn, "/opt/kx", True))
    assert not t.path("/opt/kx").exists()


async def test_sudo_with_a_password(ssh_env: SshEnv, test_host: TestHost) -> None:
    """kxpass's sudo asks for the password (sudo -S on stdin): also for apt, which must not
    swallow the rest of stdin."""
    async with SSHConnector(config_for_host(test_host, ssh_env, "password")) as conn:
        facts = await RUNNER.gather_facts(conn)
        await twice(lambda: RUNNER.write_file(conn, b"pw\n", "/etc/kx-pw.conf", "0644", True))
        await twice(lambda: RUNNER.install_packages(conn, facts, "hello"))
    written = test_host.root / "etc/kx-pw.conf"
    assert written.read_bytes() == b"pw\n" and written.stat().st_uid == 0
    assert (test_host.root / "usr/bin/hello").exists()


async def test_many_hosts_at_once(
    ssh_env: SshEnv, test_hosts: Callable[[int], list[TestHost]]
) -> None:
    """The runner keeps no state between calls: one Runner drives several hosts concurrently."""
    hosts = test_hosts(4)

    async def rename(h: TestHost) -> tuple[Change, Change]:
        async with SSHConnector(config_for_host(h, ssh_env)) as conn:
            facts = await RUNNER.gather_facts(conn)
            return await twice(lambda: RUNNER.set_hostname(conn, facts, f"kx-{h.name}"))

    await asyncio.gather(*(rename(h) for h in hosts))
    for h in hosts:
        assert (h.root / "etc/hostname").read_text().strip() == f"kx-{h.name}"


async def test_render(target: Target) -> None:
    t = target
    template = "host={{ facts.hostname }}\n{% for p in ports %}port={{ p }}\n{% endfor %}"
    data = {"facts": {"hostname": t.facts.hostname}, "ports": [80, 443]}
    await twice(lambda: RUNNER.render(t.conn, template, data, "/etc/kx-render.conf", "0644", True))
    text = t.path("/etc/kx-render.conf").read_text()
    assert text == f"host={t.host.name}\nport=80\nport=443\n"


# ---------------------------------------------------------------- downloads and archives


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_on_host(test_host: TestHost, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on the test host's own loopback address (it shares the machine's
    network namespace, so the host reaches it): (base URL, served directory)."""
    root = tmp_path / "www"
    root.mkdir()
    server = ThreadingHTTPServer(
        (test_host.address, 0), functools.partial(_Quiet, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{test_host.address}:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


async def test_download_and_extract(target: Target, http_on_host: tuple[str, Path]) -> None:
    t = target
    base, www = http_on_host
    files = {"app/bin/run.sh": b"#!/bin/sh\necho run\n", "app/README": b"readme\n"}
    archives = {"pkg.tar.gz": _tar_gz(files), "pkg.zip": _zip(files)}
    for name, data in archives.items():
        (www / name).write_bytes(data)
    await RUNNER.mkdirp(t.conn, "/opt/dl", "0755", True)
    for name, data in archives.items():
        digest = hashlib.sha256(data).hexdigest()
        dest = f"/opt/dl/{name}"
        url = f"{base}/{name}"
        await twice(functools.partial(RUNNER.download, t.conn, t.facts, url, dest, True, digest))
        assert t.path(dest).read_bytes() == data
        out = f"/opt/x-{name.split('.', 1)[1].replace('.', '-')}"
        await twice(functools.partial(RUNNER.extract, t.conn, t.facts, dest, out, True))
        for member, content in files.items():
            assert t.path(f"{out}/{member}").read_bytes() == content
    url = f"{base}/pkg.tar.gz"
    await twice(
        functools.partial(RUNNER.download_and_extract, t.conn, t.facts, url, "/opt/dx", True)
    )
    assert t.path("/opt/dx/app/README").read_bytes() == b"readme\n"


async def test_download_http_error_fails(target: Target, http_on_host: tuple[str, Path]) -> None:
    t = target
    base, _ = http_on_host
    with pytest.raises(Exception, match=r"404|not found|Not Found"):
        await RUNNER.download(t.conn, t.facts, f"{base}/missing.tar.gz", "/opt/missing.tgz", True)
    # /tmp inside is the host's own tmpfs, invisible from outside: check under /opt
    assert not t.path("/opt/missing.tgz").exists()
    assert [p.name for p in t.path("/opt").iterdir()] == []  # no partial download left


# ---------------------------------------------------------------- sysvinit services


def _rc_links(t: Target, name: str) -> list[str]:
    return sorted(
        str(p.relative_to(t.host.root)) for p in t.host.root.glob(f"etc/rc[2-5].d/S??{name}")
    )


async def test_sysvinit_service_start_stop_enable_disable(target: Target) -> None:
    t = target
    assert not await RUNNER.is_service_active(t.conn, t.facts, "kxtestd")
    await twice(lambda: RUNNER.start_service(t.conn, t.facts, "kxtestd"))
    assert await RUNNER.is_service_active(t.conn, t.facts, "kxtestd")
    await twice(lambda: RUNNER.stop_service(t.conn, t.facts, "kxtestd"))
    assert not await RUNNER.is_service_active(t.conn, t.facts, "kxtestd")

    assert _rc_links(t, "kxtestd") == []
    await twice(lambda: RUNNER.enable_service(t.conn, t.facts, "kxtestd"))
    assert len(_rc_links(t, "kxtestd")) == 4  # runlevels 2-5
    await twice(lambda: RUNNER.disable_service(t.conn, t.facts, "kxtestd"))
    assert _rc_links(t, "kxtestd") == []
    reload = await RUNNER.daemon_reload(t.conn, t.facts)
    assert not reload.changed  # a no-op on sysvinit


async def test_add_repository(target: Target) -> None:
    t = target
    repo = "deb http://deb.debian.org/debian bookworm-backports main\n"
    await twice(lambda: RUNNER.add_repository(t.conn, t.facts, repo))
    written = [p for p in t.path("/etc/apt/sources.list.d").iterdir() if p.read_text() == repo]
    assert len(written) == 1 and written[0].stat().st_mode & 0o7777 == 0o644


async def test_hostile_path_is_data(target: Target) -> None:
    t = target
    path = "/opt/we ird/'q' $(touch kx-pwned);x\n`id`.conf"
    await RUNNER.mkdirp(t.conn, "/opt/we ird", "0755", True)
    await twice(lambda: RUNNER.write_file(t.conn, b"ok\n", path, "0644", True))
    assert t.path(path).read_bytes() == b"ok\n"
    for cwd in ("/", "/home/kxkey", "/opt/we ird"):
        assert not t.path(f"{cwd}/kx-pwned").exists()
    assert sorted(p.name for p in t.path("/opt/we ird").iterdir()) == [path.rsplit("/", 1)[1]]
    await twice(lambda: RUNNER.remove(t.conn, path, True))
    assert not t.path(path).exists()


def _tree(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every entry of a host's writable layer: mode, size, content (for files)."""
    state: dict[str, tuple[int, int, bytes]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        state[str(path.relative_to(root))] = (st.st_mode, st.st_size, data)
    return state


async def test_dry_run_changes_nothing_on_the_host(target: Target) -> None:
    t = target
    dry = Runner(dry_run=True)
    before = _tree(t.host.upper)
    plans = [
        await dry.install_packages(t.conn, t.facts, "hello"),
        await dry.add_group(t.conn, "kxdry", False),
        await dry.add_user(t.conn, "kxdry", None, None, None, True, False),
        await dry.set_hostname(t.conn, t.facts, "kx-dry"),
        await dry.add_host_entry(t.conn, "10.1.2.3", "dry.example.test"),
        await dry.write_file(t.conn, b"x\n", "/etc/kx-dry.conf", "0600", True),
        await dry.mkdirp(t.conn, "/opt/kx-dry", "0755", True),
        await dry.start_service(t.conn, t.facts, "kxtestd"),
        await dry.enable_service(t.conn, t.facts, "kxtestd"),
    ]
    for plan in plans:
        assert plan.dry_run and plan.changed and plan.commands, plan
    assert _tree(t.host.upper) == before
    assert not await RUNNER.is_service_active(t.conn, t.facts, "kxtestd")
    assert (await RUNNER.run(t.conn, "hostname")).strip() == t.host.name
