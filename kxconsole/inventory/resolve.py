"""From raw files to the model: group cycles, precedence, ``~/.ssh/config``, merging files.

Each file is resolved on its own (its defaults and groups apply to its own hosts), then the
files are combined: a host named in several files must have one address; its vars and labels
are merged (later files win) and groups of the same name are united.
"""

from __future__ import annotations

from typing import Any

from kxconsole.errors import InventoryError
from kxconsole.inventory.model import Group, Host, Inventory
from kxconsole.inventory.raw import RawGroup, RawInventory
from kxconsole.inventory.sshconfig import SSHConfig
from kxconsole.inventory.yamlsrc import did_you_mean, error


def resolve(raw: RawInventory, ssh_config: SSHConfig | None = None) -> Inventory:
    """One file's :class:`RawInventory` → :class:`Inventory` (raises InventoryError)."""
    _check_references(raw)
    parents = _parents(raw)
    depth = _depths(raw, parents)
    order = {name: i for i, name in enumerate(raw.groups)}
    inv = Inventory(defaults=dict(raw.defaults), sources=[raw.path], secrets=dict(raw.secrets))
    if raw.fanout is not None:
        inv.fanout = raw.fanout
    protected = {g: _is_protected(g, raw, parents) for g in raw.groups}

    for name, rg in raw.groups.items():
        inv.groups[name] = Group(
            name=name, hosts=list(rg.hosts), children=list(rg.children), vars=dict(rg.vars),
            protected=protected[name], source=rg.source, fanout=rg.fanout,
        )
    # hosts with the same direct groups inherit the same things: work it out once per set
    inherited: dict[tuple[str, ...], tuple[dict[str, Any], dict[str, Any], bool]] = {}
    for rh in raw.hosts.values():
        key = tuple(rh.groups)
        if key not in inherited:
            ancestors = _ancestors(rh.groups, parents)
            chain = sorted(ancestors, key=lambda g: (depth[g], order[g]))
            group_settings: dict[str, Any] = dict(raw.default_settings)
            group_vars: dict[str, Any] = dict(raw.defaults)
            for g in chain:
                group_settings.update(raw.groups[g].settings)
                group_vars.update(raw.groups[g].vars)
            inherited[key] = (group_settings, group_vars, any(protected[g] for g in ancestors))
        group_settings, group_vars, is_protected = inherited[key]
        settings = {**group_settings, **rh.settings}
        vars = {**group_vars, **rh.vars}
        connector = settings.get("connector", "ssh")
        if connector == "ssh" and ssh_config is not None:
            _apply_ssh_config(settings, rh.name, ssh_config)
        inv.hosts[rh.name] = Host(
            name=rh.name,
            address=str(settings.get("address", "")),
            port=int(settings.get("port", 22)),
            user=settings.get("user"),
            connector=connector,
            private_key_path=settings.get("private_key_path"),
            password_secret=settings.get("password_secret"),
            sudo_password_secret=settings.get("sudo_password_secret"),
            private_key_secret=settings.get("private_key_secret"),
            bastion=settings.get("bastion"),
            groups=list(rh.groups),
            vars=vars,
            labels=dict(rh.labels),
            max_sessions=settings.get("max_sessions"),
            source=rh.source,
            protected=is_protected,
        )
    return inv


