"""Self-tests of the tier-1 harness: real sshd, real `ssh` client, real sudo."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import asyncssh
import pytest

from tests.harness import loopback, procs
from tests.harness.client import run_ssh, ssh_argv
from tests.harness.procs import HarnessError
from tests.harness.sshd import SshdHost, SshEnv, _require, config_for

pytestmark = pytest.mark.sshd


def ssh(env: SshEnv, host: SshdHost, command: str) -> str:
    """Run ``command`` as kxkey with the real OpenSSH client; strict host key checking."""
    out = run_ssh(env, host.address, host.port, command, check=False, timeout=60)
    assert out.returncode == 0, f"ssh to {host.name} failed: {out.stderr}\nlog: {host.log_tail()}"
    return out.stdout


async def connect(
    env: SshEnv, host: SshdHost, user: str, **kw: object
) -> asyncssh.SSHClientConnection:
    return await asyncssh.connect(
        host.address,
        host.port,
        username=user,
        known_hosts=str(env.known_hosts_path),
        agent_path=None,
        client_keys=kw.pop("client_keys", ()),
        **kw,
    )


def test_key_login_and_passwordless_sudo(ssh_env: SshEnv, sshd_host: SshdHost) -> None:
    out = ssh(ssh_env, sshd_host, "id -un; sudo -n id -u; echo $HOME; test -w $HOME && echo w")
    assert out.split() == ["kxkey", "0", "/home/kxkey", "w"]


def test_the_host_key_is_the_one_reported(ssh_env: SshEnv, sshd_host: SshdHost) -> None:
    lines = ssh_env.known_hosts_path.read_text().splitlines()
    assert f"{sshd_host.address} {sshd_host.host_pubkey_line}" in lines
    scanned = subprocess.run(
        ["ssh-keyscan", "-t", "ed25519", sshd_host.address],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    assert sshd_host.host_pubkey_line in scanned
    key = asyncssh.import_public_key(sshd_host.host_pubkey_line)
    assert key.get_fingerprint("sha256") == sshd_host.host_key_fingerprint


async def test_password_login_and_sudo_with_password(ssh_env: SshEnv, sshd_host: SshdHost) -> None:
    async with await connect(ssh_env, sshd_host, "kxpass", password=ssh_env.password) as c:
        assert (await c.run("id -un")).stdout == "kxpass\n"
        good = await c.run("sudo -S -p '' id -u", input=ssh_env.password + "\n")
        assert (good.exit_status, good.stdout) == (0, "0\n")
        # timestamp_timeout=0: a right password is not cached, so a wrong one right after fails
        bad = await c.run("sudo -S -p '' id -u", input="wrong\n")
        assert bad.exit_status != 0 and bad.stdout == ""
        assert (await c.run("sudo -n true")).exit_status != 0


async def test_wrong_password_is_refused(ssh_env: SshEnv, sshd_host: SshdHost) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(ssh_env, sshd_host, "kxpass", password="not-" + ssh_env.password)


async def test_nosudo_user_cannot_sudo(ssh_env: SshEnv, sshd_host: SshdHost) -> None:
    async with await connect(ssh_env, sshd_host, "kxnosudo", password=ssh_env.password) as c:
        r = await c.run("sudo -S -p '' id -u", input=ssh_env.password + "\n")
        assert r.exit_status != 0
        assert "not in the sudoers file" in str(r.stderr)


async def test_tty_user_needs_a_tty_for_sudo(ssh_env: SshEnv, sshd_host: SshdHost) -> None:
    key = asyncssh.read_private_key(ssh_env.client_key_path)
    async with await connect(ssh_env, sshd_host, "kxtty", client_keys=[key]) as c:
        without = await c.run("sudo -n id -u")
        assert without.exit_status != 0 and "must have a tty" in str(without.stderr)
        with_tty = await c.run("sudo -n id -u", term_type="xterm")
        assert (with_tty.exit_status, str(with_tty.stdout).strip()) == (0, "0")
    async with await connect(ssh_env, sshd_host, "kxtty", password=ssh_env.password) as c:
        assert (await c.run("id -un")).stdout == "kxtty\n"


async def test_encrypted_key_needs_its_passphrase(ssh_env: SshEnv, sshd_host: SshdHost) -> None:
    with pytest.raises(asyncssh.KeyEncryptionError):  # OpenSSH format: bcrypt KDF
        asyncssh.read_private_key(ssh_env.encrypted_key_path, "wrong")
    key = asyncssh.read_private_key(ssh_env.encrypted_key_path, ssh_env.key_passphrase)
    async with await connect(ssh_env, sshd_host, "kxkey", client_keys=[key]) as c:
        assert (await c.run("id -un")).stdout == "kxkey\n"


def test_real_machine_has_no_test_users(ssh_env: SshEnv, sshd_host: SshdHost) -> None:
    ssh(ssh_env, sshd_host, "true")  # the users exist inside the namespace ...
    for name in ("passwd", "shadow", "group"):
        text = Path("/etc", name).read_text()
        for user in ("kxkey", "kxpass", "kxnosudo", "kxtty"):
            assert f"\n{user}:" not in "\n" + text, f"{user} leaked into the real /etc/{name}"
    assert not Path("/etc/sudoers.d/kxconsole-test").exists()
    assert not Path("/home/kxkey").exists()


def test_ten_hosts_start_and_stop_leaving_nothing(
    ssh_env: SshEnv, sshd_fleet: Callable[..., list[SshdHost]]
) -> None:
    hosts = sshd_fleet(10)
    assert len({h.address for h in hosts}) == 10
    assert not any(h.address.startswith("127.0.") for h in hosts)
    # an open session on one of them, so stop() has children to clean up too
    session = subprocess.Popen(
        [*ssh_argv(ssh_env, hosts[3].address, 22), "sleep 300"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(500):  # bounded: wait for the session's sleep
            if any(procs.comm(p) == "sleep" for p in procs.descendants_of(hosts[3].pid)):
                break
            time.sleep(0.02)
        tree = [p for h in hosts for p in (h.pid, *procs.descendants_of(h.pid))]
        assert len(tree) > 10
        for h in hosts:
            assert procs.comm(h.pid) == "sshd"
            h.stop()
        assert procs.wait_gone(tree, timeout=5) == []
        listeners = procs.tcp_listeners()
        assert not any((h.address, h.port) in listeners for h in hosts)
        known = ssh_env.known_hosts_path.read_text()
        assert not any(h.host_pubkey_line in known for h in hosts)
        assert session.wait(timeout=30) != 0  # the client saw its connection end
    finally:
        session.kill()
        session.wait()


async def test_kill_session_children_drops_live_connections(
    ssh_env: SshEnv, sshd_host: SshdHost
) -> None:
    key = asyncssh.read_private_key(ssh_env.client_key_path)
    conn = await connect(ssh_env, sshd_host, "kxkey", client_keys=[key])
    try:
        proc = await conn.create_process("sleep 300")
        await asyncio.sleep(0.2)
        assert sshd_host.kill_session_children() == 1
        await asyncio.wait_for(conn.wait_closed(), timeout=30)
        assert proc.exit_status is None
        # the sshd itself still serves new connections
        async with await connect(ssh_env, sshd_host, "kxkey", client_keys=[key]) as again:
            assert (await again.run("echo ok")).stdout == "ok\n"
    finally:
        conn.close()


async def test_sshd_options_override_defaults(
    ssh_env: SshEnv, sshd_fleet: Callable[..., list[SshdHost]]
) -> None:
    (host,) = sshd_fleet(1, MaxSessions="1")
    key = asyncssh.read_private_key(ssh_env.client_key_path)
    async with await connect(ssh_env, host, "kxkey", client_keys=[key]) as c:
        first = await c.create_process("sleep 30")
        with pytest.raises(asyncssh.ChannelOpenError):
            await c.create_process("true")
        first.close()


def test_config_for_maps_the_users(ssh_env: SshEnv, sshd_host: SshdHost) -> None:
    key = config_for(sshd_host, ssh_env)
    assert (key.user, key.private_key_path, key.password) == (
        "kxkey",
        str(ssh_env.client_key_path),
        None,
    )
    assert (key.host, key.port, key.name) == (sshd_host.address, 22, sshd_host.name)
    assert key.known_hosts == str(ssh_env.known_hosts_path)
    pw = config_for(sshd_host, ssh_env, "password", timeout=3.0)
    assert pw.user == "kxpass" and pw.password is not None
    assert pw.password.reveal() == ssh_env.password and pw.timeout == 3.0
    assert ssh_env.password not in repr(pw)
    # a failing test's report prints the fixtures: no secret in them
    assert ssh_env.password not in repr(ssh_env) and ssh_env.key_passphrase not in repr(ssh_env)
    assert config_for(sshd_host, ssh_env, "nosudo").user == "kxnosudo"
    assert config_for(sshd_host, ssh_env, "tty").user == "kxtty"
    with pytest.raises(ValueError):
        config_for(sshd_host, ssh_env, "root")


def test_missing_tool_fails_with_a_clear_message() -> None:
    with pytest.raises(HarnessError, match=r"needs `no-such-sshd-tool`.*install"):
        _require("no-such-sshd-tool", "openssh-server")


def test_an_address_taken_between_probe_and_bind_is_retried(
    sshd_fleet: Callable[..., list[SshdHost]], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as squatter:
        squatter.bind((loopback.peek(), 22))
        squatter.listen()
        taken = squatter.getsockname()[0]
        monkeypatch.setattr(loopback, "is_free", lambda address, port: True)  # the race
        (host,) = sshd_fleet(1)
    assert host.address != taken


def test_a_second_stop_never_kills_a_namespace_that_reused_the_id(
    sshd_fleet: Callable[..., list[SshdHost]],
) -> None:
    """The kernel gives a freed namespace's id to the next new one: a stale id must not be
    scanned for (an earlier harness killed other runs' sshd that way)."""
    (host,) = sshd_fleet(1)
    assert host.namespace is not None
    old_id = host.namespace.id
    host.stop()
    bystanders: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(50):  # bounded: usually the very next namespace takes the id
            p = subprocess.Popen(["unshare", "--mount", "--", "sleep", "60"])
            bystanders.append(p)
            for _ in range(100):
                if procs.comm(p.pid) == "sleep":
                    break
                time.sleep(0.01)
            if procs.mount_ns(p.pid) == old_id:
                break
        reuser = bystanders[-1]
        assert procs.mount_ns(reuser.pid) == old_id, "the kernel did not reuse the id"
        host.stop()  # again, as fixtures do after a test stopped a host itself
        assert reuser.poll() is None, "a second stop killed an unrelated namespace's process"
    finally:
        for p in bystanders:
            p.kill()
            p.wait()


async def test_fifty_simultaneous_connects_to_one_sshd_all_succeed(
    ssh_env: SshEnv, sshd_host: SshdHost
) -> None:
    """MaxStartups is raised: sshd's default 10:30:100 drops many of these."""
    key = asyncssh.read_private_key(ssh_env.client_key_path)

    async def one(i: int) -> str:
        conn = await connect(ssh_env, sshd_host, "kxkey", client_keys=[key])
        try:
            return str((await conn.run(f"echo {i}")).stdout)
        finally:
            conn.close()

    outputs = await asyncio.gather(*(one(i) for i in range(50)))
    assert outputs == [f"{i}\n" for i in range(50)]
