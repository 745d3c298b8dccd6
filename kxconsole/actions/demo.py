"""A deterministic demo fleet on fake connectors: facts, services, packages and logs.

Used by the demo inventory (``inventories/demo.yaml``: hosts with ``connector: fake``), the
console's snapshot tests and its launch benchmark. Each host answers ``FACTS_SCRIPT`` with
the script's real tagged output format for one of a few distributions (picked from the host
name, so the same host always looks the same), and the service, package and log commands of
``kxconsole.runner.listings`` with canned listings. No clocks, no randomness.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kxconsole.connector.base import ConnectionConfig, Connector, ExecOptions, OutputChunk
from kxconsole.connector.fake import FakeConnector, FakeReply, Reply
from kxconsole.inventory.model import Host
from kxconsole.runner import listings
from kxconsole.runner.facts import FACTS_SCRIPT


@dataclass(frozen=True)
class DemoDistro:
    key: str
    os_release: str
    kernel: str
    commands: tuple[str, ...]  # what `command -v` finds
    paths: tuple[str, ...]
    packages: tuple[tuple[str, str], ...]


_SYSTEMD_PATHS = ("/run/systemd/system", "/etc/init.d")

DISTROS: tuple[DemoDistro, ...] = (
    DemoDistro(
        "debian12",
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
        'VERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n',
        "6.1.0-18-amd64",
        ("apt-get", "systemctl", "service", "ip"),
        _SYSTEMD_PATHS,
        (("bash", "5.2.15-2+b2"), ("nginx", "1.22.1-9"), ("openssh-server", "1:9.2p1-2+deb12u2"),
         ("openssl", "3.0.11-1~deb12u2"), ("systemd", "252.22-1~deb12u1")),
    ),
    DemoDistro(
        "rocky9",
        'NAME="Rocky Linux"\nVERSION_ID="9.3"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
        'PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n',
        "5.14.0-362.8.1.el9_3.x86_64",
        ("dnf", "yum", "systemctl", "ip", "getenforce", "firewall-cmd"),
        (*_SYSTEMD_PATHS, "/sys/fs/selinux"),
        (("bash", "5.1.8-6.el9_1"), ("kernel", "5.14.0-362.8.1.el9_3"),
         ("openssh-server", "8.7p1-34.el9"), ("postgresql-server", "13.11-1.el9")),
    ),
    DemoDistro(
        "ubuntu2204",
        'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\n'
        "VERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n",
        "5.15.0-101-generic",
        ("apt-get", "systemctl", "service", "ip", "ufw"),
        (*_SYSTEMD_PATHS, "/sys/module/apparmor"),
        (("bash", "5.1-6ubuntu1.1"), ("haproxy", "2.4.24-0ubuntu0.22.04.1"),
         ("openssh-server", "1:8.9p1-3ubuntu0.6")),
    ),
    DemoDistro(
        "devuan4",
        'PRETTY_NAME="Devuan GNU/Linux 4 (chimaera)"\nNAME="Devuan GNU/Linux"\n'
        'VERSION_ID="4"\nID=devuan\nID_LIKE=debian\n',
        "5.10.0-28-amd64",
        ("apt-get", "service", "ip"),
        ("/etc/init.d",),
        (("bash", "5.1-2+deb11u1"), ("sysvinit-core", "2.96-7+devuan2")),
    ),
)

UNITS_LISTING = (
    "cron.service loaded active running Regular background program processing daemon\n"
    "nginx.service loaded active running A high performance web server\n"
    "● postgresql.service loaded failed failed PostgreSQL RDBMS\n"
    "ssh.service loaded active running OpenBSD Secure Shell server\n"
    "systemd-journald.service loaded active running Journal Service\n"
)
UNIT_FILES_LISTING = (
    "cron.service enabled enabled\nnginx.service enabled enabled\n"
    "postgresql.service enabled enabled\nssh.service enabled enabled\n"
    "systemd-journald.service static -\nrsync.service disabled enabled\n"
)
STATUS_ALL_LISTING = " [ + ]  cron\n [ - ]  rsync\n [ + ]  ssh\n [ ? ]  hwclock.sh\n"


def distro_for(name: str) -> DemoDistro:
    return DISTROS[zlib.crc32(name.encode()) % len(DISTROS)]


def _number(name: str, modulo: int) -> int:
    return zlib.crc32(name.encode()[::-1]) % modulo


def facts_output(name: str, distro: DemoDistro | None = None) -> str:
    """What ``FACTS_SCRIPT`` would print on a host called ``name``."""
    d = distro or distro_for(name)
    n = _number(name, 250) + 2
    cpus = (2, 4, 8, 16)[_number(name, 4)]
    mem_kib = (2, 4, 8, 16, 32)[_number(name, 5)] * 1024 * 1024 - 151_552
    ip = f"10.0.{n // 100}.{n}"
    sections = [
        ("os-release", d.os_release.rstrip("\n"), None),
        ("uname", f"{d.kernel} x86_64", 0),
        ("kernel-hostname", name, None),
        ("hostname-f", f"{name}.demo.example", 0),
        ("meminfo", f"MemTotal: {mem_kib} kB", None),
        ("cpu-online", f"0-{cpus - 1}", None),
        ("commands", "\n".join(d.commands), None),
        ("paths", "\n".join(d.paths), None),
        ("ip4-route", f"1.1.1.1 via 10.0.0.1 dev eth0 src {ip} uid 1000", 0),
        ("ip6-route", "RTNETLINK answers: Network is unreachable", 2),
        ("ip-addr",
         "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\n"
         "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
         "    inet 127.0.0.1/8 scope host lo\n"
         "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP\n"
         f"    link/ether 52:54:00:00:{n // 256:02x}:{n % 256:02x} brd ff:ff:ff:ff:ff:ff\n"
         f"    inet {ip}/16 brd 10.0.255.255 scope global eth0", 0),
    ]
    if "/sys/fs/selinux" in d.paths:
        sections.append(("selinux-enforce", "1", None))
    if "/sys/module/apparmor" in d.paths:
        sections.append(("apparmor", "Y", None))
    if "firewall-cmd" in d.commands:
        sections.append(("firewalld", "running", 0))
    lines: list[str] = []
    for tag, body, rc in sections:
        lines.append(f"@@kx:{tag}")
        if body:
            lines.append(body)
        if rc is not None:
            lines.append(f"@@kx:rc {rc}")
    lines.append("@@kx:end")
    return "\n".join(lines) + "\n"


def _packages_output(d: DemoDistro) -> str:
    return "".join(f"{p}\t{v}\n" for p, v in d.packages)


def _follow_reply(cmd: str, opts: ExecOptions) -> FakeReply:
    unit = cmd.rsplit(" ", 1)[-1].strip("'")
    lines = [f"Dec 03 12:00:{s:02d} demo {unit}[812]: demo log line {s}\n" for s in range(5)]
    return FakeReply(chunks=[OutputChunk("stdout", line.encode()) for line in lines])


def demo_replies(name: str) -> dict[str, Reply]:
    """The fake replies of demo host ``name`` (exact commands first, then patterns)."""
    d = distro_for(name)
    return {
        FACTS_SCRIPT: facts_output(name, d),
        listings.SYSTEMD_LIST_UNITS: UNITS_LISTING,
        listings.SYSTEMD_LIST_UNIT_FILES: UNIT_FILES_LISTING,
        listings.SYSVINIT_STATUS_ALL: STATUS_ALL_LISTING,
        listings.DPKG_LIST: _packages_output(d),
        listings.RPM_LIST: _packages_output(d),
        "^" + re.escape("journalctl -f"): _follow_reply,
        "^" + re.escape("if [ -r /var/log/"): _follow_reply,
    }


def demo_connector(host: Host, *, latency: float = 0.0,
                   failures: Mapping[str, Exception] | None = None) -> Connector:
    """A FakeConnector playing demo host ``host`` (``failures`` maps host names to the error
    their connect raises)."""
    config = ConnectionConfig(host=host.target, port=host.port, user=host.user, name=host.name)
    fail = (failures or {}).get(host.name)
    return FakeConnector(config, replies=demo_replies(host.name), latency=latency,
                         fail_connect=fail)


def demo_connector_factory(
    *, latency: float = 0.0, failures: Mapping[str, Exception] | None = None
) -> Callable[[Host], Connector]:
    def factory(host: Host) -> Connector:
        return demo_connector(host, latency=latency, failures=failures)

    return factory
