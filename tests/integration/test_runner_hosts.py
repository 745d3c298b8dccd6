"""The runner's mutating methods against isolated Debian test hosts over real SSH.

Every mutating method runs TWICE: the first call changes the host (``changed`` True), the
second finds nothing to do (``changed`` False) and leaves the host as the first left it. The
host's state is read from outside through ``TestHost.root`` (its mounted root filesystem).
"""

from __future__ import annotations

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


async def test_write_file_with_the_sudo_password(ssh_env: SshEnv, test_host: TestHost) -> None:
    async with SSHConnector(config_for_host(test_host, ssh_env, "password")) as conn:
        await twice(lambda: RUNNER.write_file(conn, b"pw\n", "/etc/kx-pw.conf", "0644", True))
    written = test_host.root / "etc/kx-pw.conf"
    assert written.read_bytes() == b"pw\n" and written.stat().st_uid == 0


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
        await RUNNER.download(t.conn, t.facts, f"{base}/missing.tar.gz", "/tmp/missing.tar.gz")
    assert not t.path("/tmp/missing.tar.gz").exists()


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
