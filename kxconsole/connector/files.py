"""Shell scripts for file transfer (atomic put, get, stat) and the parser of stat's output.
Content always travels on stdin, never in argv."""

from __future__ import annotations

import posixpath
import re
import shlex

from kxconsole.connector.base import FileStat, parse_mode
from kxconsole.errors import ValidationError

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\$?\Z")
STAT_ABSENT = 3  # exit code of the stat script when the path does not exist
# size, raw mode (hex), uid, gid, mtime, owner, group: names last, they may be "UNKNOWN"
STAT_FORMAT = "%s %f %u %g %Y %U %G"


def _account(kind: str, value: str) -> str:
    if not _NAME.match(value):
        raise ValidationError(f"{kind} {value!r} is not a valid user or group name")
    return value


def put_script(
    path: str, *, mode: int | str | None, owner: str | None, group: str | None
) -> str:
    """Write stdin to a temp file next to ``path``, set mode/owner/group, then rename it over
    ``path`` (one rename: a reader sees the old or the new file, never half of one)."""
    if not path or path.endswith("/"):
        raise ValidationError(f"put needs a file path, not {path!r}")
    bits = parse_mode(mode)
    directory = posixpath.dirname(path) or "."
    if not directory.startswith(("/", ".")):
        directory = "./" + directory
    name = posixpath.basename(path)
    q_path = shlex.quote(path)
    template = shlex.quote(f"{directory}/.{name}.kx.XXXXXXXX")
    lines = [
        "set -e",
        f"tmp=$(mktemp {template})",
        "trap 'rm -f -- \"$tmp\"' EXIT",
        'cat > "$tmp"',
    ]
    if bits is not None:
        lines.append(f'chmod {bits:04o} -- "$tmp"')
    else:  # keep an existing file's mode, else what a plain write would give
        lines.append(
            f"if [ -e {q_path} ]; then chmod \"$(stat -c %a -- {q_path})\" -- \"$tmp\"; "
            "else chmod \"$(printf %o $((0666 & ~$(umask))))\" -- \"$tmp\"; fi"
        )
    if owner is None and group is None:  # as root, keep an existing file's owner and group
        lines.append(
            f"if [ \"$(id -u)\" = 0 ] && [ -e {q_path} ]; then "
            f"chown \"$(stat -c %u:%g -- {q_path})\" -- \"$tmp\"; fi"
        )
    elif owner is not None:
        spec = _account("owner", owner) + (f":{_account('group', group)}" if group else "")
        lines.append(f'chown {shlex.quote(spec)} -- "$tmp"')
    else:
        assert group is not None
        lines.append(f'chgrp {shlex.quote(_account("group", group))} -- "$tmp"')
    lines.append(f'mv -f -- "$tmp" {q_path}')
    return "\n".join(lines)


def get_script(path: str) -> str:
    return f"cat -- {shlex.quote(path)}"


def stat_script(path: str) -> str:
    q = shlex.quote(path)
    return (
        f"[ -e {q} ] || [ -L {q} ] || exit {STAT_ABSENT}\n"
        f"exec stat -c {shlex.quote(STAT_FORMAT)} -- {q}"
    )


def parse_stat(path: str, output: str) -> FileStat:
    """Parse one line of ``stat -c STAT_FORMAT``."""
    parts = output.strip().split(" ", 6)
    if len(parts) != 7:
        raise ValueError(f"unexpected stat output for {path!r}: {output!r}")
    size, raw_mode, uid, gid, mtime, owner, group = parts
    st_mode = int(raw_mode, 16)
    kind = st_mode & 0o170000
    return FileStat(
        path=path,
        size=int(size),
        mode=st_mode & 0o7777,
        uid=int(uid),
        gid=int(gid),
        owner=owner,
        group=group,
        is_dir=kind == 0o040000,
        is_file=kind == 0o100000,
        is_link=kind == 0o120000,
        mtime=float(mtime),
    )
