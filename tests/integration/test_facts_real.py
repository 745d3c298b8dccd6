"""FACTS_SCRIPT on this machine with real shells (sh, dash, bash, busybox sh), as an
unprivileged user, compared with values read independently in Python. No mocks.

The fallback branches (no ``ip``, no ``ifconfig``) run for real in a private mount namespace
where those programs are hidden by bind mounts; nothing on the machine itself changes.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kxconsole.connector import ExecOptions, ExecResult, SSHConnector
from kxconsole.runner import FACTS_SCRIPT, Runner
from kxconsole.runner.facts import parse_facts, split_sections
from kxconsole.runner.models import Facts, InitSystemType, PackageManagerType
from tests.harness.sshd import SshdHost, SshEnv, config_for

RUN_TIMEOUT = 60.0  # seconds; the script takes well under one
# What an unprivileged SSH session on Debian gets: no /usr/sbin, no /sbin.
USER_PATH = "/usr/local/bin:/usr/bin:/bin"
# The most programs the script may run on a host with `ip` and GNU `timeout` (measured: 9 —
# uname, then `timeout` + its child for hostname -f and for each of the three `ip` probes).
MAX_EXECS = 9


def _require(tool: str, package: str) -> str:
    path = shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"test needs `{tool}` (Debian package {package}; .ci/run installs it)")
    return path


def _run(argv: list[str], *, env: dict[str, str] | None = None) -> tuple[str, float]:
    started = time.monotonic()
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=env if env is not None else {"PATH": USER_PATH, "LANG": "C"},
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, f"{argv[:3]} exited {result.returncode}: {result.stderr}"
    assert result.stderr == "", f"the script wrote to stderr: {result.stderr!r}"
    return result.stdout, elapsed


def _as_nobody(shell: list[str]) -> list[str]:
    setpriv = _require("setpriv", "util-linux")
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", *shell]


def _shells() -> dict[str, list[str]]:
    return {
        "sh": [_require("sh", "dash"), "-c", FACTS_SCRIPT],
        "dash": [_require("dash", "dash"), "-c", FACTS_SCRIPT],
        "bash": [_require("bash", "bash"), "-c", FACTS_SCRIPT],
        "busybox": [_require("busybox", "busybox"), "sh", "-c", FACTS_SCRIPT],
    }


@pytest.fixture
def public_tmp() -> Iterator[Path]:
    """A temp dir that ``nobody`` can read (pytest's tmp_path sits under a 0700 dir)."""
    with tempfile.TemporaryDirectory(prefix="kx-facts-") as name:
        path = Path(name)
        path.chmod(0o755)
        yield path


def _meminfo_mib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no MemTotal in /proc/meminfo")


NetSnapshot = dict[str, tuple[str, str]]  # interface → (flags, address) from /sys/class/net


def _net_snapshot() -> NetSnapshot:
    snapshot: NetSnapshot = {}
    for name in os.listdir("/sys/class/net"):
        base = Path("/sys/class/net", name)
        try:
            snapshot[name] = (
                (base / "flags").read_text().strip(),
                (base / "address").read_text().strip(),
            )
        except OSError:  # removed while we looked
            continue
    return snapshot


def _stable_names(before: NetSnapshot, after: NetSnapshot) -> set[str]:
    return {name for name, value in before.items() if after.get(name) == value}


def _stable_only(facts: Facts, names: set[str]) -> Facts:
    kept = [i for i in facts.interfaces if i.name in names]
    return dataclasses.replace(facts, interfaces=kept)


def _assert_matches_this_machine(facts: Facts, before: NetSnapshot) -> None:
    assert facts.errors == {}
    uname = os.uname()
    assert facts.kernel == facts.os.kernel == uname.release
    assert facts.os.arch == uname.machine
    nodename = uname.nodename
    assert facts.hostname == nodename or facts.hostname.startswith(nodename + ".")
    assert facts.total_memory == _meminfo_mib()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True, timeout=10)
    assert facts.total_cpu == int(nproc.stdout)

    release = platform.freedesktop_os_release()
    assert facts.os.id == release["ID"]
    assert facts.os.version_id == release.get("VERSION_ID", "")
    assert facts.os.pretty_name == release["PRETTY_NAME"]
    assert facts.os.codename == release.get("VERSION_CODENAME", "")

    expected_init = (
        InitSystemType.SYSTEMD if Path("/run/systemd/system").is_dir() else InitSystemType.SYSVINIT
    )
    assert facts.init_system.type == expected_init
    if shutil.which("apt-get"):
        assert facts.package_manager.type == PackageManagerType.APT
        assert facts.package_manager.install_cmd  # the family's command set is filled in
    selinux = Path("/sys/fs/selinux")
    assert (facts.selinux == "absent") == (not selinux.exists())
    apparmor = Path("/sys/module/apparmor/parameters/enabled")
    if apparmor.exists():
        expected = "enabled" if apparmor.read_text().strip() == "Y" else "disabled"
        assert facts.apparmor == expected
    else:
        assert facts.apparmor == "absent"

    # other tests on this machine may add or change interfaces (bridges, veths) meanwhile:
    # check those that stayed the same from before the run until now
    after = _net_snapshot()
    stable = _stable_names(before, after)
    names = {i.name for i in facts.interfaces}
    assert stable <= names <= set(before) | set(after)
    for interface in facts.interfaces:
        if interface.name not in stable:
            continue
        flags, mac = before[interface.name]
        assert interface.up == bool(int(flags, 16) & 0x1), interface
        if interface.name != "lo" and len(mac) == 17:
            assert interface.mac == mac.lower()
    lo = next(i for i in facts.interfaces if i.name == "lo")
    assert "127.0.0.1/8" in lo.ipv4
    all_v4 = {cidr.split("/")[0] for i in facts.interfaces for cidr in i.ipv4}
    if facts.ipv4_default:
        assert facts.ipv4_default in all_v4
    all_v6 = {cidr.split("/")[0] for i in facts.interfaces for cidr in i.ipv6}
    if facts.ipv6_default:
        assert facts.ipv6_default in all_v6


