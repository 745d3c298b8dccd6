"""Facts in one round trip: ``FACTS_SCRIPT`` (POSIX sh, tagged sections) and pure parsers.

``parse_facts`` turns the script's whole output into :class:`Facts`. Facts are partial, never
all-or-nothing: a section that is missing, timed out or unreadable leaves its field at the
default and says why in ``Facts.errors[field]``; nothing here raises for bad output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from kxconsole.runner.facts_script import FACTS_SCRIPT
from kxconsole.runner.families import os_family, package_info_for, service_info_for
from kxconsole.runner.models import (
    Facts,
    InitSystemType,
    Interface,
    OSInfo,
    PackageManagerType,
)
from kxconsole.runner.parsers.network import (
    default_address,
    ipv4_by_interface,
    parse_ifconfig,
    parse_ip_addr,
    parse_ip_route_get,
    parse_proc_net_fib_trie,
    parse_proc_net_if_inet6,
    parse_proc_net_ipv6_route,
    parse_proc_net_route,
    parse_sys_class_net,
)
from kxconsole.runner.parsers.os_release import (
    parse_lsb_release,
    parse_os_release,
    parse_redhat_release,
)
from kxconsole.runner.parsers.system import (
    detect_firewall,
    parse_apparmor,
    parse_cpu_count,
    parse_cpu_list,
    parse_firewalld_state,
    parse_hostname,
    parse_meminfo,
    parse_selinux,
    parse_ufw_enabled,
    parse_uname,
)

__all__ = ["FACTS_SCRIPT", "Section", "parse_facts", "split_sections"]

TAG = "@@kx:"
# how a probe ends when `timeout` stopped it: 124 from coreutils, 128+SIGTERM from busybox
# (and 128+SIGKILL if it had to kill)
TIMEOUT_EXITS = frozenset({124, 143, 137})
NOT_FOUND_EXIT = 127

_T = TypeVar("_T")


@dataclass
class Section:
    """One tagged section of the script's output."""

    name: str
    lines: list[str] = field(default_factory=list)
    rc: int | None = None  # exit status of the section's command; None for a file's text

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + ("\n" if self.lines else "")


def split_sections(output: str) -> dict[str, Section]:
    """The script's output → sections by name (``end`` is present only when the script ran
    to its end). Lines before the first tag are dropped; a repeated tag keeps the last."""
    sections: dict[str, Section] = {}
    current: Section | None = None
    for line in output.splitlines():
        if line.startswith(TAG):
            marker = line[len(TAG) :].strip()
            if marker.startswith("rc ") and current is not None:
                rc = marker[3:].strip()
                current.rc = int(rc) if rc.lstrip("-").isdigit() else None
                continue
            current = Section(marker)
            sections[marker] = current
        elif current is not None:
            current.lines.append(line)
    return sections


class _Collector:
    """Runs one parser per field and records why a field is missing instead of raising."""

    def __init__(self, sections: dict[str, Section], facts: Facts) -> None:
        self.sections = sections
        self.facts = facts

    def missing(self, name: str) -> str:
        if "end" not in self.sections:
            return f"section {name!r} missing: the facts script's output was cut short"
        return f"section {name!r} missing from the facts script's output"

    def parse(self, field_name: str, section_name: str, parser: Callable[[str], _T]) -> _T | None:
        section = self.sections.get(section_name)
        if section is None:
            self.facts.errors[field_name] = self.missing(section_name)
            return None
        if section.rc is not None and section.rc != 0:
            self.facts.errors[field_name] = _command_failure(section)
            return None
        try:
            return parser(section.text)
        except (ValueError, IndexError) as exc:
            self.facts.errors[field_name] = f"cannot parse {section_name!r}: {exc}"
            return None


def _command_failure(section: Section) -> str:
    if section.rc in TIMEOUT_EXITS:
        return f"probe {section.name!r} timed out (3 s) and was stopped"
    if section.rc == NOT_FOUND_EXIT:
        return f"probe {section.name!r}: command not found"
    detail = section.lines[-1].strip() if section.lines else "no output"
    return f"probe {section.name!r} exited {section.rc}: {detail[:160]}"


