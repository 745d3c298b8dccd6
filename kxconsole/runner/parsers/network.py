"""Parsers for network facts: ``ip`` output, ``ifconfig -a``, and the ``/sys`` / ``/proc``
files that minimal hosts without either still have."""

from __future__ import annotations

import ipaddress
import re

from kxconsole.runner.models import Interface

_IP_LINK_HEADER = re.compile(r"^\d+:\s+(?P<name>[^:\s]+):\s+<(?P<flags>[^>]*)>")
_IFCONFIG_HEADER = re.compile(r"^(?P<name>[^\s:]+(?::\d+)?):?\s+(?P<rest>.*)$")
_MAC = re.compile(r"^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$")
IFF_UP = 0x1  # linux/if.h: the interface is administratively up


def parse_ip_route_get(text: str) -> str:
    """Source address of ``ip route get <addr>`` output ("… via G dev D src S …" → S).

    Works with and without a gateway (``via``). Raises ValueError when there is no route
    (ip prints "RTNETLINK answers: Network is unreachable") or no ``src`` token.
    """
    for line in text.splitlines():
        tokens = line.split()
        if "src" in tokens:
            index = tokens.index("src")
            if index + 1 < len(tokens):
                address = tokens[index + 1]
                ipaddress.ip_address(address)  # raises ValueError on garbage
                return address
    last = text.strip().splitlines()[-1] if text.strip() else "no output"
    raise ValueError(f"no route with a source address ({last[:120]})")


def _interface_name(raw: str) -> str:
    # "veth0@if5" names the peer after "@"; the interface itself is "veth0".
    return raw.split("@", 1)[0]


def parse_ip_addr(text: str) -> list[Interface]:
    """``ip addr show`` (the multi-line form) → interfaces with MAC, addresses and UP flag.

    ``up`` is the administrative UP flag (``lo`` is up although its state is UNKNOWN).
    Continuation lines may be indented or not (captured outputs are sometimes stripped).
    Raises ValueError when no interface header is found.
    """
    interfaces: list[Interface] = []
    current: Interface | None = None
    for raw in text.splitlines():
        line = raw.strip()
        header = _IP_LINK_HEADER.match(line)
        if header is not None:
            flags = header.group("flags").split(",")
            current = Interface(name=_interface_name(header.group("name")), up="UP" in flags)
            interfaces.append(current)
            continue
        if current is None:
            continue
        tokens = line.split()
        if len(tokens) < 2:
            continue
        kind, value = tokens[0], tokens[1]
        if kind.startswith("link/") and _MAC.match(value) and kind != "link/loopback":
            current.mac = value.lower()
        elif kind == "inet":
            current.ipv4.append(value)
        elif kind == "inet6":
            current.ipv6.append(value)
    if not interfaces:
        raise ValueError("no interface found in `ip addr` output")
    return interfaces


def _ifconfig_address(tokens: list[str], index: int) -> str:
    value = tokens[index + 1] if index + 1 < len(tokens) else ""
    return value.removeprefix("addr:")


def _netmask_prefix(mask: str) -> int | None:
    try:
        return ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
    except ValueError:
        return None


def _ifconfig_ipv4(tokens: list[str]) -> str:
    """net-tools 2.x "inet A netmask M" or busybox/net-tools 1.x "inet addr:A … Mask:M"."""
    address = _ifconfig_address(tokens, tokens.index("inet"))
    mask = ""
    for i, token in enumerate(tokens):
        if token == "netmask" and i + 1 < len(tokens):
            mask = tokens[i + 1]
        elif token.startswith("Mask:"):
            mask = token.removeprefix("Mask:")
    prefix = _netmask_prefix(mask) if mask else None
    return f"{address}/{prefix}" if prefix is not None else address


def _ifconfig_ipv6(tokens: list[str]) -> str:
    """ "inet6 A prefixlen P" (net-tools 2.x) or "inet6 addr: A/P Scope:…" (busybox)."""
    index = tokens.index("inet6")
    value = tokens[index + 1] if index + 1 < len(tokens) else ""
    if value == "addr:":
        value = tokens[index + 2] if index + 2 < len(tokens) else ""
    if "prefixlen" in tokens and "/" not in value:
        position = tokens.index("prefixlen")
        if position + 1 < len(tokens):
            value = f"{value}/{tokens[position + 1]}"
    return value


def parse_ifconfig(text: str) -> list[Interface]:
    """``ifconfig -a`` in the net-tools 2.x form ("eth0: flags=4163<UP,…>") or the busybox /
    net-tools 1.x form ("eth0  Link encap:Ethernet  HWaddr …", "UP BROADCAST …")."""
    interfaces: list[Interface] = []
    current: Interface | None = None
    for raw in text.splitlines():
        if not raw.strip():
            continue
        if not raw[0].isspace():
            header = _IFCONFIG_HEADER.match(raw)
            if header is None:
                continue
            current = Interface(name=header.group("name"))
            interfaces.append(current)
            rest = header.group("rest")
            if rest.startswith("flags="):
                current.up = "<UP" in rest or ",UP" in rest
            if "HWaddr" in rest:
                words = rest.split()
                current.mac = words[words.index("HWaddr") + 1].lower()
            continue
        if current is None:
            continue
        tokens = raw.split()
        if tokens[0] == "inet":
            current.ipv4.append(_ifconfig_ipv4(tokens))
        elif tokens[0] == "inet6":
            current.ipv6.append(_ifconfig_ipv6(tokens))
        elif tokens[0] == "ether" and len(tokens) > 1:
            current.mac = tokens[1].lower()
        elif tokens[0] == "UP":
            current.up = True
    if not interfaces:
        raise ValueError("no interface found in `ifconfig -a` output")
    return interfaces


