"""FakeConnector (scripted replies, streaming, in-memory files) and DryRunConnector."""

from __future__ import annotations

import pytest

from kxconsole.connector import (
    ConnectionConfig,
    Connector,
    DryRunConnector,
    ExecOptions,
    FakeConnector,
    FakeReply,
    LocalConnector,
    OutputChunk,
    SSHConnector,
)
from kxconsole.errors import CommandError, CommandTimeout, SudoError


def test_fake_and_dry_run_keep_the_connector_protocol() -> None:
    fake = FakeConnector()
    assert isinstance(fake, Connector)
    assert isinstance(DryRunConnector(fake), Connector)
    assert isinstance(LocalConnector(), Connector)
    assert isinstance(SSHConnector(ConnectionConfig(host="203.0.113.1")), Connector)


async def test_replies_by_exact_command_then_regex_then_handler() -> None:
    fake = FakeConnector(
        replies={
            "uname -r": "6.1.0\n",
            r"^systemctl is-active (\S+)$": FakeReply(stdout="inactive\n", exit_code=3),
            "cat /etc/os-release": lambda cmd, opts: FakeReply(stdout=f"sudo={opts.sudo}"),
        },
        handler=lambda cmd, opts: FakeReply(stderr="handled\n", exit_code=1),
    )
    assert (await fake.exec("uname -r")).stdout == b"6.1.0\n"
    r = await fake.exec("systemctl is-active nginx")
    assert (r.stdout, r.exit_code) == (b"inactive\n", 3)
    assert (await fake.exec("cat /etc/os-release", ExecOptions(sudo=True))).stdout == b"sudo=True"
    assert (await fake.exec("other")).stderr == b"handled\n"
    assert fake.commands == [
        "uname -r", "systemctl is-active nginx", "cat /etc/os-release", "other"
    ]
    assert fake.calls[2].opts.sudo


async def test_no_reply_exits_127() -> None:
    r = await FakeConnector().exec("missing")
    assert r.exit_code == 127 and b"missing" in r.stderr


async def test_streams_chunks_in_order_and_sets_exit_code() -> None:
    chunks = [OutputChunk("stdout", b"a"), OutputChunk("stderr", b"b"), OutputChunk("stdout", b"c")]
    reply = FakeReply(chunks=chunks, exit_code=2, delay_per_chunk=0.01)
    fake = FakeConnector(replies={"job": reply})
    seen = []
    async with fake.stream("job", ExecOptions(on_output=seen.append)) as running:
        got = [chunk async for chunk in running]
    assert got == chunks == seen and running.exit_code == 2


async def test_timeouts_and_errors_are_scripted_deterministically() -> None:
    slow = FakeReply(chunks=[OutputChunk("stdout", b"x")] * 10, delay_per_chunk=0.05)
    fake = FakeConnector(
        replies={"slow": slow, "priv": FakeReply(error=SudoError("no", reason="wrong_password"))}
    )
    with pytest.raises(CommandTimeout):
        await fake.exec("slow", ExecOptions(timeout=0.2))
    with pytest.raises(SudoError):
        await fake.exec("priv", ExecOptions(sudo=True))


async def test_fail_connect() -> None:
    fake = FakeConnector(fail_connect=ConnectionRefusedError("refused"))
    with pytest.raises(ConnectionRefusedError):
        await fake.connect()
    with pytest.raises(ConnectionRefusedError):
        await fake.exec("true")


async def test_in_memory_files() -> None:
    fake = FakeConnector(files={"/etc/hostname": b"web1\n"})
    assert await fake.get("/etc/hostname") == b"web1\n"
    await fake.put(b"x = 1\n", "/etc/app/app.conf", mode="0600", owner="app")
    st = await fake.stat("/etc/app/app.conf")
    assert st is not None and (st.size, st.mode, st.owner, st.is_file) == (6, 0o600, "app", True)
    await fake.put(b"x = 2\n", "/etc/app/app.conf")
    st = await fake.stat("/etc/app/app.conf")
    assert st is not None and st.mode == 0o600 and st.owner == "app"  # kept on overwrite
    directory = await fake.stat("/etc/app")
    assert directory is not None and directory.is_dir
    assert await fake.stat("/nope") is None
    with pytest.raises(CommandError):
        await fake.get("/nope")


async def test_dry_run_runs_probes_and_records_the_rest() -> None:
    inner = FakeConnector(replies={"dpkg -s nginx": FakeReply(exit_code=1)})
    dry = DryRunConnector(inner)
    probe = await dry.exec("dpkg -s nginx", ExecOptions(probe=True))
    assert probe.exit_code == 1
    change = await dry.exec("apt-get install -y nginx", ExecOptions(sudo=True))
    assert change.ok and change.stdout == b""
    await dry.exec("chpasswd", ExecOptions(sudo=True, hidden=True, stdin=b"user:secret"))
    await dry.put(b"abc", "/etc/x.conf", mode=0o644, owner="root", sudo=True)
    async with dry.stream("systemctl restart nginx") as running:
        assert [c async for c in running] == [] and running.exit_code == 0
    assert inner.commands == ["dpkg -s nginx"]  # nothing else reached the host
    assert dry.planned == [
        "sudo: apt-get install -y nginx",
        "sudo: <hidden command>",
        "sudo: write /etc/x.conf (3 bytes, mode 0644, owner root)",
        "systemctl restart nginx",
    ]


async def test_dry_run_reads_files_through_the_inner_connector() -> None:
    dry = DryRunConnector(FakeConnector(files={"/a": b"1"}))
    assert await dry.get("/a") == b"1"
    assert (await dry.stat("/a")) is not None
