"""File operations as pure plans: write_file, mkdirp, remove, chmod, chown.

Each ``*_op`` validates its arguments (raising ``ValidationError`` before anything runs) and
returns an :class:`~kxconsole.runner.ops_core.Operation`. Probes print one fact per line so the
plans parse them without guessing; ``stat -c %a`` gives the mode, ``sha256sum < FILE`` the
digest (reading through a redirect keeps odd file names out of the output).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from kxconsole.errors import CommandError, ValidationError
from kxconsole.runner.ops_core import Operation, Plan, ProbeResult, Put, Shell, Step
from kxconsole.runner.quoting import (
    q,
    qpath,
    validate_mode,
    validate_owner,
    validate_path,
    validate_removable,
)


def _same_mode(found: str, wanted: str | None) -> bool:
    try:
        return wanted is None or int(found.strip(), 8) == int(wanted, 8)
    except ValueError:
        return False


def file_state_probe(path: str, *, sudo: bool = False) -> Shell:
    """Prints ``dir``, ``absent``, or ``file`` then the mode and the sha256 line."""
    p = qpath(path)
    return Shell(
        f"if [ -d {p} ]; then echo dir; elif [ -f {p} ]; then echo file; stat -c %a {p}; "
        f"sha256sum < {p}; else echo absent; fi",
        sudo=sudo,
    )


def parse_file_state(res: ProbeResult) -> tuple[str, str, str]:
    """``(state, mode, sha256)`` from :func:`file_state_probe` output."""
    lines = [*res.lines, "", "", ""]
    state = lines[0].strip() or "absent"
    return state, lines[1].strip(), lines[2].strip()[:64]


def write_file_op(
    content: bytes | str, dest_path: str, permissions: str | int | None, sudo: bool = False
) -> Operation:
    data = content.encode() if isinstance(content, str) else bytes(content)
    path = validate_path(dest_path)
    mode = validate_mode(permissions) if permissions is not None else None
    digest = hashlib.sha256(data).hexdigest()

    def plan(results: Mapping[str, ProbeResult]) -> Plan:
        state, found_mode, found_sha = parse_file_state(results["state"])
        if state == "dir":
            raise CommandError(f"cannot write {path}: it is a directory", command="write_file")
        if state == "file" and found_sha == digest:
            if _same_mode(found_mode, mode):
                return Plan([], f"{path} already up to date")
            assert mode is not None
            return Plan(
                [Shell(f"chmod {mode} {qpath(path)}", sudo=sudo, what=f"chmod {path}")],
                f"set mode of {path} to {mode}",
            )
        return Plan([Put(path, data, mode, sudo)], f"write {path} ({len(data)} bytes)")

    return Operation({"state": file_state_probe(path, sudo=sudo)}, plan)


def mkdirp_op(path: str, permissions: str | int | None = None, sudo: bool = False) -> Operation:
    path = validate_path(path)
    mode = validate_mode(permissions) if permissions is not None else None
    p = qpath(path)
    probe = Shell(
        f"if [ -d {p} ]; then echo dir; stat -c %a {p}; "
        f"elif [ -e {p} ] || [ -L {p} ]; then echo other; else echo absent; fi",
        sudo=sudo,
    )

    def plan(results: Mapping[str, ProbeResult]) -> Plan:
        lines = [*results["state"].lines, "", ""]
        state = lines[0].strip()
        if state == "other":
            raise CommandError(f"cannot create directory {path}: a file is in the way")
        if state == "dir":
            if _same_mode(lines[1], mode):
                return Plan([], f"directory {path} already exists")
            return Plan(
                [Shell(f"chmod {mode} {p}", sudo=sudo, what=f"chmod {path}")],
                f"set mode of {path} to {mode}",
            )
        opt = f" -m {mode}" if mode else ""
        return Plan(
            [Shell(f"mkdir -p{opt} {p}", sudo=sudo, what=f"create directory {path}")],
            f"create directory {path}",
        )

    return Operation({"state": probe}, plan)


def remove_op(path: str, sudo: bool = False) -> Operation:
    path = validate_removable(path)
    p = qpath(path)
    probe = Shell(
        f"if [ -e {p} ] || [ -L {p} ]; then echo present; else echo absent; fi", sudo=sudo
    )

    def plan(results: Mapping[str, ProbeResult]) -> Plan:
        if results["state"].stdout.strip() != "present":
            return Plan([], f"{path} already absent")
        return Plan([Shell(f"rm -rf {p}", sudo=sudo, what=f"remove {path}")], f"remove {path}")

    return Operation({"state": probe}, plan)


def chmod_op(path: str, permissions: str | int, sudo: bool = False) -> Operation:
    path = validate_path(path)
    mode = validate_mode(permissions)
    p = qpath(path)

    def plan(results: Mapping[str, ProbeResult]) -> Plan:
        res = results["mode"]
        if not res.ok:
            raise CommandError(
                f"cannot chmod {path}: {res.stderr.strip() or 'it does not exist'}",
                command=f"stat -c %a {p}",
                exit_code=res.exit_code,
            )
        if _same_mode(res.stdout, mode):
            return Plan([], f"{path} already has mode {mode}")
        return Plan(
            [Shell(f"chmod {mode} {p}", sudo=sudo, what=f"chmod {path}")],
            f"set mode of {path} to {mode}",
        )

    return Operation({"mode": Shell(f"stat -c %a {p}", sudo=sudo)}, plan)


def chown_op(
    path: str, owner: str | None, group: str | None, recursive: bool = False
) -> Operation:
    """Owner-only, group-only or both; always with sudo (changing owners needs root)."""
    path = validate_path(path)
    owner = validate_owner(owner, "owner") if owner else None
    group = validate_owner(group, "group") if group else None
    if owner is None and group is None:
        raise ValidationError(f"chown {path}: give an owner, a group or both")
    p = qpath(path)
    tests = ([f"! -user {q(owner)}"] if owner else []) + (
        [f"! -group {q(group)}"] if group else []
    )
    cond = tests[0] if len(tests) == 1 else f"\\( {' -o '.join(tests)} \\)"
    depth = "" if recursive else " -prune"
    # prints the first path whose owner or group differs (find's own errors count as a
    # difference, so the chown that follows reports them)
    probe = Shell(
        f"if [ -e {p} ] || [ -L {p} ]; then echo present; "
        f"find {p}{depth} {cond} -print 2>&1 | head -n 1; else echo absent; fi",
        sudo=True,
    )
    spec = (owner or "") + (f":{group}" if group else "")
    flag = " -R" if recursive else ""

    def plan(results: Mapping[str, ProbeResult]) -> Plan:
        lines = results["owner"].lines
        if not lines or lines[0].strip() != "present":
            raise CommandError(f"cannot chown {path}: it does not exist", command="chown")
        if len(lines) < 2 or not lines[1].strip():
            return Plan([], f"{path} already owned by {spec}")
        steps: list[Step] = [Shell(f"chown{flag} {q(spec)} {p}", sudo=True, what=f"chown {path}")]
        return Plan(steps, f"change owner of {path} to {spec}")

    return Operation({"owner": probe}, plan)
