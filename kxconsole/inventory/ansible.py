"""Ansible inventories, YAML and INI: groups, ``children``, group and host vars, ranges.

Connection vars become host settings: ``ansible_host``, ``ansible_port``, ``ansible_user``,
``ansible_ssh_private_key_file``, ``ansible_connection`` (local → the local connector);
``ansible_password`` and ``ansible_become_password`` become inline secrets named
``<host or group>.password`` / ``.sudo_password``. The ``all`` group's vars are the defaults;
``all`` and ``ungrouped`` do not appear as groups.
"""

from __future__ import annotations

import ast
import re
import shlex
from typing import Any

from kxconsole.inventory.ranges import RangeError, expand
from kxconsole.inventory.raw import RawInventory, coerce_setting
from kxconsole.inventory.yamlsrc import MarkedDict, check_keys, did_you_mean, error
from kxconsole.secrets import Secret

ROOT_GROUPS = ("all", "ungrouped")
GROUP_KEYS = ("hosts", "children", "vars")
_SETTINGS = {"ansible_host": "address", "ansible_ssh_host": "address",
             "ansible_port": "port", "ansible_ssh_port": "port",
             "ansible_user": "user", "ansible_ssh_user": "user",
             "ansible_ssh_private_key_file": "private_key_path",
             "ansible_private_key_file": "private_key_path"}
_SECRETS = {"ansible_password": "password", "ansible_ssh_pass": "password",
            "ansible_become_password": "sudo_password", "ansible_become_pass": "sudo_password"}


