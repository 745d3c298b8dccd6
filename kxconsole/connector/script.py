"""Pure functions: (command, options, privilege) → the exact command line, its stdin, and the
reader that strips our start marker and sudo's prompt from stderr.

Every command runs as ``sh -c '<script>'``. ``cwd`` and ``env`` are applied inside the script
(sshd drops most variables), and sudo wraps the *whole* script, so pipes and redirects run
privileged too. The script first prints a start marker to stderr carrying its pid and process
group id: under sudo, a missing marker means sudo refused (as opposed to the command failing),
and on a timeout the marker tells us which remote process group to kill.
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from kxconsole.connector.base import ExecOptions
from kxconsole.errors import SudoError, ValidationError
from kxconsole.secrets import Secret

SudoMode = Literal["none", "password", "nopass"]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
MARKER_PREFIX = "KXSTART-"
PROMPT_PREFIX = "[kxsudo-"
HIDDEN = "<hidden command>"

# Reads the pgid from /proc/$$/stat: field 5, counted after the ")" that ends the command name
# (which may itself contain spaces).
_MARKER_LINE = (
    "read -r _kx_s 2>/dev/null </proc/$$/stat; _kx_s=${_kx_s##*) }; set -- $_kx_s; "
    "printf '%s:%s:%s\\n' MARKER \"$$\" \"${3:-}\" >&2; set --; unset _kx_s"
)


def new_token() -> str:
    """A unique, unguessable token for one command's marker and sudo prompt."""
    return secrets.token_hex(8)


@dataclass(frozen=True)
class PreparedCommand:
    """What to actually run for one command."""

    argv: list[str]  # for a local exec
    stdin: bytes  # the sudo password line (if any) followed by the caller's stdin
    token: str
    sudo_mode: SudoMode
    script: str  # the inner script (what ``sh -c`` gets)

    @property
    def line(self) -> str:
        """The command line for an SSH exec request (the login shell parses it)."""
        return shlex.join(self.argv)

    @property
    def marker(self) -> bytes:
        return (MARKER_PREFIX + self.token + ":").encode()

    @property
    def prompt(self) -> bytes:
        return (PROMPT_PREFIX + self.token + "] ").encode()


def validate_env(env: Mapping[str, str]) -> None:
    for name, value in env.items():
        if not _ENV_NAME.match(name):
            raise ValidationError(
                f"environment variable name {name!r} is not valid: use letters, digits and _"
            )
        if "\0" in str(value):
            raise ValidationError(f"environment variable {name} contains a NUL byte")


def build_script(cmd: str, opts: ExecOptions, token: str) -> str:
    """The inner script: marker, cd, exports, then the caller's command."""
    validate_env(opts.env)
    lines = [_MARKER_LINE.replace("MARKER", shlex.quote(MARKER_PREFIX + token))]
    if opts.cwd is not None:
        lines.append(f"cd -- {shlex.quote(opts.cwd)} || exit 1")
    lines.extend(f"export {name}={shlex.quote(str(value))}" for name, value in opts.env.items())
    lines.append(cmd)
    return "\n".join(lines)


def sudo_mode_for(sudo: bool, *, is_root: bool, password: Secret | None) -> SudoMode:
    if not sudo or is_root:
        return "none"
    return "password" if password else "nopass"


def prepare(
    cmd: str,
    opts: ExecOptions,
    *,
    is_root: bool,
    sudo_password: Secret | None,
    token: str | None = None,
) -> PreparedCommand:
    """The command line and stdin for ``cmd`` under ``opts``. The password goes only to stdin."""
    token = token or new_token()
    script = build_script(cmd, opts, token)
    mode = sudo_mode_for(opts.sudo, is_root=is_root, password=sudo_password)
    stdin = opts.stdin or b""
    if mode == "password":
        assert sudo_password is not None
        prompt = PROMPT_PREFIX + token + "] "
        argv = ["sudo", "-S", "-k", "-p", prompt, "--", "sh", "-c", script]
        stdin = sudo_password.reveal().encode() + b"\n" + stdin
    elif mode == "nopass":
        argv = ["sudo", "-n", "--", "sh", "-c", script]
    else:
        argv = ["sh", "-c", script]
    return PreparedCommand(argv=argv, stdin=stdin, token=token, sudo_mode=mode, script=script)


