"""Users and groups as pure plans (``getent`` probes, ``useradd`` / ``groupadd`` with sudo).

An existing user or group is left as it is (no attribute is changed), so both operations are
idempotent. ``add_user`` creates its primary group first when that group is missing.
"""

from __future__ import annotations

from collections.abc import Mapping

from kxconsole.runner.ops_core import Operation, Plan, ProbeResult, Shell, Step
from kxconsole.runner.quoting import q, validate_absolute, validate_groupname, validate_username


def user_probe(username: str) -> Shell:
    return Shell(f"getent passwd {q(validate_username(username))} >/dev/null")


def group_probe(groupname: str) -> Shell:
    return Shell(f"getent group {q(validate_groupname(groupname))} >/dev/null")


def add_group_op(groupname: str, system_group: bool = False) -> Operation:
    name = validate_groupname(groupname)
    flag = " -r" if system_group else ""
    step = Shell(f"groupadd{flag} {q(name)}", sudo=True, what=f"add group {name}")

    def plan(results: Mapping[str, ProbeResult]) -> Plan:
        if results["group"].ok:
            return Plan([], f"group {name} already exists")
        return Plan([step], f"add group {name}")

    return Operation({"group": group_probe(name)}, plan)


def add_user_op(
    username: str,
    group: str | None = None,
    shell: str | None = None,
    home_dir: str | None = None,
    create_home: bool = True,
    system_user: bool = False,
) -> Operation:
    name = validate_username(username)
    group = validate_groupname(group) if group else None
    shell = validate_absolute(shell, "login shell") if shell else None
    home_dir = validate_absolute(home_dir, "home directory") if home_dir else None

    args = ["useradd"]
    if system_user:
        args.append("-r")
    if group:
        args += ["-g", q(group)]
    if shell:
        args += ["-s", q(shell)]
    if home_dir:
        args += ["-d", q(home_dir)]
    args.append("-m" if create_home else "-M")
    args.append(q(name))
    useradd = Shell(" ".join(args), sudo=True, what=f"add user {name}")

    probes = {"user": user_probe(name)}
    if group:
        probes["group"] = group_probe(group)

    def plan(results: Mapping[str, ProbeResult]) -> Plan:
        if results["user"].ok:
            return Plan([], f"user {name} already exists")
        steps: list[Step] = []
        if group and not results["group"].ok:
            flag = " -r" if system_user else ""
            steps.append(Shell(f"groupadd{flag} {q(group)}", sudo=True, what=f"add group {group}"))
        steps.append(useradd)
        return Plan(steps, f"add user {name}")

    return Operation(probes, plan)
