"""How every mutating runner method runs: probes, then a pure plan, then (unless dry-run) steps.

An :class:`Operation` is built by a pure function of the caller's arguments and the host's
facts (``ops_files.write_file_op``, ``ops_packages.install_packages_op``, …). It holds

* ``probes``: read-only shell commands, always run (also in dry-run), with
  ``ExecOptions(probe=True)``;
* ``plan``: a pure function of the probe results that returns the :class:`Plan`, the exact
  :class:`Shell` / :class:`Put` steps needed (none when the host is already as asked).

:class:`RunnerCore` runs the probes, calls ``plan`` and, unless the runner is in dry-run mode,
runs the steps in order. So whether a command is a probe or a mutation is decided by the code
path that builds it, never guessed from the command text, and the plans are unit-tested from
data files without a host (``tests/data/plans/``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kxconsole.connector.base import Connector, ExecOptions, ExecResult
from kxconsole.errors import CommandError, KxError
from kxconsole.runner.models import Change
from kxconsole.runner.quoting import q, redact
from kxconsole.secrets import Secret

PROBE_TIMEOUT = 60.0  # seconds; a probe that hangs (stale mount, stuck init script) fails
STDERR_TAIL_LINES = 15


@dataclass(frozen=True)
class Shell:
    """One shell command (run as ``sh -c``). ``what`` names it in error messages."""

    cmd: str
    sudo: bool = False
    what: str = ""
    timeout: float | None = None

    def describe(self) -> str:
        return self.cmd


@dataclass(frozen=True)
class Put:
    """Write bytes to a file atomically through ``Connector.put`` (temp file + rename)."""

    path: str
    content: bytes = field(repr=False)
    mode: str | None = None
    sudo: bool = False

    def describe(self) -> str:
        # the content may be secret (keys, passwords in configs): only its size and digest
        digest = hashlib.sha256(self.content).hexdigest()[:12]
        mode = f", mode {self.mode}" if self.mode else ""
        return f"put {q(self.path)} ({len(self.content)} bytes, sha256 {digest}{mode})"


Step = Shell | Put


@dataclass(frozen=True)
class ProbeResult:
    exit_code: int
    stdout: str
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


@dataclass
class Plan:
    steps: list[Step]
    message: str

    @property
    def changed(self) -> bool:
        return bool(self.steps)

    @property
    def commands(self) -> list[str]:
        return [s.describe() for s in self.steps]


Planner = Callable[[Mapping[str, ProbeResult]], Plan]


@dataclass
class Operation:
    """Probes to run and the pure function that turns their results into a plan."""

    probes: dict[str, Shell]
    plan: Planner


def static(plan: Plan) -> Operation:
    """An operation that needs no probe (``restart_service``, ``update_package_cache``)."""
    return Operation(probes={}, plan=lambda _results: plan)


def stderr_tail(stderr: bytes | str, lines: int = STDERR_TAIL_LINES) -> str:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    return "\n".join(text.rstrip().splitlines()[-lines:])


def conn_secrets(conn: Connector) -> list[Secret]:
    """The connection's secrets, masked wherever a command or its output is shown."""
    cfg = conn.config
    values = (getattr(cfg, n, None) for n in ("password", "sudo_password", "passphrase"))
    return [v for v in values if isinstance(v, Secret)]


def host_label(conn: Connector) -> str:
    return conn.config.label


def redact_for(conn: Connector, text: str) -> str:
    return redact(text, conn_secrets(conn))


def command_error(
    conn: Connector,
    cmd: str,
    res: ExecResult,
    *,
    what: str = "",
    cls: type[CommandError] = CommandError,
    hidden: bool = False,
) -> CommandError:
    """A :class:`CommandError` naming the host, the redacted command, exit code and stderr.
    ``hidden`` (``ExecOptions.hidden``): neither the command nor its output is kept."""
    if hidden:
        cmd, res = "<hidden>", ExecResult(b"", b"", res.exit_code, res.duration)
    shown = redact_for(conn, cmd)
    short = shown if len(shown) <= 300 else shown[:300] + " …"
    tail = redact_for(conn, stderr_tail(res.stderr) or stderr_tail(res.stdout))
    label = host_label(conn)
    message = (
        f"{what or 'command'} failed on {label} with exit code {res.exit_code}.\n"
        f"command: {short}\n"
        + (f"output (last lines):\n{tail}\n" if tail else "no output on stderr\n")
        + "Check the message above, fix the cause on the host or the input, then retry."
    )
    return cls(
        message,
        host=label,
        command=shown,
        exit_code=res.exit_code,
        stdout=res.stdout,
        stderr=res.stderr,
    )


class RunnerCore:
    """Execution shared by every runner method. Holds only the ``dry_run`` switch."""

    def __init__(self, dry_run: bool = False) -> None:
        self.dry_run = dry_run

    async def _exec(
        self,
        conn: Connector,
        cmd: str,
        *,
        sudo: bool = False,
        probe: bool = False,
        timeout: float | None = None,
        stdin: bytes | None = None,
    ) -> ExecResult:
        opts = ExecOptions(sudo=sudo, timeout=timeout, probe=probe, stdin=stdin)
        return await conn.exec(cmd, opts)

    async def _probe(self, conn: Connector, step: Shell) -> ProbeResult:
        res = await self._exec(
            conn, step.cmd, sudo=step.sudo, probe=True, timeout=step.timeout or PROBE_TIMEOUT
        )
        return ProbeResult(res.exit_code, res.stdout_text, res.stderr_text)

    async def _checked(self, conn: Connector, step: Shell, *, probe: bool = False) -> ExecResult:
        """Run ``step``; a non-zero exit raises :class:`CommandError`."""
        timeout = step.timeout or (PROBE_TIMEOUT if probe else None)
        res = await self._exec(conn, step.cmd, sudo=step.sudo, probe=probe, timeout=timeout)
        if not res.ok:
            raise command_error(conn, step.cmd, res, what=step.what)
        return res

    async def _apply(self, conn: Connector, step: Step) -> None:
        if isinstance(step, Put):
            await conn.put(step.content, step.path, mode=step.mode, sudo=step.sudo)
        else:
            await self._checked(conn, step)

    async def _execute(self, conn: Connector, op: Operation) -> Change:
        """Probe, plan, and run the plan's steps (only the probes in dry-run)."""
        results = {name: await self._probe(conn, probe) for name, probe in op.probes.items()}
        try:
            plan = op.plan(results)
        except KxError as exc:  # the plan found the host unfit: say which host
            if exc.host is None:
                exc.host = host_label(conn)
                exc.message = f"{exc.host}: {exc.message}"
                exc.args = (exc.message,)
            raise
        return await self._run_plan(conn, plan)

    async def _run_plan(self, conn: Connector, plan: Plan) -> Change:
        commands = [redact_for(conn, c) for c in plan.commands]
        if plan.changed and not self.dry_run:
            for step in plan.steps:
                await self._apply(conn, step)
        return Change(
            changed=plan.changed, commands=commands, message=plan.message, dry_run=self.dry_run
        )