def kill_script(pgid: int | None, pid: int | None) -> str:
    """TERM the process group, wait up to ~2 s for it to go, then KILL what is left.
    Zombies (not yet reaped by their parent) count as gone. No ``--`` before the negative id:
    dash's ``kill`` rejects it."""
    if pgid:
        target = f"-{int(pgid)}"
        # a live (non-zombie) member of the group, from /proc; without /proc, ask kill -0
        alive = (
            "alive() { [ -d /proc/self ] || { kill -0 TARGET 2>/dev/null; return; }\n"
            "  for f in /proc/[0-9]*/stat; do read -r s 2>/dev/null <\"$f\" || continue\n"
            "    s=${s##*) }; set -- $s; [ \"$1\" != Z ] && [ \"$3\" = PGID ] && return 0\n"
            "  done; return 1; }\n"
        ).replace("TARGET", target).replace("PGID", str(int(pgid)))
    else:
        target = str(int(pid or 0))
        alive = f"alive() {{ kill -0 {target} 2>/dev/null; }}\n"
    return (
        alive
        + f"kill -TERM {target} 2>/dev/null || exit 0\n"
        "i=0\n"
        "while alive && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done\n"
        f"kill -KILL {target} 2>/dev/null\n"
        "exit 0"
    )


def redact(cmd: str, hidden: bool) -> str:
    """The command as messages and logs may show it."""
    return HIDDEN if hidden else cmd


@dataclass
class MarkerFilter:
    """Streams stderr through, holding back everything before the start marker so the marker
    line and sudo's prompts never reach the caller. Feed chunks with :meth:`feed`; whatever
    it returns is caller-visible stderr."""

    marker: bytes
    prompt: bytes = b""
    seen: bool = False
    pid: int | None = None
    pgid: int | None = None
    _held: bytearray = field(default_factory=bytearray)
    # everything held before the marker, kept for classifying a sudo refusal
    preamble: bytes = b""

    def feed(self, data: bytes) -> bytes:
        if self.seen:
            return data
        self._held += data
        start = self._held.find(self.marker)
        if start < 0:
            return b""
        end = self._held.find(b"\n", start)
        if end < 0:
            return b""
        fields = bytes(self._held[start + len(self.marker) : end]).split(b":")
        self.pid = _to_int(fields[0]) if fields else None
        self.pgid = _to_int(fields[1]) if len(fields) > 1 else None
        self.preamble = bytes(self._held[:start])
        rest = bytes(self._held[end + 1 :])
        self._held.clear()
        self.seen = True
        return self.strip_prompts(self.preamble) + rest

    def flush(self) -> bytes:
        """At the end of output: what was held back (the marker never came)."""
        if self.seen:
            return b""
        self.preamble = bytes(self._held)
        self._held.clear()
        return self.strip_prompts(self.preamble)

    def strip_prompts(self, data: bytes) -> bytes:
        return data.replace(self.prompt, b"") if self.prompt else data


def _to_int(raw: bytes) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None


SudoReason = Literal[
    "wrong_password", "not_in_sudoers", "requires_tty", "password_required", "unknown"
]

_REASONS: list[tuple[SudoReason, tuple[str, ...]]] = [
    ("requires_tty", ("must have a tty", "a terminal is required")),
    ("not_in_sudoers", ("is not in the sudoers file", "is not allowed to", "may not run sudo")),
    ("wrong_password", ("incorrect password", "sorry, try again", "authentication failure")),
    ("password_required", ("a password is required", "no password was provided", "no tty present")),
]


def classify_sudo_failure(stderr: bytes) -> SudoReason:
    text = stderr.decode("utf-8", "replace").lower()
    for reason, needles in _REASONS:
        if any(n in text for n in needles):
            return reason
    return "unknown"


_ADVICE: dict[SudoReason, str] = {
    "wrong_password": "the sudo password was rejected; check the sudo password for this host",
    "not_in_sudoers": "the user may not use sudo here; use a user with sudo rights or add "
    "this user to sudoers on the host",
    "requires_tty": "sudoers has 'requiretty' for this user; remove it for this user "
    "(Defaults:<user> !requiretty) on the host",
    "password_required": "sudo needs a password and none was given; set a sudo password for "
    "this host, or allow NOPASSWD for this user",
    "unknown": "sudo refused without a recognised reason; see its message",
}


def sudo_error(host: str, cmd: str, hidden: bool, preamble: bytes) -> SudoError:
    """The :class:`SudoError` for a privileged command whose start marker never arrived."""
    reason = classify_sudo_failure(preamble)
    lines = preamble.decode("utf-8", "replace").splitlines()
    said = " | ".join(line.strip() for line in lines if line.strip())[-300:]
    message = (
        f"sudo refused on {host} for {redact(cmd, hidden)!r}: {_ADVICE[reason]}"
        + (f" (sudo said: {said})" if said else "")
    )
    return SudoError(message, host=host, reason=reason)