@pytest.mark.parametrize("shell", ["sh", "dash", "bash", "busybox"])
def test_facts_match_this_machine(shell: str) -> None:
    before = _net_snapshot()
    output, elapsed = _run(_as_nobody(_shells()[shell]))
    assert "end" in split_sections(output)
    _assert_matches_this_machine(parse_facts(output), before)
    assert elapsed < 20  # generous: other engineers' tests share the 2 cores


def test_all_shells_agree() -> None:
    before = _net_snapshot()
    results = {name: parse_facts(_run(_as_nobody(argv))[0]) for name, argv in _shells().items()}
    stable = _stable_names(before, _net_snapshot())
    reference = _stable_only(results.pop("sh"), stable)
    for name, facts in results.items():
        assert _stable_only(facts, stable) == reference, name


def test_script_starts_few_processes(tmp_path: Path) -> None:
    strace = _require("strace", "strace")
    trace = tmp_path / "trace"
    argv = [strace, "-f", "-qq", "-e", "trace=execve", "-e", "signal=none", "-o", str(trace)]
    _run([*argv, *_as_nobody(_shells()["sh"])])
    lines = trace.read_text().splitlines()
    execs = [line for line in lines if "execve(" in line and "= -1 " not in line]
    # strace's own exec of setpriv, then setpriv → sh, then the script's programs
    programs = [line.split('execve("', 1)[1].split('"', 1)[0] for line in execs]
    script_execs = programs[2:]
    assert 0 < len(script_execs) <= MAX_EXECS, programs


def test_a_hung_probe_is_cut_by_its_timeout(public_tmp: Path) -> None:
    """A `hostname` that never returns (a resolver that hangs): the script still ends (in
    about 3 s, not 60), the probe's section says it timed out, and the host name falls back
    to the kernel's."""
    fake = public_tmp / "bin"
    fake.mkdir(mode=0o755)
    hang = fake / "hostname"
    hang.write_text("#!/bin/sh\nexec sleep 60\n")
    hang.chmod(0o755)
    env = {"PATH": f"{fake}:{USER_PATH}", "LANG": "C"}
    output, elapsed = _run(_as_nobody(_shells()["sh"]), env=env)
    assert split_sections(output)["hostname-f"].rc == 124
    assert 2.5 < elapsed < 30
    facts = parse_facts(output)
    assert facts.hostname == os.uname().nodename
    assert facts.errors == {}


