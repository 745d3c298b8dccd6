"""The runner's host-safe methods against a real LocalConnector (real ``sh``), in a tmp dir.

Nothing here touches packages, users, the host name or /etc/hosts: those run in isolated test
hosts and in the plan tests. Downloads come from an ``http.server`` on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import os
import pwd
import socket
import tarfile
import threading
import zipfile
from collections.abc import AsyncIterator, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from kxconsole.connector import LocalConnector
from kxconsole.errors import (
    CommandError,
    CommandTimeout,
    FatalCommandError,
    TemplateError,
    ValidationError,
)
from kxconsole.runner import Facts, Runner

RUNNER = Runner()
DRY = Runner(dry_run=True)
FACTS = Facts()  # the methods used here read no facts


@pytest.fixture
async def conn() -> AsyncIterator[LocalConnector]:
    async with LocalConnector() as connector:
        yield connector


class _QuietHandler(SimpleHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        _QuietHandler.requests.append(self.path)


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving a fresh directory: (base URL, directory)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _QuietHandler.requests = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o7777


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.uid, info.gid = len(data), 4242, 4242
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


# ---- raw commands ---------------------------------------------------------------------------

async def test_run_must_run_check_and_options(conn: LocalConnector) -> None:
    assert await RUNNER.run(conn, "printf 'a b'") == "a b"
    with pytest.raises(CommandError) as err:
        await RUNNER.run(conn, "echo some detail >&2; exit 7")
    assert err.value.exit_code == 7 and "some detail" in err.value.message
    assert err.value.host == conn.config.label
    with pytest.raises(FatalCommandError):
        await RUNNER.must_run(conn, "exit 1")
    assert await RUNNER.check(conn, "true") and not await RUNNER.check(conn, "false")
    from kxconsole.connector import ExecOptions

    out, err_out = await RUNNER.run_with_options(
        conn, "cat; echo e >&2", ExecOptions(stdin=b"in", env={"X": "1"})
    )
    assert out == b"in" and err_out == b"e\n"
    assert (await RUNNER.look_path(conn, "sh")).endswith("/sh")
    with pytest.raises(CommandError):
        await RUNNER.look_path(conn, "no-such-command-kx")


async def test_gather_facts_on_this_machine(conn: LocalConnector) -> None:
    facts = await RUNNER.gather_facts(conn)
    assert facts.os.id and facts.total_cpu >= 1 and facts.hostname


# ---- files ----------------------------------------------------------------------------------

async def test_write_file_is_idempotent_and_tracks_mode(
    conn: LocalConnector, tmp_path: Path
) -> None:
    path = tmp_path / "conf" / "app.conf"
    path.parent.mkdir()
    first = await RUNNER.write_file(conn, b"a=1\n", str(path), "0640")
    assert first.changed and first.commands[0].startswith("put ") and not first.dry_run
    assert path.read_bytes() == b"a=1\n" and _mode(path) == 0o640
    again = await RUNNER.write_file(conn, b"a=1\n", str(path), "0640")
    assert not again.changed and again.commands == []
    mode = await RUNNER.write_file(conn, b"a=1\n", str(path), "0600")
    assert mode.changed and mode.commands == [f"chmod 0600 {path}"] and _mode(path) == 0o600
    content = await RUNNER.write_file(conn, "a=2\n", str(path), "0600")
    assert content.changed and path.read_bytes() == b"a=2\n"
    assert await RUNNER.read_file(conn, str(path)) == b"a=2\n"
    assert await RUNNER.get_sha256(conn, str(path)) == hashlib.sha256(b"a=2\n").hexdigest()
    assert await RUNNER.exists(conn, str(path)) and not await RUNNER.is_dir(conn, str(path))
    assert await RUNNER.is_dir(conn, str(tmp_path))
    assert not await RUNNER.exists(conn, str(tmp_path / "nope"))


async def test_hostile_names_are_data(conn: LocalConnector, tmp_path: Path) -> None:
    for name in ["a b", "-rf", "x;touch marker", "$(touch marker)", "q'uote", "new\nline"]:
        path = tmp_path / name
        assert (await RUNNER.write_file(conn, name.encode(), str(path), "0644")).changed
        assert path.read_bytes() == name.encode()
        assert await RUNNER.get_sha256(conn, str(path)) == hashlib.sha256(name.encode()).hexdigest()
        assert (await RUNNER.chmod(conn, str(path), "0600")).changed
        assert (await RUNNER.remove(conn, str(path))).changed and not path.exists()
    assert not (tmp_path / "marker").exists() and not Path("marker").exists()


async def test_mkdirp_chmod_remove(conn: LocalConnector, tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    assert (await RUNNER.mkdirp(conn, str(deep), "0750")).changed
    assert deep.is_dir() and _mode(deep) == 0o750
    assert not (await RUNNER.mkdirp(conn, str(deep), "0750")).changed
    assert (await RUNNER.chmod(conn, str(deep), "755")).changed and _mode(deep) == 0o755
    assert not (await RUNNER.chmod(conn, str(deep), "0755")).changed
    with pytest.raises(ValidationError):
        await RUNNER.chmod(conn, str(deep), "999")
    with pytest.raises(CommandError):
        await RUNNER.chmod(conn, str(tmp_path / "missing"), "0644")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CommandError):
        await RUNNER.mkdirp(conn, str(tmp_path / "file"), "0755")
    assert (await RUNNER.remove(conn, str(tmp_path / "a"))).changed
    assert not (tmp_path / "a").exists()
    assert not (await RUNNER.remove(conn, str(tmp_path / "a"))).changed


async def test_chown_owner_only_group_only_and_both(conn: LocalConnector, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "f").write_text("x")
    assert os.geteuid() == 0, "this tier runs as root (see .ci/run)"
    assert (await RUNNER.chown(conn, str(tree), "nobody", None, recursive=True)).changed
    nobody = pwd.getpwnam("nobody").pw_uid
    assert (tree / "sub" / "f").stat().st_uid == nobody and tree.stat().st_uid == nobody
    assert not (await RUNNER.chown(conn, str(tree), "nobody", None, recursive=True)).changed
    group = (await RUNNER.run(conn, "id -gn nobody")).strip()
    change = await RUNNER.chown(conn, str(tree / "sub" / "f"), None, group)
    assert change.changed and change.commands[0].startswith("chown :")
    assert not (await RUNNER.chown(conn, str(tree / "sub" / "f"), None, group)).changed
    assert (await RUNNER.chown(conn, str(tree), "root", "root", recursive=True)).changed
    assert (tree / "sub" / "f").stat().st_uid == 0 and (tree / "sub" / "f").stat().st_gid == 0
    assert not (await RUNNER.chown(conn, str(tree), "root", "root", recursive=True)).changed


# ---- templates ------------------------------------------------------------------------------

async def test_render_to_file_and_template_errors(conn: LocalConnector, tmp_path: Path) -> None:
    dest = tmp_path / "nginx.conf"
    template = "server {\n  listen {{ port }};\n  server_name {{ names | join(' ') }};\n}\n"
    data = {"port": 8080, "names": ["a", "b"]}
    first = await RUNNER.render(conn, template, data, str(dest), "0644")
    assert first.changed and dest.read_text() == (
        "server {\n  listen 8080;\n  server_name a b;\n}\n"
    )
    assert not (await RUNNER.render(conn, template, data, str(dest), "0644")).changed
    assert await RUNNER.render_to_string("{{ x }}", {"x": 1}) == "1"
    with pytest.raises(TemplateError) as err:
        await RUNNER.render(conn, template, {"port": 1}, str(tmp_path / "bad.conf"), "0644")
    assert err.value.line == 3 and "names" in err.value.message
    with pytest.raises(TemplateError) as syntax:
        await RUNNER.render(conn, "ok\n{% if %}\n", {}, str(tmp_path / "bad.conf"), "0644")
    assert syntax.value.line == 2
    assert not (tmp_path / "bad.conf").exists()


# ---- archives and downloads -----------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
async def test_extract_twice(conn: LocalConnector, tmp_path: Path, suffix: str) -> None:
    files = {"pkg/bin/tool": b"#!/bin/sh\necho hi\n", "pkg/README": b"read me\n"}
    archive = tmp_path / f"pkg{suffix}"
    archive.write_bytes(_tar_gz(files) if suffix == ".tar.gz" else _zip(files))
    dest = tmp_path / "out dir"
    first = await RUNNER.extract(conn, FACTS, str(archive), str(dest))
    assert first.changed
    assert (dest / "pkg" / "bin" / "tool").read_bytes() == files["pkg/bin/tool"]
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert (dest / f".kx-extracted-{digest}").exists()
    if suffix == ".tar.gz":  # --no-same-owner: the archive's uid 4242 is not kept
        assert (dest / "pkg" / "README").stat().st_uid == os.geteuid()
    again = await RUNNER.extract(conn, FACTS, str(archive), str(dest))
    assert not again.changed and again.commands == []
    with pytest.raises(ValidationError):
        await RUNNER.extract(conn, FACTS, str(tmp_path / "x.rar"), str(dest))
    with pytest.raises(CommandError):
        await RUNNER.extract(conn, FACTS, str(tmp_path / "missing.tar.gz"), str(dest))


async def test_download(conn: LocalConnector, tmp_path: Path, http_root: tuple[str, Path]) -> None:
    base, root = http_root
    (root / "tool.bin").write_bytes(b"binary\x00data")
    digest = hashlib.sha256(b"binary\x00data").hexdigest()
    dest = tmp_path / "dl" / "tool.bin"
    first = await RUNNER.download(conn, FACTS, f"{base}/tool.bin", str(dest), sha256=digest)
    assert first.changed and dest.read_bytes() == b"binary\x00data"
    again = await RUNNER.download(conn, FACTS, f"{base}/tool.bin", str(dest), sha256=digest)
    assert not again.changed
    with pytest.raises(CommandError) as not_found:
        await RUNNER.download(conn, FACTS, f"{base}/missing.bin", str(tmp_path / "dl" / "m"))
    assert "404" in not_found.value.message and not (tmp_path / "dl" / "m").exists()
    with pytest.raises(CommandError) as mismatch:
        await RUNNER.download(conn, FACTS, f"{base}/tool.bin", str(tmp_path / "dl" / "x"),
                              sha256="0" * 64)
    assert "sha256 mismatch" in mismatch.value.message
    assert sorted(p.name for p in (tmp_path / "dl").iterdir()) == ["tool.bin"]  # no temp left


async def test_download_and_extract_twice(
    conn: LocalConnector, tmp_path: Path, http_root: tuple[str, Path]
) -> None:
    base, root = http_root
    (root / "app-1.0.tar.gz").write_bytes(_tar_gz({"app/VERSION": b"1.0\n"}))
    dest = tmp_path / "opt" / "app"
    first = await RUNNER.download_and_extract(conn, FACTS, f"{base}/app-1.0.tar.gz", str(dest))
    assert first.changed and (dest / "app" / "VERSION").read_bytes() == b"1.0\n"
    requests = len(_QuietHandler.requests)
    again = await RUNNER.download_and_extract(conn, FACTS, f"{base}/app-1.0.tar.gz", str(dest))
    assert not again.changed and len(_QuietHandler.requests) == requests  # no network at all


# ---- ports ----------------------------------------------------------------------------------

async def test_ports(conn: LocalConnector) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert await RUNNER.is_port_open(conn, FACTS, port)
        await RUNNER.wait_for_port(conn, FACTS, port, timeout=10)
    with socket.socket() as probe:  # a port nobody listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
        assert not await RUNNER.is_port_open(conn, FACTS, closed)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(CommandTimeout) as err:
            await RUNNER.wait_for_port(conn, FACTS, closed, timeout=1.5)
        assert str(closed) in err.value.message and loop.time() - started < 30


# ---- dry-run --------------------------------------------------------------------------------

def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else b"", _mode(p))
        for p in sorted(root.rglob("*"))
    }


async def test_dry_run_reports_exact_commands_and_changes_nothing(
    conn: LocalConnector, tmp_path: Path, http_root: tuple[str, Path]
) -> None:
    base, www = http_root
    (www / "f.tar.gz").write_bytes(_tar_gz({"f": b"x"}))
    work = tmp_path / "work"
    work.mkdir()
    (work / "old.conf").write_bytes(b"old\n")
    (work / "old.conf").chmod(0o644)
    archive = work / "a.tar.gz"
    archive.write_bytes(_tar_gz({"x": b"y"}))
    before = _snapshot(work)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    new = hashlib.sha256(b"new\n").hexdigest()[:12]

    write = await DRY.write_file(conn, b"new\n", str(work / "old.conf"), "0600")
    assert (write.changed, write.dry_run) == (True, True)
    assert write.commands == [f"put {work}/old.conf (4 bytes, sha256 {new}, mode 0600)"]
    same = await DRY.write_file(conn, b"old\n", str(work / "old.conf"), "0644")
    assert (same.changed, same.commands) == (False, [])
    chmod = await DRY.chmod(conn, str(work / "old.conf"), "0600")
    assert chmod.changed and chmod.commands == [f"chmod 0600 {work}/old.conf"]
    mkdir = await DRY.mkdirp(conn, str(work / "d"), "0700")
    assert mkdir.commands == [f"mkdir -p -m 0700 {work}/d"]
    remove = await DRY.remove(conn, str(work / "old.conf"))
    assert remove.changed and remove.commands == [f"rm -rf {work}/old.conf"]
    assert not (await DRY.remove(conn, str(work / "absent"))).changed
    extract = await DRY.extract(conn, FACTS, str(archive), str(work / "x"))
    assert extract.commands == [
        f"mkdir -p {work}/x",
        f"tar --no-same-owner -xzf {archive} -C {work}/x",
        f"rm -f {work}/x/.kx-extracted-* && touch {work}/x/.kx-extracted-{digest}",
    ]
    fetched = await DRY.download_and_extract(conn, FACTS, f"{base}/f.tar.gz", str(work / "f"))
    assert fetched.changed and len(fetched.commands) == 5 and fetched.dry_run
    assert "curl -fsSL" in fetched.commands[1] or "wget -q" in fetched.commands[1]
    assert _QuietHandler.requests == []
    rendered = await DRY.render(conn, "v={{ v }}\n", {"v": 1}, str(work / "r.conf"), "0644")
    assert rendered.changed and rendered.commands[0].startswith(f"put {work}/r.conf (4 bytes")

    assert _snapshot(work) == before  # nothing on disk changed


async def test_dry_run_commands_hide_url_passwords(conn: LocalConnector, tmp_path: Path) -> None:
    change = await DRY.download(
        conn, FACTS, "https://bob:s3cr3t@127.0.0.1:1/app.tar.gz", str(tmp_path / "app.tar.gz")
    )
    assert change.changed and change.dry_run
    assert "s3cr3t" not in " ".join(change.commands) and "bob:********@" in change.commands[0]
    assert not (tmp_path / "app.tar.gz").exists()