def parse_facts(output: str) -> Facts:
    """The whole output of ``FACTS_SCRIPT`` → :class:`Facts` (never raises)."""
    sections = split_sections(output)
    facts = Facts()
    collect = _Collector(sections, facts)
    commands = frozenset(sections["commands"].lines) if "commands" in sections else frozenset()
    paths = frozenset(sections["paths"].lines) if "paths" in sections else frozenset()

    facts.os = _os_info(collect)
    uname = collect.parse("kernel", "uname", parse_uname)
    if uname is not None:
        facts.kernel, facts.os.arch = uname
        facts.os.kernel = facts.kernel
    facts.hostname = _hostname(collect)
    facts.total_memory = collect.parse("total_memory", "meminfo", parse_meminfo) or 0
    if "cpuinfo-count" in sections:
        facts.total_cpu = collect.parse("total_cpu", "cpuinfo-count", parse_cpu_count) or 0
    else:
        facts.total_cpu = collect.parse("total_cpu", "cpu-online", parse_cpu_list) or 0

    _package_and_init(collect, commands, paths)
    _network(collect)
    _security(collect, commands)
    return facts


def _os_info(collect: _Collector) -> OSInfo:
    sections = collect.sections
    if "os-release" in sections:
        return collect.parse("os", "os-release", parse_os_release) or OSInfo()
    # old hosts without os-release: redhat/system-release, then lsb-release
    if "system-release" in sections:
        found = collect.parse("os", "system-release", parse_redhat_release)
        if found is not None:
            return found
    if "lsb-release" in sections:
        collect.facts.errors.pop("os", None)
        found = collect.parse("os", "lsb-release", parse_lsb_release)
        if found is not None:
            return found
    if "os" not in collect.facts.errors:
        collect.facts.errors["os"] = (
            "no /etc/os-release, /usr/lib/os-release, /etc/system-release or /etc/lsb-release"
            if "end" in sections
            else collect.missing("os-release")
        )
    return OSInfo()


def _hostname(collect: _Collector) -> str:
    """``hostname -f`` when it names this host, else the kernel's host name (what plain
    ``hostname`` prints): a host whose FQDN does not resolve still has a name, and one whose
    /etc/hosts maps its name onto ``localhost`` is not called "localhost"."""
    short = collect.parse("hostname", "kernel-hostname", parse_hostname) or ""
    fqdn_section = collect.sections.get("hostname-f")
    if fqdn_section is not None and fqdn_section.rc == 0:
        try:
            fqdn = parse_hostname(fqdn_section.text)
        except ValueError:
            return short
        if not short or fqdn.split(".")[0] == short.split(".")[0]:
            collect.facts.errors.pop("hostname", None)
            return fqdn
    return short


def _package_and_init(collect: _Collector, commands: frozenset[str], paths: frozenset[str]) -> None:
    facts = collect.facts
    family = os_family(facts.os.id, facts.os.id_like)
    if "commands" not in collect.sections and family != "debian":
        # the RHEL family needs it too: dnf or yum is told by `command -v`
        facts.errors["package_manager"] = collect.missing("commands")
    manager = PackageManagerType.UNKNOWN
    if family == "debian":
        manager = PackageManagerType.APT
    elif family == "rhel":
        manager = PackageManagerType.DNF if "dnf" in commands else PackageManagerType.YUM
    elif "apt-get" in commands:
        manager = PackageManagerType.APT
    elif "dnf" in commands:
        manager = PackageManagerType.DNF
    elif "yum" in commands:
        manager = PackageManagerType.YUM
    elif "package_manager" not in facts.errors:
        facts.errors["package_manager"] = (
            f"no apt-get, dnf or yum found on a host of unknown family "
            f"(os id {facts.os.id or 'unknown'!r})"
        )
    facts.package_manager = package_info_for(manager)

    if "paths" not in collect.sections:
        facts.errors["init_system"] = collect.missing("paths")
    init = InitSystemType.UNKNOWN
    if "/run/systemd/system" in paths:
        init = InitSystemType.SYSTEMD
    elif "service" in commands or "/etc/init.d" in paths:
        init = InitSystemType.SYSVINIT
    elif "init_system" not in facts.errors:
        facts.errors["init_system"] = "neither /run/systemd/system, `service` nor /etc/init.d"
    facts.init_system = service_info_for(init, facts.os.id, facts.os.id_like)