def _hidden_programs(names: tuple[str, ...]) -> list[str]:
    dirs = [*USER_PATH.split(":"), "/usr/local/sbin", "/usr/sbin", "/sbin"]
    found = {os.path.realpath(os.path.join(d, n)) for d in dirs for n in names}
    return sorted(p for p in found if os.path.isfile(p))


def _run_without(names: tuple[str, ...], tmp_path: Path) -> str:
    """The script as nobody in a private mount namespace where ``names`` are hidden: an
    empty, non-executable file is bind-mounted over each (gone when the namespace ends)."""
    unshare = _require("unshare", "util-linux")
    if os.geteuid() != 0:
        pytest.fail("hiding programs in a mount namespace needs root (CI runs as root)")
    blank = tmp_path / "blank"
    blank.write_text("")
    blank.chmod(0o644)
    mounts = " && ".join(f"mount --bind {blank} {p}" for p in _hidden_programs(names))
    assert mounts, f"none of {names} is installed, so there is nothing to hide"
    script = tmp_path / "facts.sh"
    script.write_text(FACTS_SCRIPT)
    script.chmod(0o644)
    inner = " ".join(_as_nobody([_require("sh", "dash"), str(script)]))
    output, _ = _run([unshare, "--mount", "sh", "-c", f"{mounts} && exec {inner}"], env=None)
    return output


def test_without_ip_falls_back_to_ifconfig(public_tmp: Path) -> None:
    _require("ifconfig", "net-tools")
    before = _net_snapshot()
    output = _run_without(("ip",), public_tmp)
    sections = split_sections(output)
    assert "ifconfig" in sections and "ip-addr" not in sections
    facts = parse_facts(output)
    _assert_matches_this_machine(facts, before)
    with_ip = parse_facts(_run(_as_nobody(_shells()["sh"]))[0])
    stable = _stable_names(before, _net_snapshot())
    facts, with_ip = _stable_only(facts, stable), _stable_only(with_ip, stable)
    assert facts.ipv4_default == with_ip.ipv4_default
    assert facts.ipv6_default == with_ip.ipv6_default
    assert {i.name: sorted(i.ipv4) for i in facts.interfaces} == {
        i.name: sorted(i.ipv4) for i in with_ip.interfaces
    }


def test_without_ip_or_ifconfig_falls_back_to_proc_and_sys(public_tmp: Path) -> None:
    before = _net_snapshot()
    output = _run_without(("ip", "ifconfig"), public_tmp)
    sections = split_sections(output)
    assert "sys-class-net" in sections and "ifconfig" not in sections
    facts = parse_facts(output)
    _assert_matches_this_machine(facts, before)
    with_ip = parse_facts(_run(_as_nobody(_shells()["sh"]))[0])
    stable = _stable_names(before, _net_snapshot())
    facts, with_ip = _stable_only(facts, stable), _stable_only(with_ip, stable)
    assert facts.ipv4_default == with_ip.ipv4_default
    assert facts.ipv6_default == with_ip.ipv6_default
    for name in ("ipv4", "ipv6"):
        assert {i.name: sorted(getattr(i, name)) for i in facts.interfaces} == {
            i.name: sorted(getattr(i, name)) for i in with_ip.interfaces
        }


async def test_gather_facts_over_real_ssh(ssh_env: SshEnv, sshd_host: SshdHost) -> None:
    """End to end: the Runner sends FACTS_SCRIPT through SSHConnector to a real sshd on
    loopback (as the unprivileged test user), in one exec, and the facts are this machine's."""
    conn = SSHConnector(config_for(sshd_host, ssh_env, "key"))
    calls: list[str] = []
    exec_once = conn.exec

    async def counting_exec(cmd: str, opts: ExecOptions | None = None) -> ExecResult:
        calls.append(cmd)
        return await exec_once(cmd, opts)

    conn.exec = counting_exec  # type: ignore[method-assign]
    before = _net_snapshot()
    try:
        facts = await Runner().gather_facts(conn)
    finally:
        await conn.close()
    assert calls == [FACTS_SCRIPT]  # one round trip
    _assert_matches_this_machine(facts, before)


# ------------------------------------------------- a busybox-only host (Alpine-like userland)

BUSYBOX_APPLETS = ("sh", "ip", "ifconfig", "hostname", "uname", "timeout", "true", "sleep")
ALPINE_OS_RELEASE = """NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
HOME_URL="https://alpinelinux.org/"
"""