def merge(target: Inventory, other: Inventory) -> list[InventoryError]:
    """Add ``other`` (a later file) into ``target``; hosts that conflict are left out and
    reported, the rest of the file still merges."""
    errors: list[InventoryError] = []
    refused: set[str] = set()
    for name, host in other.hosts.items():
        old = target.hosts.get(name)
        if old is None:
            target.hosts[name] = host
            continue
        if old.target != host.target:
            path, _, line = host.source.rpartition(":")
            errors.append(error(
                path, int(line) if line.isdigit() else None,
                f"host {name!r} has address {host.target!r} here but {old.target!r} at "
                f"{old.source}",
                "give the host one address in every file, or rename one of them",
            ))
            refused.add(name)
            continue
        old.vars.update(host.vars)
        old.labels.update(host.labels)
        old.groups.extend(g for g in host.groups if g not in old.groups)
        old.protected = old.protected or host.protected
    for name, group in other.groups.items():
        group.hosts = [h for h in group.hosts if h not in refused]
        old_group = target.groups.get(name)
        if old_group is None:
            target.groups[name] = group
            continue
        old_group.hosts.extend(h for h in group.hosts if h not in old_group.hosts)
        old_group.children.extend(c for c in group.children if c not in old_group.children)
        old_group.vars.update(group.vars)
        old_group.protected = old_group.protected or group.protected
        if group.fanout is not None:
            old_group.fanout = group.fanout
    target.defaults.update(other.defaults)
    target.secrets.update(other.secrets)
    target.sources.extend(other.sources)
    if other.fanout != Inventory().fanout:
        target.fanout = other.fanout
    return errors


def _apply_ssh_config(settings: dict[str, Any], name: str, ssh_config: SSHConfig) -> None:
    """Fill what no inventory level set; explicit inventory values win over ssh_config."""
    found = ssh_config.lookup(name)
    if not found and settings.get("address"):
        found = ssh_config.lookup(str(settings["address"]))
    if "HostName" in found:
        settings.setdefault("address", found["HostName"])
    if "User" in found:
        settings.setdefault("user", found["User"])
    if "Port" in found and found["Port"].isdigit():
        settings.setdefault("port", int(found["Port"]))
    if "IdentityFile" in found:
        settings.setdefault("private_key_path", found["IdentityFile"])
    if "ProxyJump" in found:
        settings.setdefault("bastion", found["ProxyJump"])


def _check_references(raw: RawInventory) -> None:
    for g in raw.groups.values():
        for child in g.children:
            if child not in raw.groups:
                hint = did_you_mean(child, raw.groups) or "define the group or remove the child"
                raise error(raw.path, g.line, f"group {g.name!r} has unknown child {child!r}",
                            hint)
        for h in g.hosts:
            if h not in raw.hosts:
                hint = did_you_mean(h, raw.hosts) or "define the host under hosts"
                raise error(raw.path, g.line, f"group {g.name!r} lists unknown host {h!r}", hint)


def _parents(raw: RawInventory) -> dict[str, list[str]]:
    parents: dict[str, list[str]] = {name: [] for name in raw.groups}
    for g in raw.groups.values():
        for child in g.children:
            parents[child].append(g.name)
    return parents


def _depths(raw: RawInventory, parents: dict[str, list[str]]) -> dict[str, int]:
    """Distance from the outermost group; raises on a cycle, naming it."""
    depth: dict[str, int] = {}
    visiting: list[str] = []

    def visit(name: str) -> int:
        if name in depth:
            return depth[name]
        if name in visiting:
            # visiting runs child → parent; reversed, each group is a child of the one before
            cycle = [name, *reversed(visiting[visiting.index(name):])]
            group: RawGroup = raw.groups[cycle[0]]
            raise error(
                raw.path, group.line, "group cycle " + " → ".join(cycle),
                f"remove {cycle[1]!r} from the children of {cycle[0]!r}",
            )
        visiting.append(name)
        depth[name] = 1 + max((visit(p) for p in parents[name]), default=-1)
        visiting.pop()
        return depth[name]

    for name in raw.groups:
        visit(name)
    return depth


def _ancestors(groups: list[str], parents: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(groups)
    while stack:
        g = stack.pop()
        if g not in seen:
            seen.add(g)
            stack.extend(parents.get(g, []))
    return seen


def _is_protected(name: str, raw: RawInventory, parents: dict[str, list[str]]) -> bool:
    return any(raw.groups[g].protected for g in _ancestors([name], parents))
