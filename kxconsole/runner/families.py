"""Command sets per package manager and init system (pure data, no I/O).

``package_info_for`` and ``service_info_for`` fill :class:`PackageInfo` / :class:`ServiceInfo`
in :class:`~kxconsole.runner.models.Facts`; the runner only ever reads those fields, so a host's
family is decided once, when facts are gathered.

How the runner fills them (see :func:`service_command` and :func:`package_command`):

* ``PackageInfo`` commands are *prefixes*: the runner appends the package names, each passed
  through ``shlex.quote`` first (``install_cmd + " " + " ".join(map(shlex.quote, names))``).
  ``update_cmd`` and ``cache_clean_cmd`` are complete commands. ``pkg_query_cmd`` prints one
  line per package dpkg knows, ``name<TAB>status<TAB>version`` (installed when the status
  ends in ``installed``), or per rpm argument ``name<TAB>version-release`` or ``package NAME
  is not installed``; it exits 1 when any package is missing (not a failure for the runner).
* ``ServiceInfo`` commands are templates with ``{name}``, replaced (plain ``str.replace``,
  never ``str.format``) by the ``shlex.quote``-d service name. ``daemon_reload_cmd`` has no
  placeholder and is empty on sysvinit (reloading is a no-op there).

Package managers are never asked to upgrade the system: refreshing metadata is
``apt-get update`` / ``dnf makecache`` / ``yum makecache`` (the old Go runner ran ``yum update``,
which upgrades every package).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from kxconsole.runner.models import InitSystemType, PackageInfo, PackageManagerType, ServiceInfo

# apt: never prompt, keep local config files on upgrade, wait for another apt/dpkg to finish
_APT_OPTS = (
    "-y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "
    "-o DPkg::Lock::Timeout=120"
)
_APT = f"DEBIAN_FRONTEND=noninteractive apt-get {_APT_OPTS}"
_RPM_QUERY = "rpm -q --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\n'"

_PACKAGE_INFOS: dict[PackageManagerType, PackageInfo] = {
    PackageManagerType.APT: PackageInfo(
        type=PackageManagerType.APT,
        update_cmd="apt-get update",
        install_cmd=f"{_APT} install",
        remove_cmd=f"{_APT} remove",
        pkg_query_cmd="dpkg-query -W -f='${Package}\\t${Status}\\t${Version}\\n'",
        cache_clean_cmd="apt-get clean",
    ),
    PackageManagerType.DNF: PackageInfo(
        type=PackageManagerType.DNF,
        update_cmd="dnf makecache",
        install_cmd="dnf -y install",
        remove_cmd="dnf -y remove",
        pkg_query_cmd=_RPM_QUERY,
        cache_clean_cmd="dnf clean all",
    ),
    PackageManagerType.YUM: PackageInfo(
        type=PackageManagerType.YUM,
        update_cmd="yum makecache",
        install_cmd="yum -y install",
        remove_cmd="yum -y remove",
        pkg_query_cmd=_RPM_QUERY,
        cache_clean_cmd="yum clean all",
    ),
}

DEBIAN_FAMILY = frozenset({"debian", "ubuntu", "linuxmint", "raspbian", "kali", "pop", "devuan"})
RHEL_FAMILY = frozenset(
    {"rhel", "centos", "fedora", "rocky", "almalinux", "ol", "amzn", "openeuler", "kylin"}
)

_SYSTEMD = ServiceInfo(
    type=InitSystemType.SYSTEMD,
    start_cmd="systemctl start {name}",
    stop_cmd="systemctl stop {name}",
    enable_cmd="systemctl enable {name}",
    disable_cmd="systemctl disable {name}",
    restart_cmd="systemctl restart {name}",
    is_active_cmd="systemctl is-active --quiet {name}",
    daemon_reload_cmd="systemctl daemon-reload",
)


def os_family(os_id: str, id_like: Iterable[str] | None = None) -> str:
    """``"debian"``, ``"rhel"`` or ``""`` from os-release ``ID`` and ``ID_LIKE``."""
    names = {os_id.lower(), *(n.lower() for n in (id_like or ()))}
    if names & DEBIAN_FAMILY:
        return "debian"
    if names & RHEL_FAMILY:
        return "rhel"
    return ""


def package_info_for(t: PackageManagerType) -> PackageInfo:
    """The command set of package manager ``t`` (all fields empty for ``UNKNOWN``)."""
    known = _PACKAGE_INFOS.get(t)
    if known is None:
        return PackageInfo(type=PackageManagerType.UNKNOWN)
    return PackageInfo(**vars(known))  # a copy: callers may edit their Facts


def service_info_for(
    t: InitSystemType, os_id: str = "", id_like: list[str] | None = None
) -> ServiceInfo:
    """The command set of init system ``t``. On sysvinit, enabling differs by family:
    ``update-rc.d`` on Debian, ``chkconfig`` on RHEL, chosen on the host when the family is
    unknown."""
    if t == InitSystemType.SYSTEMD:
        return ServiceInfo(**vars(_SYSTEMD))
    if t != InitSystemType.SYSVINIT:
        return ServiceInfo(type=InitSystemType.UNKNOWN)
    family = os_family(os_id, id_like)
    debian_enable = "update-rc.d {name} defaults"
    debian_disable = "update-rc.d -f {name} remove"
    rhel_enable = "chkconfig {name} on"
    rhel_disable = "chkconfig {name} off"
    if family == "debian":
        enable, disable = debian_enable, debian_disable
    elif family == "rhel":
        enable, disable = rhel_enable, rhel_disable
    else:
        has_rcd = "command -v update-rc.d >/dev/null 2>&1"
        enable = f"if {has_rcd}; then {debian_enable}; else {rhel_enable}; fi"
        disable = f"if {has_rcd}; then {debian_disable}; else {rhel_disable}; fi"
    return ServiceInfo(
        type=InitSystemType.SYSVINIT,
        start_cmd="service {name} start",
        stop_cmd="service {name} stop",
        enable_cmd=enable,
        disable_cmd=disable,
        restart_cmd="service {name} restart",
        is_active_cmd="service {name} status",
        daemon_reload_cmd="",
    )


def service_command(template: str, name: str) -> str:
    """Fill a ``ServiceInfo`` template with the shell-quoted ``name``."""
    return template.replace("{name}", shlex.quote(name))


def package_command(prefix: str, names: Iterable[str]) -> str:
    """Append shell-quoted package ``names`` to a ``PackageInfo`` command prefix."""
    return " ".join([prefix, *(shlex.quote(n) for n in names)])
