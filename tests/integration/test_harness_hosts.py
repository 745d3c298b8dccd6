"""Self-tests of the tier-2 harness: isolated Debian hosts reached over real SSH, and proof
that what they do stays inside them."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import asyncssh
import pytest

from tests.harness import loopback, procs
from tests.harness.client import run_ssh
from tests.harness.hosts import TestHost, config_for_host
from tests.harness.sshd import SshEnv

pytestmark = pytest.mark.hosts

# a harmless kernel knob that is not namespaced, so a write inside would reach the machine
SYSCTL = "kernel.printk_ratelimit_burst"
SYSCTL_PATH = Path("/proc/sys/kernel/printk_ratelimit_burst")


def sh(env: SshEnv, h: TestHost, command: str, check: bool = True) -> str:
    return run_ssh(env, h.address, h.port, command, check=check).stdout


def test_key_login_sudo_hostname_and_os(ssh_env: SshEnv, test_host: TestHost) -> None:
    out = sh(ssh_env, test_host, "id -un; sudo -n id -u; hostname; . /etc/os-release; echo $ID")
    assert out.split() == ["kxkey", "0", test_host.name, "debian"]
    assert test_host.name != socket.gethostname()
    assert not sh(ssh_env, test_host, "command -v python3 || true").strip()
    # apt never starts daemons in a host (they would share the machine's network namespace)
    assert sh(ssh_env, test_host, "/usr/sbin/policy-rc.d; echo $?").strip() == "101"


async def test_password_user_sudo_needs_the_password(ssh_env: SshEnv, test_host: TestHost) -> None:
    cfg = config_for_host(test_host, ssh_env, "password")
    assert cfg.user == "kxpass" and cfg.password is not None
    async with asyncssh.connect(
        cfg.host,
        cfg.port,
        username=cfg.user,
        password=cfg.password.reveal(),
        known_hosts=cfg.known_hosts,
        agent_path=None,
        client_keys=(),
    ) as c:
        good = await c.run("sudo -S -p '' id -u", input=ssh_env.password + "\n")
        assert (good.exit_status, good.stdout) == (0, "0\n")
        assert (await c.run("sudo -S -p '' id -u", input="wrong\n")).exit_status != 0


def test_files_written_inside_stay_inside(
    ssh_env: SshEnv, test_hosts: Callable[[int], list[TestHost]]
) -> None:
    a, b = test_hosts(2)
    sh(ssh_env, a, "sudo -n touch /etc/kx-test && sudo -n sh -c 'echo x >> /etc/hosts'")
    assert (a.root / "etc/kx-test").exists() and (a.upper / "etc/kx-test").exists()
    assert not Path("/etc/kx-test").exists()
    assert not (b.root / "etc/kx-test").exists()
    assert sh(ssh_env, b, "test -e /etc/kx-test && echo yes || echo no").strip() == "no"


def test_kernel_settings_are_read_only_inside(ssh_env: SshEnv, test_host: TestHost) -> None:
    before = SYSCTL_PATH.read_text()
    wanted = str(int(before) + 1)
    try:
        out = run_ssh(
            ssh_env,
            test_host.address,
            test_host.port,
            f"sudo -n sysctl -w {SYSCTL}={wanted}",
            check=False,
        )
        assert out.returncode != 0, f"sysctl -w succeeded inside a test host: {out.stdout}"
        direct = run_ssh(
            ssh_env,
            test_host.address,
            test_host.port,
            f"sudo -n sh -c 'echo {wanted} > /proc/sys/kernel/printk_ratelimit_burst'",
            check=False,
        )
        assert direct.returncode != 0 and "Read-only file system" in direct.stderr
        assert SYSCTL_PATH.read_text() == before
    finally:
        if SYSCTL_PATH.read_text() != before:  # the protection failed: put the value back
            SYSCTL_PATH.write_text(before)
    mounts = sh(ssh_env, test_host, "cat /proc/self/mountinfo")
    ro = {line.split()[4] for line in mounts.splitlines() if " ro," in f" {line.split()[5]},"}
    assert {"/proc/sys", "/sys"} <= ro
    if Path("/proc/sysrq-trigger").exists():  # not every kernel has magic SysRq
        assert "/proc/sysrq-trigger" in ro


def test_pid_namespace_and_dropped_capabilities(ssh_env: SshEnv, test_host: TestHost) -> None:
    out = sh(ssh_env, test_host, "ps -e -o pid=,comm= | head -50; grep CapBnd /proc/self/status")
    lines = out.splitlines()
    assert lines[0].split() == ["1", "sshd"]  # sshd is the namespace's init
    assert len(lines) < 20  # only the host's own processes are visible
    bounding = int(lines[-1].split()[1], 16)
    for cap in (16, 17, 25, 27):  # sys_module, sys_rawio, sys_time, mknod
        assert not bounding & (1 << cap), f"capability {cap} still in the bounding set"
    assert bounding & (1 << 21)  # sys_admin stays: hostname and mounts inside need it
    failed = run_ssh(
        ssh_env,
        test_host.address,
        test_host.port,
        "sudo -n mknod /tmp/kx-null c 1 3",
        check=False,
    )
    assert failed.returncode != 0


def test_apt_install_works_inside_and_not_outside(ssh_env: SshEnv, test_host: TestHost) -> None:
    had_hello = Path("/usr/bin/hello").exists()
    out = sh(
        ssh_env,
        test_host,
        "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q hello >/dev/null"
        " && hello",
    )
    assert out.strip() == "Hello, world!"
    assert (test_host.root / "usr/bin/hello").exists()
    assert Path("/usr/bin/hello").exists() == had_hello


def test_teardown_leaves_no_mount_process_or_listener(
    ssh_env: SshEnv, test_hosts: Callable[[int], list[TestHost]]
) -> None:
    hosts = test_hosts(3)
    # a sysvinit daemon, re-parented to the host's init, must go with the host too
    sh(ssh_env, hosts[0], "sudo -n service kxtestd start && sudo -n service kxtestd status")
    tree = [p for h in hosts for p in (h.pid, *procs.descendants_of(h.pid))]
    assert any(procs.comm(p) == "sleep" for p in tree)
    dirs = [h.root.parent for h in hosts]
    for h in hosts:
        assert procs.comm(h.pid) == "unshare"
        h.stop()
    assert procs.wait_gone(tree, timeout=10) == []
    mountinfo = Path("/proc/self/mountinfo").read_text()
    for d in dirs:
        assert str(d) not in mountinfo
        assert not d.exists()
    listeners = procs.tcp_listeners()
    assert not any((h.address, h.port) in listeners for h in hosts)
    known = ssh_env.known_hosts_path.read_text()
    assert not any(h.address + " " in known for h in hosts)


def test_an_address_taken_between_probe_and_bind_is_retried(
    ssh_env: SshEnv,
    test_hosts: Callable[[int], list[TestHost]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as squatter:
        squatter.bind((loopback.peek(), 22))
        squatter.listen()
        taken = squatter.getsockname()[0]
        monkeypatch.setattr(loopback, "is_free", lambda address, port: True)  # the race
        (host,) = test_hosts(1)
    assert host.address != taken
    assert sh(ssh_env, host, "hostname").strip() == host.name
