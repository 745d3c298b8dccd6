"""Package operations as pure plans: install, remove, refresh metadata, add a repository.

One query (``PackageInfo.pkg_query_cmd`` with every name) tells which packages are installed;
only the missing ones are installed (only the present ones removed). Everything that changes
the system runs with sudo. Adding a repository never refreshes metadata by itself: call
``update_package_cache`` after it.
"""

from __future__ import annotations

import configparser
import fnmatch
import hashlib
import posixpath
import re
from collections.abc import Mapping

from kxconsole.errors import ValidationError
from kxconsole.runner.families import package_command
from kxconsole.runner.models import Facts, PackageInfo, PackageManagerType
from kxconsole.runner.ops_core import Operation, Plan, ProbeResult, Shell, static
from kxconsole.runner.quoting import validate_packages

_NOT_INSTALLED_RE = re.compile(r"^package (\S+) is not installed")
_REPO_ID_RE = re.compile(r"^[A-Za-z0-9._:-]+$")
APT_SOURCES_DIR = "/etc/apt/sources.list.d"
YUM_REPOS_DIR = "/etc/yum.repos.d"


def package_info(facts: Facts) -> PackageInfo:
    info = facts.package_manager
    if info.type == PackageManagerType.UNKNOWN or not info.install_cmd:
        raise ValidationError(
            "no known package manager on this host (facts say 'unknown'): only apt, dnf and "
            "yum are supported; gather facts again or install packages by hand"
        )
    return info


def query_names(info: PackageInfo, packages: list[str]) -> list[str]:
    """What to ask the query for: dpkg-query knows no ``name=version`` pins."""
    if info.type == PackageManagerType.APT:
        return [p.split("=", 1)[0] for p in packages]
    return packages


def query_probe(info: PackageInfo, packages: list[str]) -> Shell:
    # LC_ALL=C: rpm's "is not installed" lines are parsed; stderr (dpkg's "no packages found")
    # is not needed. The query exits 1 when any package is missing: not a failure here.
    names = list(dict.fromkeys(query_names(info, packages)))
    return Shell("LC_ALL=C " + package_command(info.pkg_query_cmd, names) + " 2>/dev/null")


def installed_set(info: PackageInfo, packages: list[str], output: str) -> set[str]:
    """Which of ``packages`` (as given, pins included) the query output says are installed."""
    if info.type == PackageManagerType.APT:
        versions: dict[str, list[str]] = {}
        for line in output.splitlines():
            fields = line.split("\t")
            if len(fields) >= 3 and fields[1].split()[-1:] == ["installed"]:
                versions.setdefault(fields[0], []).append(fields[2])
        found = set()
        for spec in packages:
            name, _, pin = spec.partition("=")
            name = name.split(":", 1)[0]  # libc6:amd64 is listed as libc6
            have = versions.get(name, [])
            if have and (not pin or any(fnmatch.fnmatchcase(v, pin) for v in have)):
                found.add(spec)
        return found
    missing = set()
    for line in output.splitlines():
        m = _NOT_INSTALLED_RE.match(line.strip())
        if m:
            missing.add(m.group(1))
    # rpm answers every argument: either its NAME<TAB>VERSION or "package X is not installed"
    answered = bool(output.strip())
    return {p for p in packages if answered and p not in missing}


def install_packages_op(facts: Facts, packages: list[str]) -> Operation:
    names = validate_packages(packages)
    info = package_info(facts)

    def plan(results: Mapping[str, ProbeResult]) -> Plan:
        have = installed_set(info, names, results["query"].stdout)
        missing = [p for p in names if p not in have]
        if not missing:
            return Plan([], f"already installed: {', '.join(names)}")
        cmd = package_command(info.install_cmd, missing)
        what = f"install {', '.join(missing)}"
        return Plan([Shell(cmd, sudo=True, what=what)], what)

    return Operation({"query": query_probe(info, names)}, plan)


def remove_packages_op(facts: Facts, packages: list[str]) -> Operation:
    names = validate_packages(packages)
    info = package_info(facts)

    def plan(results: Mapping[str, ProbeResult]) -> Plan:
        have = installed_set(info, names, results["query"].stdout)
        present = [p for p in names if p in have]
        if not present:
            return Plan([], f"not installed: {', '.join(names)}")
        what = f"remove {', '.join(present)}"
        return Plan(
            [Shell(package_command(info.remove_cmd, present), sudo=True, what=what)], what
        )

    return Operation({"query": query_probe(info, names)}, plan)


def update_package_cache_op(facts: Facts) -> Operation:
    """Refresh metadata only (never upgrades). Always reports a change, like a restart."""
    info = package_info(facts)
    step = Shell(info.update_cmd, sudo=True, what="refresh package metadata")
    return static(Plan([step], f"refresh package metadata ({info.type})"))


def repository_file_name(info: PackageInfo, content: str, source_path: str | None) -> str:
    """The deterministic file name of a repository definition.

    * from a file on the host: its base name (a suffix added when missing);
    * apt text: ``kx-<first 12 hex of sha256(text)>.list`` (``.sources`` for deb822 text);
    * dnf/yum text: ``<first [section] id>.repo``, as ``yum-config-manager`` names them.
    """
    if info.type == PackageManagerType.APT:
        suffix = ".sources" if re.search(r"(?im)^types:", content) else ".list"
        if source_path:
            base = posixpath.basename(source_path)
            return base if base.endswith((".list", ".sources")) else base + suffix
        return f"kx-{hashlib.sha256(content.encode()).hexdigest()[:12]}{suffix}"
    if source_path:
        base = posixpath.basename(source_path)
        return base if base.endswith(".repo") else base + ".repo"
    return repo_id(content) + ".repo"


def repo_id(content: str) -> str:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(content)
    except configparser.Error as exc:
        raise ValidationError(f"repository text is not a valid .repo file: {exc}") from None
    sections = parser.sections()
    if not sections or not _REPO_ID_RE.match(sections[0]):
        raise ValidationError(
            "repository text needs a [repo-id] section (letters, digits, . _ : -), "
            "as in a /etc/yum.repos.d/*.repo file"
        )
    return sections[0]


def repository_path(facts: Facts, content: str, source_path: str | None = None) -> str:
    info = package_info(facts)
    directory = APT_SOURCES_DIR if info.type == PackageManagerType.APT else YUM_REPOS_DIR
    return f"{directory}/{repository_file_name(info, content, source_path)}"
