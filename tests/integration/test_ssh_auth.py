"""SSHConnector login and trust against real sshd (tier 1): key file, key text, encrypted key,
password, ssh-agent, host key policies, jump host."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncssh
import pytest

from kxconsole.connector import ExecOptions, SSHConnector
from kxconsole.connector.hostkeys import host_pattern
from kxconsole.errors import AuthError, ConnectError, HostKeyError
from tests.harness.sshd import SshdHost, SshEnv, config_for

pytestmark = pytest.mark.sshd

Fleet = Callable[..., list[SshdHost]]


async def whoami(conn: SSHConnector) -> str:
    return (await conn.exec("id -un", ExecOptions(timeout=30))).stdout_text.strip()


async def test_key_text_and_key_file(sshd_host: SshdHost, ssh_env: SshEnv) -> None:
    text = ssh_env.client_key_path.read_text()
    for config in (
        config_for(sshd_host, ssh_env, "key"),
        config_for(sshd_host, ssh_env, "key", private_key_path=None, private_key=text),
    ):
        async with SSHConnector(config) as conn:
            assert await whoami(conn) == ssh_env.key_user


async def test_encrypted_key_needs_its_passphrase(sshd_host: SshdHost, ssh_env: SshEnv) -> None:
    path = str(ssh_env.encrypted_key_path)
    good = config_for(sshd_host, ssh_env, "key", private_key_path=path,
                      passphrase=ssh_env.key_passphrase)
    async with SSHConnector(good) as conn:
        assert await whoami(conn) == ssh_env.key_user
    for passphrase in (None, "wrong-phrase"):
        bad = config_for(sshd_host, ssh_env, "key", private_key_path=path, passphrase=passphrase)
        with pytest.raises(AuthError) as info:
            await SSHConnector(bad).connect()
        assert sshd_host.name in info.value.message and "passphrase" in info.value.message
        assert ssh_env.key_passphrase not in info.value.message


async def test_password_login(sshd_host: SshdHost, ssh_env: SshEnv) -> None:
    async with SSHConnector(config_for(sshd_host, ssh_env, "password")) as conn:
        assert await whoami(conn) == ssh_env.password_user


async def test_wrong_login_password_is_an_auth_error(sshd_host: SshdHost, ssh_env: SshEnv) -> None:
    config = config_for(sshd_host, ssh_env, "password", password="wrong-password")
    with pytest.raises(AuthError) as info:
        await SSHConnector(config).connect()
    assert sshd_host.name in info.value.message and ssh_env.password_user in info.value.message
    assert "wrong-password" not in info.value.message


@pytest.fixture
def agent_socket(ssh_env: SshEnv, tmp_path: Path) -> Iterator[str]:
    """A real ssh-agent holding the test key, stopped by PID afterwards."""
    agent = shutil.which("ssh-agent")
    assert agent, "ssh-agent (openssh-client) is needed for the agent test"
    sock = str(tmp_path / "agent.sock")
    proc = subprocess.Popen([agent, "-D", "-a", sock], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            subprocess.run(["sleep", "0.05"], check=True)
        subprocess.run(
            ["ssh-add", str(ssh_env.client_key_path)],
            env={**os.environ, "SSH_AUTH_SOCK": sock}, check=True, capture_output=True,
            timeout=30,
        )
        yield sock
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


async def test_agent_login(
    sshd_host: SshdHost, ssh_env: SshEnv, agent_socket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSH_AUTH_SOCK", agent_socket)
    # no default key files to fall back to: only the agent can log in
    monkeypatch.setenv("HOME", str(ssh_env.tmp / "empty-home"))
    config = config_for(sshd_host, ssh_env, "key", private_key_path=None, use_agent=True)
    async with SSHConnector(config) as conn:
        assert await whoami(conn) == ssh_env.key_user
    without = config_for(sshd_host, ssh_env, "key", private_key_path=None, use_agent=False)
    with pytest.raises(AuthError):
        await SSHConnector(without).connect()


async def test_unknown_host_key_is_refused_under_strict(
    sshd_host: SshdHost, ssh_env: SshEnv, tmp_path: Path
) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    config = config_for(sshd_host, ssh_env, "key", known_hosts=str(known))
    with pytest.raises(HostKeyError) as info:
        await SSHConnector(config).connect()
    err = info.value
    assert err.fingerprint == sshd_host.host_key_fingerprint and not err.changed
    assert sshd_host.name in err.message and "strict" in err.message
    assert known.read_text() == ""  # strict never writes


async def test_missing_known_hosts_file_trusts_nothing(
    sshd_host: SshdHost, ssh_env: SshEnv, tmp_path: Path
) -> None:
    config = config_for(sshd_host, ssh_env, "key", known_hosts=str(tmp_path / "absent"))
    with pytest.raises(HostKeyError):
        await SSHConnector(config).connect()


async def test_accept_new_records_the_key_then_strict_trusts_it(
    sshd_host: SshdHost, ssh_env: SshEnv, tmp_path: Path
) -> None:
    known = tmp_path / "ssh" / "known_hosts"  # the directory does not exist yet
    config = config_for(sshd_host, ssh_env, "key", known_hosts=str(known),
                        host_key_policy="accept-new")
    async with SSHConnector(config) as conn:
        assert await whoami(conn) == ssh_env.key_user
    pattern = host_pattern(sshd_host.address, sshd_host.port)
    assert known.read_text() == f"{pattern} {sshd_host.host_pubkey_line}\n"
    assert (known.stat().st_mode & 0o777) == 0o600
    strict = config_for(sshd_host, ssh_env, "key", known_hosts=str(known))
    async with SSHConnector(strict) as conn:
        assert await whoami(conn) == ssh_env.key_user
    assert known.read_text().count("\n") == 1  # a known key is not recorded again


@pytest.mark.parametrize("policy", ["strict", "accept-new"])
async def test_a_changed_host_key_is_refused_under_every_policy(
    sshd_host: SshdHost, ssh_env: SshEnv, tmp_path: Path, policy: str
) -> None:
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode()
    pattern = host_pattern(sshd_host.address, sshd_host.port)
    known = tmp_path / "known_hosts"
    known.write_text(f"{pattern} {' '.join(other.split()[:2])}\n")
    before = known.read_text()
    config = config_for(sshd_host, ssh_env, "key", known_hosts=str(known), host_key_policy=policy)
    with pytest.raises(HostKeyError) as info:
        await SSHConnector(config).connect()
    assert info.value.changed and info.value.fingerprint == sshd_host.host_key_fingerprint
    assert "CHANGED" in info.value.message and "ssh-keygen -R" in info.value.message
    assert known.read_text() == before


async def test_jump_host(sshd_fleet: Fleet, ssh_env: SshEnv) -> None:
    bastion, target = sshd_fleet(2)
    config = config_for(target, ssh_env, "key", bastion=config_for(bastion, ssh_env, "key"))
    async with SSHConnector(config) as conn:
        r = await conn.exec("echo $SSH_CONNECTION")
        assert r.stdout.split()[2].decode() == target.address
        # the only client connection to the bastion is ours: cutting it cuts the target too
        assert bastion.kill_session_children() == 1
        assert (await conn.exec("echo via a new tunnel")).ok
        assert conn.connections_made == 2
    bastion.stop()
    with pytest.raises(ConnectError) as info:
        await SSHConnector(config).connect()
    assert bastion.name in info.value.message  # the error names the hop that failed
