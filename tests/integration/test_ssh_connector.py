"""SSHConnector against real OpenSSH sshd on loopback (tier 1): commands, sudo, streaming,
the session cap, timeouts and cancels that kill the remote process, reconnects, files."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kxconsole.connector import ExecOptions, SSHConnector
from kxconsole.errors import CommandError, CommandTimeout, SudoError
from tests.harness import procs
from tests.harness.sshd import SshdHost, SshEnv, config_for
from tests.integration.test_local_connector import HOSTILE, pids_with_arg, unique_sleep, wait_until

pytestmark = pytest.mark.sshd

Fleet = Callable[..., list[SshdHost]]


@pytest.fixture
async def key_conn(sshd_host: SshdHost, ssh_env: SshEnv) -> SSHConnector:
    async with SSHConnector(config_for(sshd_host, ssh_env, "key")) as conn:
        yield conn  # type: ignore[misc]


def cmdlines_containing(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def session_children(host: SshdHost) -> int:
    """How many client connections the sshd serves right now (one child per connection)."""
    parents = procs.parent_map()
    return sum(1 for p in procs.children_of(host.pid, parents) if procs.comm(p) == "sshd")


async def test_exit_code_output_and_stdin(key_conn: SSHConnector) -> None:
    r = await key_conn.exec("cat; echo err >&2; exit 3", ExecOptions(stdin=b"in\x00put"))
    assert (r.stdout, r.stderr, r.exit_code) == (b"in\x00put", b"err\n", 3)


async def test_sudo_wraps_the_whole_pipeline(key_conn: SSHConnector, ssh_env: SshEnv) -> None:
    plain = await key_conn.exec("id -u | (cat; id -u)")
    uid = str(ssh_env.uids[ssh_env.key_user]).encode()
    assert plain.stdout == uid + b"\n" + uid + b"\n"
    root = await key_conn.exec("id -u | (cat; id -u)", ExecOptions(sudo=True))
    assert (root.stdout, root.stderr, root.exit_code) == (b"0\n0\n", b"", 0)
    # cwd and env survive sudo's environment reset: they are applied inside the script
    r = await key_conn.exec(
        'printf "%s|%s|" "$(pwd)" "$V"; id -u', ExecOptions(sudo=True, cwd="/", env={"V": "a b"})
    )
    assert r.stdout == b"/|a b|0\n"


async def test_sudo_with_the_login_password(sshd_host: SshdHost, ssh_env: SshEnv) -> None:
    async with SSHConnector(config_for(sshd_host, ssh_env, "password")) as conn:
        r = await conn.exec("id -un | (cat; id -u)", ExecOptions(sudo=True))
        assert (r.stdout, r.stderr) == (b"root\n0\n", b"")  # sudo's prompt is not in stderr
        r = await conn.exec("cat", ExecOptions(sudo=True, stdin=b"after the password"))
        assert r.stdout == b"after the password"


async def test_wrong_sudo_password_fails_fast(sshd_host: SshdHost, ssh_env: SshEnv) -> None:
    config = config_for(sshd_host, ssh_env, "password", sudo_password="not-the-password")
    async with SSHConnector(config) as conn:
        started = time.monotonic()
        with pytest.raises(SudoError) as info:
            await conn.exec("id -u", ExecOptions(sudo=True, timeout=60))
        assert time.monotonic() - started < 20
    assert info.value.reason == "wrong_password" and sshd_host.name in info.value.message
    assert "not-the-password" not in info.value.message


async def test_user_not_in_sudoers(sshd_host: SshdHost, ssh_env: SshEnv) -> None:
    async with SSHConnector(config_for(sshd_host, ssh_env, "nosudo")) as conn:
        with pytest.raises(SudoError) as info:
            await conn.exec("id -u", ExecOptions(sudo=True, timeout=60))
        assert info.value.reason == "not_in_sudoers" and sshd_host.name in info.value.message
        assert (await conn.exec("id -u")).ok  # the user itself still works


async def test_sudo_requiring_a_tty(sshd_host: SshdHost, ssh_env: SshEnv) -> None:
    async with SSHConnector(config_for(sshd_host, ssh_env, "tty")) as conn:
        with pytest.raises(SudoError) as info:
            await conn.exec("id -u", ExecOptions(sudo=True, timeout=60))
    assert info.value.reason == "requires_tty" and "requiretty" in info.value.message


async def test_sudo_without_a_password_where_one_is_needed(
    sshd_host: SshdHost, ssh_env: SshEnv
) -> None:
    config = config_for(sshd_host, ssh_env, "password", sudo_password="")  # "" = no password
    async with SSHConnector(config) as conn:
        with pytest.raises(SudoError) as info:
            await conn.exec("id -u", ExecOptions(sudo=True, timeout=60))
    assert info.value.reason == "password_required"


async def test_a_failing_command_under_sudo_is_a_result_not_a_sudo_error(
    key_conn: SSHConnector,
) -> None:
    r = await key_conn.exec("echo boom >&2; exit 5", ExecOptions(sudo=True))
    assert (r.exit_code, r.stderr) == (5, b"boom\n")


@pytest.mark.parametrize("value", HOSTILE)
async def test_hostile_cwd_and_env_values_are_data(
    key_conn: SSHConnector, value: str
) -> None:
    r = await key_conn.exec(
        'd=$(mktemp -d) && mkdir -- "$d/$V" && cd -- "$d/$V" && printf %s "$V"; rm -rf -- "$d"',
        ExecOptions(env={"V": value}),
    )
    assert r.stdout.decode() == value and r.ok, r.stderr
    r = await key_conn.exec('printf "%s|%s" "$(pwd)" "$V"', ExecOptions(cwd="/", env={"V": value}))
    assert r.stdout.decode() == f"/|{value}"


async def test_streaming_yields_output_while_the_command_runs(key_conn: SSHConnector) -> None:
    script = "for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.4; done; exit 2"
    started = time.monotonic()
    arrivals = []
    async with key_conn.stream(script) as running:
        async for chunk in running:
            arrivals.append((time.monotonic() - started, chunk.stream, chunk.data))
    total = time.monotonic() - started
    assert running.exit_code == 2
    # each stream keeps its own order; between the two, sshd reads two pipes, so only the
    # rounds (0.4 s apart) are ordered, not out$i against err$i
    out = b"".join(d for _, s, d in arrivals if s == "stdout")
    err = b"".join(d for _, s, d in arrivals if s == "stderr")
    assert out == b"out1\nout2\nout3\n"
    assert err == b"err1\nerr2\nerr3\n"
    rounds = [int(d[-2:-1]) for _, _, d in arrivals]  # each chunk is one line here
    assert rounds == sorted(rounds)
    assert arrivals[0][0] < total - 0.6


async def test_one_connection_is_reused(key_conn: SSHConnector, sshd_host: SshdHost) -> None:
    first = key_conn.connection
    for i in range(10):
        assert (await key_conn.exec(f"echo {i}")).stdout == f"{i}\n".encode()
    assert key_conn.connection is first and key_conn.connections_made == 1
    assert session_children(sshd_host) == 1


async def test_twenty_concurrent_commands_queue_below_max_sessions(
    key_conn: SSHConnector, sshd_host: SshdHost
) -> None:
    peak = 0

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, key_conn.active_commands)
            await asyncio.sleep(0.01)

    sampler = asyncio.create_task(sample())
    results = await asyncio.gather(
        *(key_conn.exec(f"sleep 0.5; echo {i}", ExecOptions(timeout=60)) for i in range(20))
    )
    sampler.cancel()
    assert [r.stdout for r in results] == [f"{i}\n".encode() for i in range(20)]
    assert all(r.ok for r in results)
    assert 1 < peak <= key_conn.config.max_sessions < 10  # sshd's default MaxSessions is 10
    assert key_conn.connections_made == 1 and session_children(sshd_host) == 1


@pytest.mark.parametrize("sudo", [False, True], ids=["user", "sudo"])
async def test_timeout_kills_the_remote_process(key_conn: SSHConnector, sudo: bool) -> None:
    arg = unique_sleep()
    with pytest.raises(CommandTimeout) as info:
        await key_conn.exec(f"sleep {arg} | cat", ExecOptions(timeout=1, sudo=sudo))
    assert key_conn.label in info.value.message and info.value.timeout == 1
    assert await wait_until(lambda: not pids_with_arg(arg)), "the remote sleep survived"


async def test_timeout_kills_the_remote_process_with_a_sudo_password(
    sshd_host: SshdHost, ssh_env: SshEnv
) -> None:
    arg = unique_sleep()
    async with SSHConnector(config_for(sshd_host, ssh_env, "password")) as conn:
        task = asyncio.create_task(conn.exec(f"sleep {arg}", ExecOptions(timeout=5, sudo=True)))
        assert await wait_until(lambda: pids_with_arg(arg))
        assert not cmdlines_containing(ssh_env.password), "the sudo password is in an argv"
        with pytest.raises(CommandTimeout):
            await task
    assert await wait_until(lambda: not pids_with_arg(arg)), "the remote root sleep survived"


async def test_cancel_kills_the_remote_process(key_conn: SSHConnector) -> None:
    arg = unique_sleep()
    task = asyncio.create_task(key_conn.exec(f"sleep {arg} & wait", ExecOptions(sudo=True)))
    assert await wait_until(lambda: pids_with_arg(arg))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await wait_until(lambda: not pids_with_arg(arg)), "the remote sleep survived"
    assert (await key_conn.exec("echo still usable")).ok


async def test_a_dropped_connection_is_replaced_transparently(
    key_conn: SSHConnector, sshd_host: SshdHost
) -> None:
    assert (await key_conn.exec("true")).ok
    assert sshd_host.kill_session_children() == 1
    r = await key_conn.exec("echo back")
    assert r.stdout == b"back\n" and key_conn.connections_made == 2


async def test_put_with_sudo_into_a_root_only_directory(
    key_conn: SSHConnector, ssh_env: SshEnv, tmp_path: Path
) -> None:
    secure = tmp_path / "root-only"
    secure.mkdir(mode=0o700)
    os.chmod(tmp_path, 0o755)
    target = secure / "app.conf"
    content = b"key = value\n" * 10000
    await key_conn.put(content, str(target), mode="0640", owner=ssh_env.password_user,
                       group=ssh_env.key_user, sudo=True)
    st = os.stat(target)
    assert target.read_bytes() == content and (st.st_mode & 0o7777) == 0o640
    assert st.st_uid == ssh_env.uids[ssh_env.password_user]
    assert sorted(os.listdir(secure)) == ["app.conf"]  # the temp file was renamed, not left
    assert await key_conn.get(str(target), sudo=True) == content
    remote = await key_conn.stat(str(target), sudo=True)
    assert remote is not None and remote.owner == ssh_env.password_user and remote.mode == 0o640
    with pytest.raises(CommandError) as info:
        await key_conn.put(b"x", str(target))  # without sudo: permission denied
    assert key_conn.label in info.value.message
    assert target.read_bytes() == content


async def test_keepalive_detects_a_server_that_stopped_answering(
    sshd_host: SshdHost, ssh_env: SshEnv
) -> None:
    config = config_for(sshd_host, ssh_env, "key", keepalive_interval=0.5)
    async with SSHConnector(config) as conn:
        assert (await conn.exec("true")).ok
        parents = procs.parent_map()
        frozen = [
            pid
            for child in procs.children_of(sshd_host.pid, parents)
            for pid in (child, *procs.descendants_of(child, parents))
        ]
        assert frozen, "no per-connection sshd process to freeze"
        try:
            for pid in frozen:  # the TCP connection stays open, the server just goes silent
                os.kill(pid, signal.SIGSTOP)
            # keepalive_count_max (3) unanswered keepalives, 0.5 s apart, close the connection
            assert await wait_until(lambda: not conn.is_connected, timeout=30)
        finally:
            sshd_host.kill_session_children()
        assert (await conn.exec("echo reconnected")).stdout == b"reconnected\n"


async def test_a_slow_reader_holds_the_remote_command_back(key_conn: SSHConnector) -> None:
    flag = f"/tmp/kx-finished-{unique_sleep()}"  # on the host, as the login user
    size = 50_000_000
    async with key_conn.stream(f"head -c {size} /dev/zero && touch {flag}") as running:
        total = 0
        async for chunk in running:
            assert chunk.stream == "stdout", chunk
            if total == 0:
                await asyncio.sleep(1.5)  # not reading: SSH flow control must hold sshd back
                probe = await key_conn.exec(f"test -e {flag}")
                assert probe.exit_code == 1, "the remote command ran ahead of its reader"
            total += len(chunk.data)
    assert total == size and running.exit_code == 0
    assert (await key_conn.exec(f"test -e {flag} && rm -f {flag}")).ok


async def test_put_with_a_sudo_password_keeps_the_content_intact(
    sshd_host: SshdHost, ssh_env: SshEnv, tmp_path: Path
) -> None:
    # the password and the content share stdin: sudo must read exactly one line of it
    os.chmod(tmp_path, 0o755)
    secure = tmp_path / "root-only"
    secure.mkdir(mode=0o700)
    content = b"first line\n" + bytes(range(256)) * 4000
    async with SSHConnector(config_for(sshd_host, ssh_env, "password")) as conn:
        await conn.put(content, str(secure / "blob"), mode=0o600, sudo=True)
        assert await conn.get(str(secure / "blob"), sudo=True) == content
    assert (secure / "blob").read_bytes() == content
    assert os.stat(secure / "blob").st_uid == 0
