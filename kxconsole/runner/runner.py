"""The Runner (see runner-contract.md): operator intent → shell commands on one host.

The class is thin: each mutating method builds a pure :class:`~kxconsole.runner.ops_core.
Operation` (``ops_files``, ``ops_packages``, ``ops_services``, ``ops_users``, ``ops_net``,
``ops_archives``) and hands it to :meth:`RunnerCore._execute`.

**Dry-run**: ``Runner(dry_run=True)``. Every mutating method then runs only its read-only
probes (sent with ``ExecOptions(probe=True)``) and returns ``Change(changed, commands,
message, dry_run=True)``: ``commands`` are the exact commands it would run (a file write shows
as ``put PATH (N bytes, sha256 …, mode …)``), ``changed`` whether it would change anything.
Nothing else reaches the host. The raw-command methods (``run``, ``must_run``, ``check``,
``run_with_options``) always run what they are given: they are the caller's own commands.

Methods without a ``sudo`` argument that need root (packages, services, users, /etc/hosts,
host name, chown) always use sudo; the connector skips it when already root.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import jinja2

from kxconsole.connector.base import Connector, ExecOptions
from kxconsole.errors import CommandTimeout, FatalCommandError, ValidationError
from kxconsole.runner import ops_archives, ops_files, ops_net, ops_packages, ops_services, ops_users
from kxconsole.runner.facts import FACTS_SCRIPT, parse_facts
from kxconsole.runner.models import Change, Facts
from kxconsole.runner.ops_core import RunnerCore, Shell, command_error, host_label
from kxconsole.runner.quoting import (
    q,
    qpath,
    validate_packages,
    validate_path,
    validate_port,
    validate_service,
    validate_sha256,
)
from kxconsole.runner.render import render_to_string as _render_to_string

FACTS_TIMEOUT = 30.0


class Runner(RunnerCore):
    """Stateless host operations; every method takes the connector first."""

    # ---- facts and raw commands ----------------------------------------------------------

    async def gather_facts(self, conn: Connector) -> Facts:
        """All facts in one round trip (``FACTS_SCRIPT``); partial facts list their errors."""
        res = await conn.exec(FACTS_SCRIPT, ExecOptions(timeout=FACTS_TIMEOUT, probe=True))
        if not res.ok and not res.stdout.strip():
            raise command_error(conn, "FACTS_SCRIPT", res, what="gathering facts")
        return parse_facts(res.stdout_text)

    async def run(self, conn: Connector, cmd: str, sudo: bool = False) -> str:
        """Run ``cmd``; its stdout, or :class:`CommandError` on a non-zero exit."""
        res = await self._exec(conn, cmd, sudo=sudo)
        if not res.ok:
            raise command_error(conn, cmd, res)
        return res.stdout_text

    async def must_run(self, conn: Connector, cmd: str, sudo: bool = False) -> str:
        """Like :meth:`run`, raising :class:`FatalCommandError` for callers that cannot go on."""
        res = await self._exec(conn, cmd, sudo=sudo)
        if not res.ok:
            raise command_error(conn, cmd, res, cls=FatalCommandError)
        return res.stdout_text

    async def check(self, conn: Connector, cmd: str, sudo: bool = False) -> bool:
        """True when ``cmd`` exits 0; transport, timeout and sudo failures still raise."""
        return (await self._exec(conn, cmd, sudo=sudo)).ok

    async def run_with_options(
        self, conn: Connector, cmd: str, opts: ExecOptions
    ) -> tuple[bytes, bytes]:
        """Full control over the options; ``(stdout, stderr)``, CommandError when non-zero."""
        res = await conn.exec(cmd, opts)
        if not res.ok:
            raise command_error(conn, cmd, res, hidden=opts.hidden)
        return res.stdout, res.stderr

    # ---- downloads and archives ----------------------------------------------------------

    async def download(
        self,
        conn: Connector,
        facts: Facts,
        url: str,
        dest_path: str,
        sudo: bool = False,
        sha256: str | None = None,
    ) -> Change:
        """Fetch ``url`` to ``dest_path`` (curl or wget on the host), atomically; kept when
        present and, if ``sha256`` is given, matching it."""
        return await self._execute(conn, ops_archives.download_op(url, dest_path, sudo, sha256))

    async def extract(
        self, conn: Connector, facts: Facts, archive_path: str, dest_dir: str, sudo: bool = False
    ) -> Change:
        """Unpack by suffix; skipped when ``<dest>/.kx-extracted-<sha256>`` marks this archive."""
        return await self._execute(conn, ops_archives.extract_op(archive_path, dest_dir, sudo))

    async def download_and_extract(
        self,
        conn: Connector,
        facts: Facts,
        url: str,
        dest_dir: str,
        sudo: bool = False,
        sha256: str | None = None,
    ) -> Change:
        """Download to ``<dest>/.kx-downloads/<name>`` (kept for re-runs), then extract."""
        archive = ops_archives.download_archive_path(url, dest_dir)
        fetched = await self.download(conn, facts, url, archive, sudo, sha256)
        # in dry-run the archive may not be there yet: plan the extraction without it
        pending = self.dry_run and fetched.changed
        op = ops_archives.extract_op(archive, dest_dir, sudo, archive_pending=pending)
        unpacked = await self._execute(conn, op)
        return Change(
            changed=fetched.changed or unpacked.changed,
            commands=fetched.commands + unpacked.commands,
            message=f"{fetched.message}; {unpacked.message}",
            dry_run=self.dry_run,
        )

    # ---- files ---------------------------------------------------------------------------

    async def exists(self, conn: Connector, path: str) -> bool:
        p = qpath(path)
        return (await self._probe(conn, Shell(f"[ -e {p} ] || [ -L {p} ]"))).ok

    async def is_dir(self, conn: Connector, path: str) -> bool:
        return (await self._probe(conn, Shell(f"[ -d {qpath(path)} ]"))).ok

    async def read_file(self, conn: Connector, path: str, sudo: bool = False) -> bytes:
        return await conn.get(validate_path(path), sudo=sudo)

    async def write_file(
        self,
        conn: Connector,
        content: bytes | str,
        dest_path: str,
        permissions: str | int | None,
        sudo: bool = False,
    ) -> Change:
        """Atomic write (``Connector.put``); unchanged when content and mode already match."""
        op = ops_files.write_file_op(content, dest_path, permissions, sudo)
        return await self._execute(conn, op)

    async def mkdirp(
        self, conn: Connector, path: str, permissions: str | int | None = None, sudo: bool = False
    ) -> Change:
        return await self._execute(conn, ops_files.mkdirp_op(path, permissions, sudo))

    async def remove(self, conn: Connector, path: str, sudo: bool = False) -> Change:
        """``rm -rf``; an absent path is no change. ``/`` is refused."""
        return await self._execute(conn, ops_files.remove_op(path, sudo))

    async def chmod(
        self, conn: Connector, path: str, permissions: str | int, sudo: bool = False
    ) -> Change:
        return await self._execute(conn, ops_files.chmod_op(path, permissions, sudo))

    async def chown(
        self,
        conn: Connector,
        path: str,
        owner: str | None,
        group: str | None,
        recursive: bool = False,
    ) -> Change:
        """Owner-only (``group=None``), group-only (``owner=None``) or both; with sudo."""
        return await self._execute(conn, ops_files.chown_op(path, owner, group, recursive))

    async def get_sha256(self, conn: Connector, path: str, sudo: bool = False) -> str:
        step = Shell(f"sha256sum < {qpath(path)}", sudo=sudo, what=f"checksum {path}")
        res = await self._checked(conn, step, probe=True)
        return validate_sha256(res.stdout_text[:64])

    async def look_path(self, conn: Connector, file: str) -> str:
        """The path ``command -v`` finds for ``file``; CommandError when it is not there."""
        step = Shell(f"command -v {q(validate_path(file))}", what=f"look up {file!r} in PATH")
        return (await self._checked(conn, step, probe=True)).stdout_text.strip()

    # ---- network -------------------------------------------------------------------------

    async def is_port_open(self, conn: Connector, facts: Facts, port: int) -> bool:
        """A TCP listener on ``port`` on any address of the host (``ss``, else /proc)."""
        validate_port(port)
        res = await self._probe(conn, ops_net.LISTENERS_PROBE)
        return ops_net.is_port_listening(res.stdout, port)

    async def wait_for_port(
        self, conn: Connector, facts: Facts, port: int, timeout: float
    ) -> None:
        """Poll until ``port`` listens; :class:`CommandTimeout` after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline, delay = loop.time() + timeout, 0.25
        while not await self.is_port_open(conn, facts, port):
            remaining = deadline - loop.time()
            if remaining <= 0:
                label = host_label(conn)
                raise CommandTimeout(
                    f"waiting for TCP port {port} on {label}: nothing listened within "
                    f"{timeout:g}s. Check that the service started and listens on that port.",
                    host=label,
                    command=ops_net.LISTENERS_PROBE.cmd,
                    timeout=timeout,
                )
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)

    async def set_hostname(self, conn: Connector, facts: Facts, hostname: str) -> Change:
        return await self._execute(conn, ops_net.set_hostname_op(facts, hostname))

    async def add_host_entry(
        self, conn: Connector, ip: str, fqdn: str, *hostnames: str
    ) -> Change:
        """Map ``ip`` to ``fqdn`` and ``hostnames`` in /etc/hosts (merged, never duplicated)."""
        return await self._execute(conn, ops_net.add_host_entry_op(ip, fqdn, hostnames))

    # ---- packages ------------------------------------------------------------------------

    async def install_packages(self, conn: Connector, facts: Facts, *packages: str) -> Change:
        """One query for all, then install only the missing ones."""
        op = ops_packages.install_packages_op(facts, list(packages))
        return await self._execute(conn, op)

    async def remove_packages(self, conn: Connector, facts: Facts, *packages: str) -> Change:
        op = ops_packages.remove_packages_op(facts, list(packages))
        return await self._execute(conn, op)

    async def update_package_cache(self, conn: Connector, facts: Facts) -> Change:
        """``apt-get update`` / ``dnf makecache`` / ``yum makecache``; never upgrades."""
        return await self._execute(conn, ops_packages.update_package_cache_op(facts))

    async def is_package_installed(self, conn: Connector, facts: Facts, package: str) -> bool:
        info = ops_packages.package_info(facts)
        names = validate_packages([package])
        res = await self._probe(conn, ops_packages.query_probe(info, names))
        return package in ops_packages.installed_set(info, names, res.stdout)

    async def add_repository(
        self, conn: Connector, facts: Facts, repo_config: str, is_file_path: bool = False
    ) -> Change:
        """Install a repository definition: the text itself, or (``is_file_path``) a file
        already on the host. apt: ``/etc/apt/sources.list.d/``; dnf/yum:
        ``/etc/yum.repos.d/``; named by :func:`ops_packages.repository_file_name`."""
        source: str | None = None
        if is_file_path:
            source = validate_path(repo_config)
            read = Shell(f"cat {qpath(source)}", sudo=True, what=f"read {source}")
            content = (await self._checked(conn, read, probe=True)).stdout_text
        else:
            content = repo_config if repo_config.endswith("\n") else repo_config + "\n"
        if not content.strip():
            raise ValidationError("the repository definition is empty")
        dest = ops_packages.repository_path(facts, content, source)
        op = ops_files.write_file_op(content, dest, "0644", sudo=True)
        return await self._execute(conn, op)

    # ---- services ------------------------------------------------------------------------

    async def start_service(self, conn: Connector, facts: Facts, name: str) -> Change:
        return await self._execute(conn, ops_services.service_op(facts, name, "start"))

    async def stop_service(self, conn: Connector, facts: Facts, name: str) -> Change:
        return await self._execute(conn, ops_services.service_op(facts, name, "stop"))

    async def restart_service(self, conn: Connector, facts: Facts, name: str) -> Change:
        """Always restarts (and reports a change)."""
        return await self._execute(conn, ops_services.service_op(facts, name, "restart"))

    async def enable_service(self, conn: Connector, facts: Facts, name: str) -> Change:
        return await self._execute(conn, ops_services.service_op(facts, name, "enable"))

    async def disable_service(self, conn: Connector, facts: Facts, name: str) -> Change:
        return await self._execute(conn, ops_services.service_op(facts, name, "disable"))

    async def is_service_active(self, conn: Connector, facts: Facts, name: str) -> bool:
        probe = ops_services.is_active_probe(facts, validate_service(name))
        return (await self._probe(conn, probe)).ok

    async def daemon_reload(self, conn: Connector, facts: Facts) -> Change:
        """``systemctl daemon-reload``; a no-op (no change) on sysvinit."""
        return await self._execute(conn, ops_services.daemon_reload_op(facts))

    # ---- templates -----------------------------------------------------------------------

    async def render(
        self,
        conn: Connector,
        template: jinja2.Template | str,
        data: Mapping[str, Any],
        dest_path: str,
        permissions: str | int | None,
        sudo: bool = False,
    ) -> Change:
        """Render with StrictUndefined (TemplateError names the line), then :meth:`write_file`."""
        name = getattr(template, "name", None) or f"<template for {dest_path}>"
        text = _render_to_string(template, data, name=name)
        return await self.write_file(conn, text.encode(), dest_path, permissions, sudo)

    async def render_to_string(
        self, template: jinja2.Template | str, data: Mapping[str, Any]
    ) -> str:
        """Render locally, no host needed (async like every method; the synchronous
        ``kxconsole.runner.render.render_to_string`` is the same function)."""
        return _render_to_string(template, data)

    # ---- users and groups ----------------------------------------------------------------

    async def user_exists(self, conn: Connector, username: str) -> bool:
        return (await self._probe(conn, ops_users.user_probe(username))).ok

    async def group_exists(self, conn: Connector, groupname: str) -> bool:
        return (await self._probe(conn, ops_users.group_probe(groupname))).ok

    async def add_user(
        self,
        conn: Connector,
        username: str,
        group: str | None = None,
        shell: str | None = None,
        home_dir: str | None = None,
        create_home: bool = True,
        system_user: bool = False,
    ) -> Change:
        """``useradd`` unless the user exists (then nothing changes)."""
        op = ops_users.add_user_op(username, group, shell, home_dir, create_home, system_user)
        return await self._execute(conn, op)

    async def add_group(
        self, conn: Connector, groupname: str, system_group: bool = False
    ) -> Change:
        return await self._execute(conn, ops_users.add_group_op(groupname, system_group))
