"""Service and package listings: the exact commands and pure parsers of their output.

The console's host view shows these commands verbatim (and copies them), so they are plain
strings here, chosen per init system / package manager. Parsers take text and return data;
they skip lines they cannot read instead of failing, since a listing with one odd line is
still worth showing.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from kxconsole.runner.models import InitSystemType, PackageManagerType

SYSTEMD_LIST_UNITS = "systemctl list-units --type=service --all --no-legend --plain"
SYSTEMD_LIST_UNIT_FILES = "systemctl list-unit-files --type=service --no-legend"
SYSVINIT_STATUS_ALL = "service --status-all"
DPKG_LIST = "dpkg-query -W -f='${Package}\\t${Version}\\n'"
RPM_LIST = "rpm -qa --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\n'"

# systemd marks failed or not-found units with a bullet even in --plain output on some versions
_BULLETS = ("●", "*", "×")


@dataclass(frozen=True)
class ServiceUnit:
    """One service: ``active`` is systemd's ACTIVE column (active / inactive / failed …) or,
    on sysvinit, running / stopped / unknown; ``enabled`` is the unit file state (enabled,
    disabled, static, masked …) or empty when unknown."""

    name: str
    active: str = ""
    sub: str = ""
    enabled: str = ""
    description: str = ""


@dataclass(frozen=True)
class PackageEntry:
    name: str
    version: str


def services_commands(init: InitSystemType) -> list[str]:
    """The commands whose outputs :func:`parse_services` reads, in order."""
    if init == InitSystemType.SYSTEMD:
        return [SYSTEMD_LIST_UNITS, SYSTEMD_LIST_UNIT_FILES]
    if init == InitSystemType.SYSVINIT:
        return [SYSVINIT_STATUS_ALL]
    return []


def parse_services(init: InitSystemType, outputs: list[str]) -> list[ServiceUnit]:
    """Units from the outputs of :func:`services_commands` (same order)."""
    if init == InitSystemType.SYSTEMD:
        units = outputs[0] if outputs else ""
        files = outputs[1] if len(outputs) > 1 else ""
        return parse_systemd_units(units, files)
    if init == InitSystemType.SYSVINIT:
        return parse_service_status_all(outputs[0] if outputs else "")
    return []


def follow_command(init: InitSystemType, unit: str) -> str:
    """A command that streams the log of ``unit`` until cancelled."""
    if init == InitSystemType.SYSTEMD:
        return f"journalctl -f -n 100 -u {shlex.quote(unit)}"
    name = unit.removesuffix(".service")
    log = shlex.quote(f"/var/log/{name}.log")
    # sysvinit has no journal: tail the service's own log when it has one, else its status
    status = f"service {shlex.quote(name)} status"
    return f"if [ -r {log} ]; then tail -n 100 -F {log}; else {status}; fi"


def packages_command(manager: PackageManagerType) -> str:
    if manager == PackageManagerType.APT:
        return DPKG_LIST
    if manager in (PackageManagerType.DNF, PackageManagerType.YUM):
        return RPM_LIST
    return ""


def _split_unit_line(line: str) -> list[str]:
    text = line.strip()
    for bullet in _BULLETS:
        if text.startswith(bullet + " "):
            text = text[len(bullet) :].strip()
    return text.split(None, 4)


def parse_systemd_list_units(text: str) -> list[ServiceUnit]:
    """``systemctl list-units --plain --no-legend``: UNIT LOAD ACTIVE SUB DESCRIPTION."""
    units: list[ServiceUnit] = []
    for line in text.splitlines():
        parts = _split_unit_line(line)
        if len(parts) < 4 or "." not in parts[0]:
            continue
        description = parts[4] if len(parts) > 4 else ""
        units.append(ServiceUnit(parts[0], parts[2], parts[3], "", description))
    return units


def parse_systemd_unit_files(text: str) -> dict[str, str]:
    """``systemctl list-unit-files --no-legend``: UNIT STATE [PRESET] → {unit: state}."""
    states: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and "." in parts[0]:
            states[parts[0]] = parts[1]
    return states


def parse_systemd_units(list_units: str, unit_files: str) -> list[ServiceUnit]:
    """Loaded units with their unit-file state, plus unit files that are not loaded (shown
    inactive), sorted by name. Template units (``foo@.service``) are left out: they cannot
    run by themselves."""
    states = parse_systemd_unit_files(unit_files)
    by_name = {u.name: u for u in parse_systemd_list_units(list_units)}
    for name, unit in list(by_name.items()):
        by_name[name] = ServiceUnit(
            unit.name, unit.active, unit.sub, states.get(name, ""), unit.description
        )
    for name, state in states.items():
        if name not in by_name and not name.endswith("@.service"):
            by_name[name] = ServiceUnit(name, "inactive", "dead", state)
    return [by_name[n] for n in sorted(by_name)]


def parse_systemctl_show(text: str) -> dict[str, dict[str, str]]:
    """``systemctl show --property Id --property …``: blank-line separated ``Key=Value``
    blocks → {Id: {Key: Value}}. Lines without ``=`` are skipped; a new ``Id=`` starts a new
    block even without the blank line."""
    units: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if not sep or not key or not key[0].isalpha():
            if not line.strip():
                current = None
            continue
        if key == "Id":
            current = units.setdefault(value, {})
        if current is not None:
            current[key] = value
    return units


_STATUS_ALL = {"+": "running", "-": "stopped", "?": "unknown"}


def parse_service_status_all(text: str) -> list[ServiceUnit]:
    """``service --status-all``: `` [ + ]  cron`` lines (+ running, - stopped, ? unknown)."""
    units: list[ServiceUnit] = []
    for line in text.splitlines():
        head, sep, name = line.strip().partition("]")
        mark = head.removeprefix("[").strip()
        if not sep or mark not in _STATUS_ALL or not name.strip():
            continue
        units.append(ServiceUnit(name.strip(), _STATUS_ALL[mark]))
    return sorted(units, key=lambda u: u.name)


def parse_initd_exit_codes(text: str) -> list[ServiceUnit]:
    """``name=CODE`` lines (the exit code of ``/etc/init.d/NAME status``, LSB: 0 running,
    3 stopped, anything else unknown)."""
    units: list[ServiceUnit] = []
    for line in text.splitlines():
        name, sep, code = line.strip().partition("=")
        if not sep or not name or not code.strip().isdigit():
            continue
        status = {0: "running", 3: "stopped"}.get(int(code), "unknown")
        units.append(ServiceUnit(name, status))
    return sorted(units, key=lambda u: u.name)


def parse_packages(text: str) -> list[PackageEntry]:
    """Installed packages, sorted by name, from ``name<TAB>version`` lines (the commands
    above), ``dpkg -l`` lines (``ii  name version arch description``; only installed ones)
    or ``name version`` lines. A name installed in several versions (kernels) is listed once
    per version."""
    found: set[tuple[str, str]] = set()
    for line in text.splitlines():
        if "\t" in line:
            name, _, version = line.partition("\t")
            name, version = name.strip(), version.strip()
        else:
            parts = line.split()
            if len(parts) >= 3 and len(parts[0]) in (2, 3) and parts[0].isalpha():
                if not parts[0].startswith(("ii", "hi")):  # dpkg -l: installed / held
                    continue
                parts = parts[1:]
            if len(parts) < 2:
                continue
            name, version = parts[0], parts[1]
        if name and version:
            found.add((name, version))
    return [PackageEntry(n, v) for n, v in sorted(found)]
