"""The native kxconsole inventory format (documented in the README)::

    fanout: 20
    defaults: {user: ops, private_key_path: ~/.ssh/id_ed25519, vars: {ntp: pool.ntp.org}}
    hosts:
      bastion: {address: 203.0.113.10}
      node[01-20]: {address: "10.0.0.[1-20]", bastion: bastion}
    groups:
      prod: {protected: true, children: [workers], vars: {env: prod}}
      workers: {hosts: ["node[01-20]"], sudo_password_secret: prod-sudo}
"""

from __future__ import annotations

from typing import Any

from kxconsole.inventory.ranges import RangeError, expand
from kxconsole.inventory.raw import SETTING_KEYS, RawInventory, coerce_setting, zip_range
from kxconsole.inventory.yamlsrc import MarkedDict, check_keys, error, line_of

TOP_KEYS = ("hosts", "groups", "defaults", "fanout")
HOST_KEYS = (*SETTING_KEYS, "vars", "labels", "groups")
GROUP_KEYS = (*[k for k in SETTING_KEYS if k != "address"], "hosts", "children", "vars",
              "protected", "fanout")
DEFAULT_KEYS = (*[k for k in SETTING_KEYS if k != "address"], "vars")


def looks_native(data: Any) -> bool:
    return isinstance(data, dict) and any(k in data for k in ("hosts", "groups", "defaults"))


def load_native(data: MarkedDict, path: str) -> RawInventory:
    raw = RawInventory(path)
    check_keys(data, TOP_KEYS, path, "the inventory (top level)")
    if "fanout" in data:
        raw.fanout = coerce_setting("max_sessions", data["fanout"], path, data.line_of("fanout"))
    defaults = _mapping(data.get("defaults"), path, data.line_of("defaults"), "defaults")
    check_keys(defaults, DEFAULT_KEYS, path, "defaults")
    raw.default_settings = _settings(defaults, path)
    raw.defaults = _vars(defaults, path)

    hosts = _mapping(data.get("hosts"), path, data.line_of("hosts"), "hosts")
    for pattern, spec in hosts.items():
        line = hosts.line_of(pattern)
        spec = _mapping(spec, path, line, f"host {pattern!r}")
        check_keys(spec, HOST_KEYS, path, f"host {pattern!r}")
        names = _expand(pattern, path, line)
        settings = _settings(spec, path)
        addresses = zip_range(names, settings.pop("address", None), path,
                              spec.line_of("address"))
        labels = _mapping(spec.get("labels"), path, spec.line_of("labels"), "labels")
        for name, address in zip(names, addresses, strict=True):
            host_settings = dict(settings)
            if address is not None:
                host_settings["address"] = address
            raw.add_host(name, line, settings=host_settings, vars=_vars(spec, path),
                         labels={str(k): str(v) for k, v in labels.items()})
        for group in _names(spec.get("groups"), path, spec.line_of("groups"), "groups"):
            raw.add_group(group, spec.line_of("groups"))
            for name in names:
                raw.add_member(group, name)

    groups = _mapping(data.get("groups"), path, data.line_of("groups"), "groups")
    for gname, spec in groups.items():
        line = groups.line_of(gname)
        spec = _mapping(spec, path, line, f"group {gname!r}")
        check_keys(spec, GROUP_KEYS, path, f"group {gname!r}")
        rgroup = raw.add_group(gname, line)
        rgroup.line, rgroup.path = line, path
        rgroup.settings.update(_settings(spec, path))
        rgroup.vars.update(_vars(spec, path))
        protected = spec.get("protected", False)
        if not isinstance(protected, bool):
            raise error(path, spec.line_of("protected"),
                        f"protected must be true or false, not {protected!r}",
                        "write protected: true for production groups")
        rgroup.protected = protected
        if spec.get("fanout") is not None:
            rgroup.fanout = coerce_setting("max_sessions", spec["fanout"], path,
                                           spec.line_of("fanout"))
        for pattern in _names(spec.get("hosts"), path, spec.line_of("hosts"), "hosts"):
            for name in _expand(pattern, path, spec.line_of("hosts")):
                if name not in raw.hosts:
                    raise error(path, spec.line_of("hosts"),
                                f"group {gname!r} lists host {name!r} that is not defined",
                                "define it under hosts: (ranges such as node[01-20] work)")
                raw.add_member(gname, name)
        for child in _names(spec.get("children"), path, spec.line_of("children"), "children"):
            if child not in rgroup.children:
                rgroup.children.append(child)
    return raw


def _settings(spec: MarkedDict, path: str) -> dict[str, Any]:
    return {k: coerce_setting(k, spec[k], path, spec.line_of(k))
            for k in SETTING_KEYS if k in spec and spec[k] is not None}


def _vars(spec: MarkedDict, path: str) -> dict[str, Any]:
    return dict(_mapping(spec.get("vars"), path, spec.line_of("vars"), "vars"))


def _mapping(value: Any, path: str, line: int, what: str) -> MarkedDict:
    if value is None:
        empty = MarkedDict()
        empty.line, empty.key_lines = line, {}
        return empty
    if not isinstance(value, MarkedDict):
        raise error(path, line, f"{what} must be a mapping (key: value), not "
                    f"{type(value).__name__}", "indent its entries under it as key: value")
    return value


def _names(value: Any, path: str, line: int, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise error(path, line_of(value) or line, f"{what} must be a list of names",
                    f"write {what}: [a, b] or one name per '- ' line")
    return [str(v) for v in value]


def _expand(pattern: str, path: str, line: int) -> list[str]:
    try:
        return expand(str(pattern))
    except RangeError as exc:
        raise error(path, line, str(exc), "fix the range, e.g. node[01-20] or web-[a-c]") \
            from None
