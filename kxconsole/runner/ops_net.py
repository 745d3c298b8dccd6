"""Network operations: listening ports, the host name and /etc/hosts entries.

``/etc/hosts`` is read first and rewritten whole, atomically (``Connector.put``), by the pure
:func:`update_hosts_text`: an IP's line gains the names it lacks (its other names are kept, so
``127.0.0.1 localhost`` survives), a new IP gets one new line, and no line is ever duplicated.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from kxconsole.errors import CommandError
from kxconsole.runner.models import Facts, InitSystemType
from kxconsole.runner.ops_core import Operation, Plan, ProbeResult, Put, Shell, Step
from kxconsole.runner.quoting import q, validate_hostname, validate_ip, validate_port

HOSTS_FILE = "/etc/hosts"
HOSTNAME_FILE = "/etc/hostname"
_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp{,6}

# `ss` where present (iproute2), else the kernel's tables; -H (no header) is missing on old
# iproute2, so the parser skips a header line itself
LISTENERS_PROBE = Shell(
    "if command -v ss >/dev/null 2>&1; then echo ss; ss -ltnH 2>/dev/null || ss -ltn; "
    "else echo proc; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; fi"
)


def listening_ports(output: str) -> set[int]:
    """TCP ports with a listener on any address, from :data:`LISTENERS_PROBE` output."""
    lines = output.splitlines()
    ports: set[int] = set()
    if not lines:
        return ports
    if lines[0].strip() == "ss":
        for line in lines[1:]:
            fields = line.split()
            if len(fields) >= 4 and fields[0] == "LISTEN":
                _, _, port = fields[3].rpartition(":")
                if port.isdigit():
                    ports.add(int(port))
        return ports
    for line in lines[1:]:
        fields = line.split()
        # sl local_address rem_address st ...; local_address is HEXIP:HEXPORT
        if len(fields) >= 4 and fields[3] == _LISTEN and ":" in fields[1]:
            try:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
            except ValueError:
                continue
    return ports


def is_port_listening(output: str, port: int) -> bool:
    return validate_port(port) in listening_ports(output)


def set_hostname_op(facts: Facts, hostname: str) -> Operation:
    name = validate_hostname(hostname)
    probe = Shell(f"cat {HOSTNAME_FILE} 2>/dev/null; echo ---; hostname")

    def plan(results: Mapping[str, ProbeResult]) -> Plan:
        static_name, _, running = results["current"].stdout.partition("---")
        if static_name.strip() == name and running.strip() == name:
            return Plan([], f"host name already {name}")
        steps: list[Step]
        if facts.init_system.type == InitSystemType.SYSTEMD:
            steps = [Shell(f"hostnamectl set-hostname {q(name)}", sudo=True, what="set hostname")]
        else:
            steps = [
                Put(HOSTNAME_FILE, f"{name}\n".encode(), "0644", sudo=True),
                Shell(f"hostname {q(name)}", sudo=True, what="set hostname"),
            ]
        return Plan(steps, f"set host name to {name}")

    return Operation({"current": probe}, plan)


def _same_ip(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return False


def update_hosts_text(text: str, ip: str, names: list[str]) -> str | None:
    """The new /etc/hosts text with ``ip`` carrying ``names``, or None when nothing changes."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        body, hash_, comment = line.partition("#")
        fields = body.split()
        if not fields or not _same_ip(fields[0], ip):
            continue
        missing = [n for n in names if n not in fields[1:]]
        if not missing:
            return None
        kept = [n for n in fields[1:] if n not in names]
        new = "\t".join([fields[0], " ".join(names + kept)])
        lines[index] = f"{new} {hash_}{comment}" if hash_ else new
        return "\n".join(lines) + "\n"
    return "\n".join([*lines, f"{ip}\t{' '.join(names)}"]) + "\n"


def add_host_entry_op(ip: str, fqdn: str, hostnames: tuple[str, ...]) -> Operation:
    address = validate_ip(ip)
    names = list(dict.fromkeys(validate_hostname(n) for n in (fqdn, *hostnames)))

    def plan(results: Mapping[str, ProbeResult]) -> Plan:
        current = results["hosts"]
        if not current.ok:  # never rewrite a file we could not read
            raise CommandError(
                f"cannot read {HOSTS_FILE}: {current.stderr.strip() or 'unknown error'}",
                command=f"cat {HOSTS_FILE}",
                exit_code=current.exit_code,
            )
        new = update_hosts_text(current.stdout, address, names)
        if new is None:
            return Plan([], f"{HOSTS_FILE} already maps {address} to {' '.join(names)}")
        return Plan(
            [Put(HOSTS_FILE, new.encode(), "0644", sudo=True)],
            f"map {address} to {' '.join(names)} in {HOSTS_FILE}",
        )

    probe = Shell(f"if [ -e {HOSTS_FILE} ]; then cat {HOSTS_FILE}; fi")
    return Operation({"hosts": probe}, plan)
