"""Facts about a host and the result of an operation (``Change``). Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class PackageManagerType(StrEnum):
    UNKNOWN = "unknown"
    APT = "apt"
    YUM = "yum"
    DNF = "dnf"


class InitSystemType(StrEnum):
    UNKNOWN = "unknown"
    SYSTEMD = "systemd"
    SYSVINIT = "sysvinit"


@dataclass
class OSInfo:
    id: str = ""
    version_id: str = ""
    pretty_name: str = ""
    codename: str = ""
    arch: str = ""
    kernel: str = ""
    id_like: list[str] = field(default_factory=list)


@dataclass
class PackageInfo:
    """The package manager's command set, filled by ``families.package_info_for``.

    ``install_cmd``, ``remove_cmd`` and ``pkg_query_cmd`` are prefixes: the runner appends the
    package names, each ``shlex.quote``-d (``families.package_command``). ``update_cmd`` (never
    an upgrade) and ``cache_clean_cmd`` are complete commands."""

    type: PackageManagerType = PackageManagerType.UNKNOWN
    update_cmd: str = ""
    install_cmd: str = ""
    remove_cmd: str = ""
    pkg_query_cmd: str = ""
    cache_clean_cmd: str = ""


@dataclass
class ServiceInfo:
    """The init system's command set, filled by ``families.service_info_for``.

    Each is a template with ``{name}``, replaced (``str.replace``, never ``str.format``) by
    the ``shlex.quote``-d service name (``families.service_command``). ``daemon_reload_cmd``
    has no placeholder and is empty on sysvinit, where reloading is a no-op."""

    type: InitSystemType = InitSystemType.UNKNOWN
    start_cmd: str = ""
    stop_cmd: str = ""
    enable_cmd: str = ""
    disable_cmd: str = ""
    restart_cmd: str = ""
    is_active_cmd: str = ""
    daemon_reload_cmd: str = ""


@dataclass
class Interface:
    name: str
    mac: str = ""
    ipv4: list[str] = field(default_factory=list)  # "10.0.0.5/24"
    ipv6: list[str] = field(default_factory=list)
    up: bool = False


@dataclass
class Facts:
    os: OSInfo = field(default_factory=OSInfo)
    hostname: str = ""
    kernel: str = ""
    total_memory: int = 0  # MiB
    total_cpu: int = 0
    ipv4_default: str = ""
    ipv6_default: str = ""
    package_manager: PackageInfo = field(default_factory=PackageInfo)
    init_system: ServiceInfo = field(default_factory=ServiceInfo)
    selinux: str = "absent"  # enforcing / permissive / disabled / absent
    apparmor: str = "absent"  # enabled / disabled / absent
    firewall: str = "none"  # firewalld / ufw / nftables / iptables / none
    interfaces: list[Interface] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # field -> why it is missing


@dataclass
class Change:
    """What a mutating method did (or, in dry-run, would do)."""

    changed: bool
    commands: list[str] = field(default_factory=list)  # what ran / would run, redacted
    message: str = ""
    dry_run: bool = False
