"""Service operations as pure plans, from the init system's ``ServiceInfo`` templates.

start/stop skip when the service already is in that state (``is_active_cmd``), enable/disable
when the boot links already say so (``systemctl is-enabled``; on sysvinit the
``/etc/rc[2-5].d/S??name`` links on Debian, ``chkconfig --list`` on RHEL). restart always
changes; daemon_reload is a no-op on sysvinit. Every change runs with sudo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from kxconsole.errors import ValidationError
from kxconsole.runner.families import os_family, service_command
from kxconsole.runner.models import Facts, InitSystemType, ServiceInfo
from kxconsole.runner.ops_core import Operation, Plan, ProbeResult, Shell, static
from kxconsole.runner.quoting import q, validate_service

# `systemctl is-enabled` states in which enabling (or disabling) has nothing to do
ENABLED_STATES = frozenset({"enabled", "enabled-runtime", "alias", "static", "generated"})
DISABLED_STATES = frozenset(
    {"disabled", "masked", "masked-runtime", "static", "indirect", "generated", "transient"}
)
_CHKCONFIG_ON_RE = re.compile(r"\b[2-5]:on\b")

Action = Literal["start", "stop", "restart", "enable", "disable"]


def service_info(facts: Facts) -> ServiceInfo:
    info = facts.init_system
    if info.type == InitSystemType.UNKNOWN or not info.start_cmd:
        raise ValidationError(
            "no known init system on this host (facts say 'unknown'): only systemd and "
            "sysvinit are supported; gather facts again"
        )
    return info


def is_active_probe(facts: Facts, name: str) -> Shell:
    info = service_info(facts)
    # init.d status scripts may need root to read pid files; systemctl does not
    sudo = info.type == InitSystemType.SYSVINIT
    return Shell(service_command(info.is_active_cmd, name) + " >/dev/null 2>&1", sudo=sudo)


def is_enabled_probe(facts: Facts, name: str) -> Shell:
    """Prints the unit-file state (systemd), ``chkconfig`` then its line, or ``rcd`` then
    the S links (sysvinit)."""
    info = service_info(facts)
    n = q(name)
    if info.type == InitSystemType.SYSTEMD:
        return Shell(f"systemctl is-enabled {n} 2>/dev/null")
    rcd = f"echo rcd; ls -d /etc/rc[2-5].d/S??{n} 2>/dev/null"
    chk = f"echo chkconfig; LC_ALL=C chkconfig --list {n} 2>/dev/null"
    family = os_family(facts.os.id, facts.os.id_like)
    if family == "debian":
        script = rcd
    elif family == "rhel":
        script = chk
    else:
        script = f"if command -v chkconfig >/dev/null 2>&1; then {chk}; else {rcd}; fi"
    return Shell(script + "; true", sudo=True)


def parse_enabled(facts: Facts, res: ProbeResult) -> str:
    """``enabled``, ``disabled`` or the systemd unit-file state (``static``, ``masked``…)."""
    if facts.init_system.type == InitSystemType.SYSTEMD:
        return res.stdout.strip().splitlines()[0] if res.stdout.strip() else "unknown"
    lines = [line.strip() for line in res.lines if line.strip()]
    if not lines:
        return "disabled"
    if lines[0] == "chkconfig":
        return "enabled" if any(_CHKCONFIG_ON_RE.search(x) for x in lines[1:]) else "disabled"
    return "enabled" if len(lines) > 1 else "disabled"


def service_op(facts: Facts, name: str, action: Action) -> Operation:
    name = validate_service(name)
    info = service_info(facts)
    template = {
        "start": info.start_cmd,
        "stop": info.stop_cmd,
        "restart": info.restart_cmd,
        "enable": info.enable_cmd,
        "disable": info.disable_cmd,
    }[action]
    step = Shell(service_command(template, name), sudo=True, what=f"{action} service {name}")
    if action == "restart":
        return static(Plan([step], f"restart {name}"))
    if action in ("start", "stop"):

        def plan_run_state(results: Mapping[str, ProbeResult]) -> Plan:
            active = results["active"].ok
            if active == (action == "start"):
                return Plan([], f"{name} already {'running' if active else 'stopped'}")
            return Plan([step], f"{action} {name}")

        return Operation({"active": is_active_probe(facts, name)}, plan_run_state)

    def plan_boot_state(results: Mapping[str, ProbeResult]) -> Plan:
        state = parse_enabled(facts, results["enabled"])
        done = ENABLED_STATES if action == "enable" else DISABLED_STATES
        if state in done:
            return Plan([], f"{name} already {action}d ({state})")
        return Plan([step], f"{action} {name}")

    return Operation({"enabled": is_enabled_probe(facts, name)}, plan_boot_state)


def daemon_reload_op(facts: Facts) -> Operation:
    info = service_info(facts)
    if not info.daemon_reload_cmd:
        return static(Plan([], f"nothing to reload on {info.type}"))
    step = Shell(info.daemon_reload_cmd, sudo=True, what="reload the init system's units")
    return static(Plan([step], "reload unit files"))