def split_vars(
    values: dict[str, Any], owner: str, raw: RawInventory, line: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ansible vars → (connection settings, remaining vars); secrets go to ``raw.secrets``."""
    settings: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, value in values.items():
        if key in _SETTINGS:
            target = _SETTINGS[key]
            settings[target] = coerce_setting(target, value, raw.path, _line(values, key, line))
        elif key in _SECRETS:
            name = f"{owner}.{_SECRETS[key]}"
            raw.secrets[name] = Secret(str(value))
            settings[f"{_SECRETS[key]}_secret"] = name
        elif key == "ansible_connection":
            settings["connector"] = "local" if value == "local" else "ssh"
        else:
            rest[key] = value
    return settings, rest


def _line(values: Any, key: str, default: int) -> int:
    return values.line_of(key) if isinstance(values, MarkedDict) else default


# ---- YAML ------------------------------------------------------------------------------


def load_ansible_yaml(data: MarkedDict, path: str) -> RawInventory:
    raw = RawInventory(path)
    for name, spec in data.items():
        _yaml_group(raw, str(name), spec, data.line_of(name), parent=None)
    return raw


def _yaml_group(raw: RawInventory, name: str, spec: Any, line: int, parent: str | None) -> None:
    path = raw.path
    if spec is None:
        spec = MarkedDict()
        spec.line, spec.key_lines = line, {}
    if not isinstance(spec, MarkedDict):
        raise error(path, line, f"group {name!r} must be a mapping with hosts, children or vars",
                    "indent hosts:, children: or vars: under the group name")
    check_keys(spec, GROUP_KEYS, path, f"group {name!r}")
    is_root = name in ROOT_GROUPS
    if not is_root:
        raw.add_group(name, line)
        if parent is not None and parent not in ROOT_GROUPS:
            children = raw.groups[parent].children
            if name not in children:
                children.append(name)
    group_vars = spec.get("vars") or {}
    if not isinstance(group_vars, dict):
        raise error(path, spec.line_of("vars"), f"vars of group {name!r} must be a mapping",
                    "write vars: {key: value}")
    settings, rest = split_vars(group_vars, name, raw, spec.line_of("vars"))
    if name == "all":
        raw.default_settings.update(settings)
        raw.defaults.update(rest)
    elif not is_root:
        raw.groups[name].settings.update(settings)
        raw.groups[name].vars.update(rest)
    hosts = spec.get("hosts") or {}
    if not isinstance(hosts, dict):
        raise error(path, spec.line_of("hosts"), f"hosts of group {name!r} must be a mapping",
                    "write each host as 'name:' (with its vars indented under it)")
    for pattern, host_vars in hosts.items():
        hline = hosts.line_of(pattern) if isinstance(hosts, MarkedDict) else line
        _add_hosts(raw, str(pattern), host_vars or {}, hline, None if is_root else name)
    child_specs = spec.get("children") or {}
    if not isinstance(child_specs, dict):
        raise error(path, spec.line_of("children"),
                    f"children of group {name!r} must be a mapping of groups",
                    "write each child group as 'name:' under children:")
    for child, child_spec in child_specs.items():
        cline = child_specs.line_of(child) if isinstance(child_specs, MarkedDict) else line
        _yaml_group(raw, str(child), child_spec, cline, parent=name)


def _add_hosts(
    raw: RawInventory, pattern: str, host_vars: Any, line: int, group: str | None
) -> None:
    if not isinstance(host_vars, dict):
        raise error(raw.path, line, f"vars of host {pattern!r} must be a mapping",
                    "write the host's vars as key: value under it, or nothing")
    try:
        names = expand(pattern)
    except RangeError as exc:
        raise error(raw.path, line, str(exc), "write ranges as web[01:03] or db-[a:c]") \
            from None
    for name in names:
        settings, rest = split_vars(host_vars, name, raw, line)
        raw.add_host(name, line, settings=settings, vars=rest)
        if group is not None:
            raw.add_member(group, name)


# ---- INI -------------------------------------------------------------------------------

_HOST_PORT = re.compile(r"^([^:\[\]]+|[^:]*\[[^\]]*\][^:]*):(\d+)$")
_SECTION = re.compile(r"^\[([^\]:]+)(?::(\w+))?\]\s*(?:[#;].*)?$")


def looks_ini(text: str) -> bool:
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        return bool(_SECTION.match(line)) or ("=" in line and ": " not in line)
    return False


def load_ansible_ini(text: str, path: str) -> RawInventory:
    raw = RawInventory(path)
    group, kind = "ungrouped", "hosts"
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("["):
            m = _SECTION.match(stripped)
            if m is None:
                raise error(path, number, f"bad section header {stripped!r}",
                            "write [group], [group:vars] or [group:children]")
            group, kind = m.group(1).strip(), m.group(2) or "hosts"
            if kind not in ("hosts", "vars", "children"):
                hint = did_you_mean(kind, ["vars", "children"]) or "use :vars or :children"
                raise error(path, number, f"unknown section kind {kind!r} in [{m.group(1)}:"
                            f"{kind}]", hint)
            if group not in ROOT_GROUPS:
                raw.add_group(group, number)
            continue
        try:
            tokens = shlex.split(stripped, comments=True)
        except ValueError as exc:
            raise error(path, number, f"cannot split line: {exc}", "balance the quotes") \
                from None
        if kind == "vars":
            key, sep, value = stripped.partition("=")
            if not sep:
                raise error(path, number, f"expected key=value in [{group}:vars], got "
                            f"{stripped!r}", "write one key=value per line")
            _ini_group_vars(raw, group, {key.strip(): _unquote(value.strip())}, number)
        elif kind == "children":
            child = tokens[0]
            raw.add_group(child, number)
            if group not in ROOT_GROUPS and child not in raw.groups[group].children:
                raw.groups[group].children.append(child)
        else:
            host_vars = _host_line_vars(tokens[1:], path, number)
            pattern = tokens[0]
            if m := _HOST_PORT.match(pattern):  # "web1.example:2222", as Ansible allows
                pattern = m.group(1)
                host_vars.setdefault("ansible_port", int(m.group(2)))
            _add_hosts(raw, pattern, host_vars, number,
                       None if group in ROOT_GROUPS else group)
    return raw


def _ini_group_vars(raw: RawInventory, group: str, values: dict[str, Any], line: int) -> None:
    settings, rest = split_vars(values, group, raw, line)
    if group == "all":
        raw.default_settings.update(settings)
        raw.defaults.update(rest)
    elif group not in ROOT_GROUPS:
        raw.groups[group].settings.update(settings)
        raw.groups[group].vars.update(rest)


def _host_line_vars(tokens: list[str], path: str, line: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep or not key:
            raise error(path, line, f"expected key=value after the host name, got {token!r}",
                        "write host vars as key=value separated by spaces")
        out[key] = _literal(value)
    return out


def _literal(value: str) -> Any:
    """Host-line values are Python literals in Ansible (``port=22`` is a number)."""
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
