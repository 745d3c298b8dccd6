"""The inventory model every loader produces: hosts, groups and their vars.

Var precedence (lowest to highest): inventory defaults < group vars (outer groups first, then
nested ones) < host vars. Connection settings (user, port, key, …) follow the same order, and
``~/.ssh/config`` fills only what no inventory level set. ``protected`` is true for a host in
any group marked ``protected: true`` (production): the console accents it and asks twice
before acting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from kxconsole.secrets import Secret

ConnectorKind = Literal["local", "ssh", "fake"]


@dataclass
class Host:
    name: str
    address: str = ""  # empty: same as name
    port: int = 22
    user: str | None = None
    connector: ConnectorKind = "ssh"
    private_key_path: str | None = None
    # names of secrets (see kxconsole.secrets); values are never stored here
    password_secret: str | None = None
    sudo_password_secret: str | None = None
    private_key_secret: str | None = None  # inline key text (kubexm ``privateKey``)
    bastion: str | None = None  # name of another host, or "user@host:port"
    groups: list[str] = field(default_factory=list)  # direct groups, in file order
    vars: dict[str, Any] = field(default_factory=dict)  # effective vars (precedence applied)
    labels: dict[str, str] = field(default_factory=dict)
    max_sessions: int | None = None  # concurrent commands on this host's connection
    source: str = ""  # "file:line" where the host was defined
    protected: bool = False

    @property
    def target(self) -> str:
        return self.address or self.name


@dataclass
class Group:
    name: str
    hosts: list[str] = field(default_factory=list)  # direct members
    children: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)
    protected: bool = False
    source: str = ""
    # at most this many of the group's hosts (nested ones included) are acted on at once,
    # e.g. 1 for control-plane nodes restarted one by one; None: only Inventory.fanout applies
    fanout: int | None = None


@dataclass
class Inventory:
    hosts: dict[str, Host] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    fanout: int = 20  # hosts acted on at once
    sources: list[str] = field(default_factory=list)
    # secret values written inline in inventory files (Ansible ``ansible_password``, kubexm
    # ``password``), by secret name; hosts refer to them by name, like any other secret
    secrets: dict[str, Secret] = field(default_factory=dict)

    def group_hosts(self, group: str) -> list[str]:
        """Every host in ``group`` and its nested children, in inventory order, once each."""
        seen: set[str] = set()
        out: list[str] = []
        stack = [group]
        visited: set[str] = set()
        while stack:
            g = self.groups.get(stack.pop(0))
            if g is None or g.name in visited:
                continue
            visited.add(g.name)
            for h in g.hosts:
                if h not in seen:
                    seen.add(h)
                    out.append(h)
            stack.extend(g.children)
        return out
