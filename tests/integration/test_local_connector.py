"""LocalConnector against the real ``sh`` of this machine."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from pathlib import Path

import pytest

from kxconsole.connector import ExecOptions, LocalConnector, OutputChunk
from kxconsole.errors import CommandError, CommandTimeout, ValidationError

HOSTILE = [
    "with space",
    "it's",
    'dq"x',
    "$HOME",
    "a;b",
    "line1\nline2",
    "-n",
    "`id`",
    "$(id)",
    "back\\slash",
    "*",
]


def unique_sleep() -> str:
    """A sleep argument no other process on the machine has (found again with /proc)."""
    return f"300.{secrets.randbelow(10**9):09d}"


def pids_with_arg(arg: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if arg.encode() in argv:
                found.append(int(entry.name))
    return found


async def wait_until(predicate: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture
async def conn() -> LocalConnector:
    async with LocalConnector() as c:
        yield c  # type: ignore[misc]


async def test_exit_codes_and_output_are_returned_not_raised(conn: LocalConnector) -> None:
    r = await conn.exec("echo out; echo err >&2; exit 7")
    assert (r.stdout, r.stderr, r.exit_code, r.ok) == (b"out\n", b"err\n", 7, False)
    ok = await conn.exec("true")
    assert ok.ok and ok.stdout == b"" and ok.stderr == b"" and ok.duration >= 0


async def test_stdin_bytes_reach_the_command(conn: LocalConnector) -> None:
    data = bytes(range(256)) * 1000
    r = await conn.exec("cat", ExecOptions(stdin=data))
    assert r.stdout == data


async def test_commands_without_stdin_see_end_of_file(conn: LocalConnector) -> None:
    r = await conn.exec("cat; echo done", ExecOptions(timeout=20))
    assert r.stdout == b"done\n"


@pytest.mark.parametrize("value", HOSTILE)
async def test_hostile_cwd_and_env_values_are_data(
    conn: LocalConnector, tmp_path: Path, value: str
) -> None:
    directory = tmp_path / value.replace("/", "_")
    directory.mkdir()
    r = await conn.exec(
        'printf "%s|%s" "$(pwd)" "$V"', ExecOptions(cwd=str(directory), env={"V": value})
    )
    assert r.stdout.decode() == f"{directory}|{value}"
    assert r.stderr == b""


async def test_missing_cwd_fails_the_command_before_it_runs(conn: LocalConnector) -> None:
    r = await conn.exec("echo ran", ExecOptions(cwd="/nonexistent/kx"))
    assert r.exit_code == 1 and r.stdout == b""


async def test_stream_yields_chunks_before_the_command_ends(conn: LocalConnector) -> None:
    script = "for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.3; done; exit 4"
    started = time.monotonic()
    seen: list[tuple[float, OutputChunk]] = []
    async with conn.stream(script) as running:
        async for chunk in running:
            seen.append((time.monotonic() - started, chunk))
    ended = time.monotonic() - started
    assert running.exit_code == 4
    out = b"".join(c.data for _, c in seen if c.stream == "stdout")
    err = b"".join(c.data for _, c in seen if c.stream == "stderr")
    assert out == b"out1\nout2\nout3\n" and err == b"err1\nerr2\nerr3\n"
    first_out = next(t for t, c in seen if c.data.startswith(b"out1"))
    assert first_out < ended - 0.4  # arrived while the command still ran


async def test_on_output_hook_sees_chunks_in_exec(conn: LocalConnector) -> None:
    got: list[OutputChunk] = []
    r = await conn.exec("echo a; echo b >&2", ExecOptions(on_output=got.append))
    assert b"".join(c.data for c in got if c.stream == "stdout") == r.stdout == b"a\n"
    assert b"".join(c.data for c in got if c.stream == "stderr") == r.stderr == b"b\n"


async def test_timeout_kills_the_process_group(conn: LocalConnector) -> None:
    arg = unique_sleep()
    started = time.monotonic()
    with pytest.raises(CommandTimeout) as info:
        await conn.exec(f"sleep {arg} | cat; echo never", ExecOptions(timeout=0.5))
    assert time.monotonic() - started < 10
    assert info.value.host == "local" and f"sleep {arg}" in info.value.command
    assert await wait_until(lambda: not pids_with_arg(arg)), "the child sleep survived"


async def test_cancel_kills_the_process_group(conn: LocalConnector) -> None:
    arg = unique_sleep()
    task = asyncio.create_task(conn.exec(f"sleep {arg} & wait"))
    assert await wait_until(lambda: pids_with_arg(arg))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await wait_until(lambda: not pids_with_arg(arg)), "the child sleep survived"


async def test_leaving_a_stream_early_kills_the_command(conn: LocalConnector) -> None:
    arg = unique_sleep()
    async with conn.stream(f"echo first; sleep {arg}") as running:
        async for chunk in running:
            assert chunk.data == b"first\n"
            break
    assert await wait_until(lambda: not pids_with_arg(arg))


async def test_put_get_stat_with_int_and_string_modes(conn: LocalConnector, tmp_path: Path) -> None:
    target = tmp_path / "dir with space" / "f'ile"
    target.parent.mkdir()
    await conn.put(b"one\n", str(target), mode=0o600)
    assert target.read_bytes() == b"one\n" and (target.stat().st_mode & 0o7777) == 0o600
    await conn.put(b"two\n", str(target), mode="0644")
    assert (target.stat().st_mode & 0o7777) == 0o644
    assert await conn.get(str(target)) == b"two\n"
    st = await conn.stat(str(target))
    assert st is not None and st.is_file and not st.is_dir and st.size == 4 and st.mode == 0o644
    assert st.owner == "root" and st.uid == os.geteuid()
    assert sorted(p.name for p in target.parent.iterdir()) == ["f'ile"]  # no temp file left
    dir_stat = await conn.stat(str(target.parent))
    assert dir_stat is not None and dir_stat.is_dir
    assert await conn.stat(str(tmp_path / "absent")) is None


async def test_put_keeps_the_mode_of_an_existing_file(conn: LocalConnector, tmp_path: Path) -> None:
    target = tmp_path / "keep"
    target.write_bytes(b"old")
    target.chmod(0o640)
    await conn.put(b"new", str(target))
    assert target.read_bytes() == b"new" and (target.stat().st_mode & 0o7777) == 0o640


async def test_put_applies_owner_and_group(conn: LocalConnector, tmp_path: Path) -> None:
    target = tmp_path / "owned"
    await conn.put(b"x", str(target), owner="nobody", group="nogroup", mode="0640")
    st = await conn.stat(str(target))
    assert st is not None and (st.owner, st.group, st.mode) == ("nobody", "nogroup", 0o640)


async def test_put_is_atomic_for_a_concurrent_reader(conn: LocalConnector, tmp_path: Path) -> None:
    target = tmp_path / "big"
    old, new = b"a" * 4_000_000, b"b" * 4_000_000
    target.write_bytes(old)
    seen: set[bytes] = set()
    stop = False

    async def reader() -> None:
        while not stop:
            data = target.read_bytes()
            seen.add(data[:1] + data[-1:] + str(len(data)).encode())
            await asyncio.sleep(0)

    task = asyncio.create_task(reader())
    for content in (new, old, new):
        await conn.put(content, str(target))
    stop = True
    await task
    assert seen <= {b"aa4000000", b"bb4000000"}, seen
    assert [p.name for p in tmp_path.iterdir()] == ["big"]


async def test_put_errors_name_host_and_path(conn: LocalConnector, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as info:
        await conn.put(b"x", str(tmp_path / "missing-dir" / "f"))
    assert "local" in info.value.message and "missing-dir" in info.value.message
    with pytest.raises(CommandError):
        await conn.get(str(tmp_path / "absent"))
    with pytest.raises(ValidationError):
        await conn.put(b"x", str(tmp_path / "f"), mode="999")
    with pytest.raises(ValidationError):
        await conn.put(b"x", str(tmp_path / "f"), owner="a;b")


async def test_hidden_commands_are_never_logged(
    conn: LocalConnector, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="kxconsole.connector")
    await conn.exec("echo visible-cmd")
    await conn.exec("echo hidden-cmd", ExecOptions(hidden=True))
    assert "visible-cmd" in caplog.text and "hidden-cmd" not in caplog.text
    with pytest.raises(CommandTimeout) as info:
        await conn.exec("sleep 5 # hidden-slow", ExecOptions(hidden=True, timeout=0.2))
    assert "hidden-slow" not in str(info.value)


async def test_a_slow_reader_holds_the_command_back(conn: LocalConnector, tmp_path: Path) -> None:
    flag = tmp_path / "finished"
    size = 50_000_000
    async with conn.stream(f"head -c {size} /dev/zero && touch {flag}") as running:
        total = 0
        async for chunk in running:
            if total == 0:
                await asyncio.sleep(1.0)  # not reading: output must not pile up in memory
                assert not flag.exists(), "the command ran ahead of its reader"
            total += len(chunk.data)
    assert total == size and flag.exists() and running.exit_code == 0