def parse_sys_class_net(text: str) -> list[Interface]:
    """Lines "NAME FLAGS [MAC]" the script reads from /sys/class/net/*/{flags,address}."""
    interfaces: list[Interface] = []
    for line in text.splitlines():
        tokens = line.split()
        if len(tokens) < 2:
            continue
        try:
            flags = int(tokens[1], 16)
        except ValueError:
            continue
        mac = tokens[2].lower() if len(tokens) > 2 and _MAC.match(tokens[2]) else ""
        if mac == "00:00:00:00:00:00":
            mac = ""
        interfaces.append(Interface(name=tokens[0], mac=mac, up=bool(flags & IFF_UP)))
    if not interfaces:
        raise ValueError("no interface found under /sys/class/net")
    return interfaces


def parse_proc_net_if_inet6(text: str) -> dict[str, list[str]]:
    """/proc/net/if_inet6 ("<32 hex> <ifindex> <prefix hex> <scope> <flags> <name>") →
    interface name → ["addr/prefix", …]."""
    addresses: dict[str, list[str]] = {}
    for line in text.splitlines():
        tokens = line.split()
        if len(tokens) != 6 or len(tokens[0]) != 32:
            continue
        address = ipaddress.IPv6Address(bytes.fromhex(tokens[0]))
        addresses.setdefault(tokens[5], []).append(f"{address}/{int(tokens[2], 16)}")
    return addresses


def parse_proc_net_route(text: str) -> str:
    """/proc/net/route → the interface of the IPv4 default route (destination 00000000), or
    "" when the host has none. Raises ValueError when the text is not that table."""
    lines = text.splitlines()
    if not lines or lines[0].split()[:2] != ["Iface", "Destination"]:
        raise ValueError("not /proc/net/route (no 'Iface Destination' header)")
    for line in lines[1:]:
        tokens = line.split()
        if len(tokens) >= 8 and tokens[1] == "00000000" and tokens[7] == "00000000":
            return tokens[0]
    return ""


def parse_proc_net_ipv6_route(text: str) -> str:
    """/proc/net/ipv6_route → the interface of the IPv6 default route (::/0, not ``lo``), or
    "" when the host has none (an empty file: IPv6 without routes, or disabled)."""
    for line in text.splitlines():
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) != 10:
            raise ValueError(f"not /proc/net/ipv6_route: {line.strip()[:80]!r}")
        if tokens[0] == "0" * 32 and tokens[1] == "00" and tokens[9] != "lo":
            return tokens[9]
    return ""


def parse_proc_net_fib_trie(text: str) -> list[str]:
    """/proc/net/fib_trie → the host's own IPv4 addresses (entries marked "/32 host LOCAL"),
    in first-seen order. The kernel lists each in both its Main and Local tables."""
    addresses: list[str] = []
    previous = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("|--"):
            previous = stripped[3:].strip()
        elif stripped.split() == ["/32", "host", "LOCAL"] and previous not in addresses:
            ipaddress.IPv4Address(previous)  # raises ValueError on garbage
            addresses.append(previous)
    return addresses


def _route_networks(route_text: str) -> list[tuple[str, ipaddress.IPv4Network]]:
    """/proc/net/route's on-link networks (interface, network); its hex is little-endian."""
    networks: list[tuple[str, ipaddress.IPv4Network]] = []
    for line in route_text.splitlines()[1:]:
        tokens = line.split()
        if len(tokens) < 8 or tokens[7] == "00000000":
            continue
        try:
            destination = ipaddress.IPv4Address(bytes.fromhex(tokens[1])[::-1])
            mask = ipaddress.IPv4Address(bytes.fromhex(tokens[7])[::-1])
            networks.append((tokens[0], ipaddress.IPv4Network(f"{destination}/{mask}")))
        except ValueError:
            continue
    return networks


def ipv4_by_interface(local_addresses: list[str], route_text: str) -> dict[str, list[str]]:
    """Pair each local IPv4 address with the interface whose on-link route holds it
    ("10.0.0.5" + "eth0 10.0.0.0/24" → eth0: ["10.0.0.5/24"]); loopback addresses go to
    ``lo``. For hosts with neither ``ip`` nor ``ifconfig``."""
    networks = _route_networks(route_text)
    found: dict[str, list[str]] = {}
    for text in local_addresses:
        address = ipaddress.IPv4Address(text)
        if address.is_loopback:
            found.setdefault("lo", []).append(f"{address}/8")
            continue
        for name, network in networks:
            if address in network:
                found.setdefault(name, []).append(f"{address}/{network.prefixlen}")
                break
    return found


def default_address(interfaces: list[Interface], name: str, version: int) -> str:
    """The first global address of interface ``name`` (without its prefix), for hosts where
    ``ip route get`` cannot say which source address the default route uses."""
    for interface in interfaces:
        if interface.name != name:
            continue
        for cidr in interface.ipv4 if version == 4 else interface.ipv6:
            address = ipaddress.ip_address(cidr.split("/", 1)[0])
            if not address.is_link_local and not address.is_loopback:
                return str(address)
    raise ValueError(f"interface {name} of the default route has no IPv{version} address")
