"""Parsers for host facts other than the OS name and the network: kernel, memory, CPUs,
hostname, SELinux, AppArmor and firewall."""

from __future__ import annotations

import re

_HOSTNAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})$")
_CPU_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_uname(text: str) -> tuple[str, str]:
    """``uname -r -m`` ("6.1.0-18-amd64 x86_64") → (kernel release, machine)."""
    tokens = text.split()
    if len(tokens) != 2:
        raise ValueError(f"expected '<release> <machine>' from uname, got {text.strip()[:80]!r}")
    return tokens[0], tokens[1]


def parse_meminfo(text: str) -> int:
    """/proc/meminfo → MemTotal in MiB. Raises ValueError without a MemTotal line."""
    for line in text.splitlines():
        tokens = line.split()
        if len(tokens) >= 2 and tokens[0] == "MemTotal:":
            kib = int(tokens[1])
            unit = tokens[2] if len(tokens) > 2 else "kB"
            if unit != "kB":
                raise ValueError(f"MemTotal in unexpected unit {unit!r}")
            return kib // 1024
    raise ValueError("no MemTotal line in /proc/meminfo")


def parse_cpu_list(text: str) -> int:
    """A kernel CPU list ("0-3,5,7-8", as in /sys/devices/system/cpu/online) → CPU count."""
    count = 0
    for part in text.strip().split(","):
        match = _CPU_RANGE.match(part.strip())
        if match is None:
            raise ValueError(f"not a CPU list: {text.strip()[:80]!r}")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if last < first:
            raise ValueError(f"not a CPU list: {text.strip()[:80]!r}")
        count += last - first + 1
    return count


def parse_cpu_count(text: str) -> int:
    """A plain positive count (``nproc``, ``getconf _NPROCESSORS_ONLN``, the script's count of
    /proc/cpuinfo "processor" lines)."""
    value = text.strip()
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"not a CPU count: {value[:80]!r}")
    return int(value)


def parse_hostname(text: str) -> str:
    """One host name on one line (``hostname -f``, ``uname -n``, /proc/sys/kernel/hostname).
    Raises ValueError for empty output or output that is not a host name (an error message)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1 or not _HOSTNAME.match(lines[0]):
        shown = lines[-1] if lines else "no output"
        raise ValueError(f"not a host name: {shown[:120]!r}")
    return lines[0]


def parse_selinux(text: str) -> str:
    """``getenforce`` output (Enforcing / Permissive / Disabled) or /sys/fs/selinux/enforce
    (1 / 0) → enforcing / permissive / disabled; no output means SELinux is absent."""
    value = text.strip().lower()
    mapping = {
        "enforcing": "enforcing",
        "permissive": "permissive",
        "disabled": "disabled",
        "1": "enforcing",
        "0": "permissive",
        "": "absent",
    }
    if value not in mapping:
        raise ValueError(f"unexpected SELinux state {value[:80]!r}")
    return mapping[value]


def parse_apparmor(text: str) -> str:
    """/sys/module/apparmor/parameters/enabled ("Y" / "N") → enabled / disabled."""
    value = text.strip()
    if value == "Y":
        return "enabled"
    if value == "N":
        return "disabled"
    raise ValueError(f"unexpected AppArmor state {value[:80]!r}")


def parse_firewalld_state(text: str) -> bool:
    """``firewall-cmd --state``: "running", or "not running" (exit 252)."""
    return text.strip().splitlines()[-1:] == ["running"] if text.strip() else False


def parse_ufw_enabled(text: str) -> bool:
    """/etc/ufw/ufw.conf → whether ``ENABLED=yes``."""
    for line in text.splitlines():
        key, _, value = line.strip().partition("=")
        if key == "ENABLED":
            return value.strip().strip("\"'").lower() == "yes"
    return False


def detect_firewall(firewalld_running: bool, ufw_enabled: bool, commands: frozenset[str]) -> str:
    """The firewall in charge: firewalld when it runs, else ufw when enabled, else the rule
    tool installed (nftables before iptables: iptables is often a front end of nft)."""
    if firewalld_running:
        return "firewalld"
    if ufw_enabled:
        return "ufw"
    if "nft" in commands:
        return "nftables"
    if "iptables" in commands:
        return "iptables"
    return "none"