def _network(collect: _Collector) -> None:
    facts, sections = collect.facts, collect.sections
    interfaces: list[Interface] | None
    if "ip-addr" in sections or "end" not in sections:
        interfaces = collect.parse("interfaces", "ip-addr", parse_ip_addr)
    elif "ifconfig" in sections:
        interfaces = collect.parse("interfaces", "ifconfig", parse_ifconfig)
    else:
        interfaces = collect.parse("interfaces", "sys-class-net", parse_sys_class_net)
        if interfaces is not None:
            _addresses_from_proc(collect, interfaces)
    facts.interfaces = interfaces or []

    if "ip4-route" in sections or "proc-net-route" not in sections:
        facts.ipv4_default = _route_source(collect, "ipv4_default", "ip4-route")
        facts.ipv6_default = _route_source(collect, "ipv6_default", "ip6-route")
        return
    # no `ip`: the default route's interface from /proc, and that interface's address
    for field_name, section_name, parser, version in (
        ("ipv4_default", "proc-net-route", parse_proc_net_route, 4),
        ("ipv6_default", "proc-net-ipv6-route", parse_proc_net_ipv6_route, 6),
    ):
        name = collect.parse(field_name, section_name, parser)
        if not name:  # None: the reason is in errors; "": no default route, not a failure
            continue
        try:
            value = default_address(facts.interfaces, name, version)
        except ValueError as exc:
            facts.errors[field_name] = str(exc)
            continue
        setattr(facts, field_name, value)


def _addresses_from_proc(collect: _Collector, interfaces: list[Interface]) -> None:
    """Fill addresses from /proc/net (hosts with neither ``ip`` nor ``ifconfig``)."""
    sections = collect.sections
    inet6 = collect.parse("interfaces", "proc-net-if-inet6", parse_proc_net_if_inet6) or {}
    local = collect.parse("interfaces", "proc-net-fib-trie", parse_proc_net_fib_trie) or []
    route = sections["proc-net-route"].text if "proc-net-route" in sections else ""
    inet4 = ipv4_by_interface(local, route)
    for interface in interfaces:
        interface.ipv4 = inet4.get(interface.name, [])
        interface.ipv6 = inet6.get(interface.name, [])


def _route_source(collect: _Collector, field_name: str, section_name: str) -> str:
    """Source address of the default route; a host without such a route (no IPv6, say) has
    an empty value and no error, while a timeout or garbage is an error."""
    section = collect.sections.get(section_name)
    if section is None:
        collect.facts.errors[field_name] = collect.missing(section_name)
        return ""
    if section.rc in TIMEOUT_EXITS:
        collect.facts.errors[field_name] = _command_failure(section)
        return ""
    try:
        return parse_ip_route_get(section.text)
    except ValueError as exc:
        if section.rc not in (None, 0) and "RTNETLINK" in section.text:
            return ""  # "Network is unreachable": there is no default route
        collect.facts.errors[field_name] = f"cannot parse {section_name!r}: {exc}"
        return ""


def _security(collect: _Collector, commands: frozenset[str]) -> None:
    facts, sections = collect.facts, collect.sections
    if "selinux-enforce" in sections:
        facts.selinux = collect.parse("selinux", "selinux-enforce", parse_selinux) or "absent"
    elif "getenforce" in sections:
        facts.selinux = collect.parse("selinux", "getenforce", parse_selinux) or "absent"
    elif "end" not in sections:
        facts.errors["selinux"] = collect.missing("selinux-enforce")
    if "apparmor" in sections:
        facts.apparmor = collect.parse("apparmor", "apparmor", parse_apparmor) or "absent"
    elif "end" not in sections:
        facts.errors["apparmor"] = collect.missing("apparmor")

    firewalld = sections.get("firewalld")
    if firewalld is not None and firewalld.rc in TIMEOUT_EXITS:
        facts.errors["firewall"] = _command_failure(firewalld)
    running = firewalld is not None and parse_firewalld_state(firewalld.text)
    ufw = sections.get("ufw-conf")
    enabled = ufw is not None and parse_ufw_enabled(ufw.text)
    if "end" not in sections and not (running or enabled):
        facts.errors["firewall"] = collect.missing("ufw-conf")
    facts.firewall = detect_firewall(running, enabled, commands)