def _busybox_root(root: Path, *, hang: str | None = None) -> Path:
    """A root filesystem of busybox alone: its applets as symlinks (``timeout`` too, as on
    Alpine), the shared libraries it links, an Alpine os-release and /etc/init.d. ``hang``
    names an applet replaced by a script that never returns."""
    busybox = Path(_require("busybox", "busybox")).resolve()
    for sub in ("bin", "etc/init.d", "proc", "sys", "dev"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    shutil.copy2(busybox, root / "bin" / "busybox")
    for applet in BUSYBOX_APPLETS:
        if applet == hang:
            (root / "bin" / applet).write_text("#!/bin/sh\nexec sleep 60\n")
            (root / "bin" / applet).chmod(0o755)
        else:
            (root / "bin" / applet).symlink_to("busybox")
    ldd = subprocess.run(["ldd", str(busybox)], capture_output=True, text=True, timeout=10)
    for token in ldd.stdout.split():  # "libc.so.6 => /lib/…/libc.so.6 (0x…)", "/lib64/ld-…"
        if token.startswith("/") and os.path.isfile(token):
            target = root / token.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(token, target)
    (root / "etc" / "os-release").write_text(ALPINE_OS_RELEASE)
    (root / "dev" / "null").touch()
    for path in [root, *root.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    return root


def _run_in_busybox_root(root: Path) -> tuple[str, float]:
    """FACTS_SCRIPT as nobody with busybox's sh, chrooted into ``root``, in a private mount
    namespace that lends it the machine's /proc, /sys and /dev/null (gone when it ends)."""
    unshare = _require("unshare", "util-linux")
    chroot = _require("chroot", "coreutils")
    if os.geteuid() != 0:
        pytest.fail("chroot into a test root needs root (CI runs as root)")
    (root / "facts.sh").write_text(FACTS_SCRIPT)
    setup = (
        f"mount --rbind /proc {root}/proc && mount --rbind /sys {root}/sys && "
        f"mount --bind /dev/null {root}/dev/null && "
        f"exec {chroot} --userspec=65534:65534 {root} /bin/sh /facts.sh"
    )
    return _run([unshare, "--mount", "sh", "-c", setup], env={"PATH": "/bin", "LANG": "C"})


def test_busybox_only_host(public_tmp: Path) -> None:
    before = _net_snapshot()
    output, _ = _run_in_busybox_root(_busybox_root(public_tmp / "root"))
    facts = parse_facts(output)
    # apk is no package manager kxconsole drives: said, not hidden
    assert "apt-get, dnf or yum" in facts.errors.pop("package_manager")
    assert facts.errors == {}
    assert (facts.os.id, facts.os.version_id, facts.os.codename) == ("alpine", "3.19.1", "")
    assert facts.kernel == os.uname().release and facts.os.arch == os.uname().machine
    assert facts.hostname.split(".")[0] == os.uname().nodename.split(".")[0]
    assert facts.total_memory == _meminfo_mib()
    assert facts.init_system.type == InitSystemType.SYSVINIT  # /etc/init.d, no systemd
    assert facts.package_manager.type == PackageManagerType.UNKNOWN
    # busybox's own `ip` applet gives the same network facts as iproute2
    with_iproute2 = parse_facts(_run(_as_nobody(_shells()["sh"]))[0])
    stable = _stable_names(before, _net_snapshot())
    assert facts.ipv4_default == with_iproute2.ipv4_default
    assert facts.ipv6_default == with_iproute2.ipv6_default
    assert _stable_only(facts, stable).interfaces == _stable_only(with_iproute2, stable).interfaces


def test_busybox_timeout_stops_a_hung_probe(public_tmp: Path) -> None:
    """busybox's `timeout` is a symlink: the script tries it once, then uses it; a hung
    `hostname` is stopped after 3 s (busybox exits 143) and the kernel's name is used."""
    output, elapsed = _run_in_busybox_root(_busybox_root(public_tmp / "root", hang="hostname"))
    assert split_sections(output)["hostname-f"].rc == 143
    assert 2.5 < elapsed < 30
    facts = parse_facts(output)
    assert facts.hostname == os.uname().nodename
    facts.errors.pop("package_manager")
    assert facts.errors == {}
