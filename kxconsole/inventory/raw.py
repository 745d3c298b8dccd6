"""What one inventory file says, before files are merged and precedence is applied.

Every loader (native, kubexm, Ansible) fills a :class:`RawInventory`; :mod:`.resolve` turns one
or more of them into the :class:`~kxconsole.inventory.model.Inventory` the console uses.
Connection settings (address, port, user, …) are kept apart from vars because they follow the
same precedence (host > group > defaults) but end up as Host fields, not as vars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kxconsole.inventory.yamlsrc import error
from kxconsole.secrets import Secret

# connection settings a host, a group or the defaults may set
SETTING_KEYS = (
    "address",
    "port",
    "user",
    "connector",
    "private_key_path",
    "private_key_secret",
    "password_secret",
    "sudo_password_secret",
    "bastion",
    "max_sessions",
)
CONNECTORS = ("local", "ssh", "fake")


@dataclass
class RawHost:
    name: str
    path: str
    line: int
    settings: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)  # direct groups, in file order

    @property
    def source(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class RawGroup:
    name: str
    path: str
    line: int
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    protected: bool = False
    fanout: int | None = None

    @property
    def source(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class RawInventory:
    path: str
    hosts: dict[str, RawHost] = field(default_factory=dict)
    groups: dict[str, RawGroup] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)  # vars
    default_settings: dict[str, Any] = field(default_factory=dict)
    fanout: int | None = None
    secrets: dict[str, Secret] = field(default_factory=dict)  # inline values, by secret name

    def add_host(
        self,
        name: str,
        line: int,
        *,
        settings: dict[str, Any] | None = None,
        vars: dict[str, Any] | None = None,
        labels: dict[str, str] | None = None,
    ) -> RawHost:
        """Add a host or merge into the one already there (a host may be listed under several
        groups); two different addresses for one name is an error naming both places."""
        host = self.hosts.get(name)
        if host is None:
            host = self.hosts[name] = RawHost(name, self.path, line)
        new_settings = settings or {}
        old_addr, new_addr = host.settings.get("address"), new_settings.get("address")
        if old_addr is not None and new_addr is not None and old_addr != new_addr:
            raise error(
                self.path, line,
                f"host {name!r} has address {new_addr!r} here but {old_addr!r} at "
                f"{host.source}",
                "give the host one address, or give the two hosts different names",
            )
        host.settings.update(new_settings)
        host.vars.update(vars or {})
        host.labels.update(labels or {})
        return host

    def add_group(self, name: str, line: int) -> RawGroup:
        group = self.groups.get(name)
        if group is None:
            group = self.groups[name] = RawGroup(name, self.path, line)
        return group

    def add_member(self, group: str, host: str) -> None:
        """Put a defined host in a group (both sides kept in step, so the host's short list
        of groups answers "already a member?" without scanning a large group)."""
        h = self.hosts[host]
        if group not in h.groups:
            h.groups.append(group)
            self.groups[group].hosts.append(host)


def coerce_setting(key: str, value: Any, path: str, line: int) -> Any:
    """Check one connection setting's value; the error says what a good value looks like."""
    if key in ("port", "max_sessions"):
        low, high = (1, 65535) if key == "port" else (1, 1000)
        try:
            number = int(value)
            if isinstance(value, bool) or str(number) != str(value).strip():
                raise ValueError
        except (TypeError, ValueError):
            number = None
        if number is None or not low <= number <= high:
            raise error(path, line, f"{key} must be a whole number {low}..{high}, not {value!r}",
                        f"write e.g. {key}: {22 if key == 'port' else 8}")
        return number
    if key == "connector":
        if value not in CONNECTORS:
            raise error(path, line, f"connector must be one of {', '.join(CONNECTORS)}, not "
                        f"{value!r}", "use ssh for remote hosts, local for this machine")
        return value
    if value is None or isinstance(value, dict | list | bool):
        raise error(path, line, f"{key} must be a string, not {value!r}",
                    f"write {key}: VALUE on one line")
    return str(value)


def zip_range(names: list[str], address: Any, path: str, line: int) -> list[str | None]:
    """The address of each name of a range: one address range of the same length, zipped."""
    from kxconsole.inventory.ranges import RangeError, expand

    if address is None:
        return [None] * len(names)
    text = str(address)
    try:
        addresses = expand(text)
    except RangeError as exc:
        raise error(path, line, str(exc), "fix the range in the address") from None
    if len(addresses) == 1 and len(names) > 1:
        raise error(path, line, f"{len(names)} hosts share the single address {text!r}",
                    "give the address a range of the same length, e.g. 10.0.0.[1-20]")
    if len(addresses) != len(names):
        raise error(path, line, f"{len(names)} host names but {len(addresses)} addresses",
                    "make the name range and the address range the same length")
    return list(addresses)
