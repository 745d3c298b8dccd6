"""kubexm ``Cluster`` files (``apiVersion: kubexms.io/v1alpha1``, ``kind: Cluster``).

``spec.hosts`` become hosts, ``spec.global`` their defaults and ``spec.roleGroups`` groups
(names and ranges such as ``node[2:10]``). Passwords and key texts become inline secrets named
``<host>.password`` / ``<host>.private_key`` (``global.…`` for spec.global). Everything else in
the file (controlPlaneEndpoint, kubernetes, network, …) is kubexm's business and is ignored.
"""

from __future__ import annotations

from typing import Any

from kxconsole.inventory.ranges import RangeError, expand
from kxconsole.inventory.raw import RawInventory, coerce_setting
from kxconsole.inventory.yamlsrc import MarkedDict, check_keys, error
from kxconsole.secrets import Secret

API_GROUP = "kubexms.io/"
HOST_KEYS = ("name", "address", "internalAddress", "port", "user", "password", "privateKey",
             "privateKeyPath", "arch", "labels", "taints", "roles", "timeout", "type")
GLOBAL_KEYS = ("user", "port", "password", "privateKey", "privateKeyPath", "connectionTimeout",
               "timeout", "workDir", "verbose", "ignoreErr", "skipPreflight", "tmpDir", "arch")
_SETTING = {"address": "address", "port": "port", "user": "user",
            "privateKeyPath": "private_key_path"}


def looks_kubexm(data: Any) -> bool:
    return isinstance(data, dict) and "apiVersion" in data and "kind" in data


def load_kubexm(data: MarkedDict, path: str) -> RawInventory:
    api, kind = str(data.get("apiVersion")), data.get("kind")
    if not api.startswith(API_GROUP) or kind != "Cluster":
        raise error(path, data.line_of("apiVersion"),
                    f"unsupported document apiVersion {api!r} kind {kind!r}",
                    "kxconsole reads kubexm files with apiVersion kubexms.io/v1alpha1 and "
                    "kind Cluster")
    spec = data.get("spec")
    if not isinstance(spec, MarkedDict):
        raise error(path, data.line_of("spec"), "a kubexm Cluster needs a spec mapping",
                    "add spec: with hosts: and roleGroups:")
    raw = RawInventory(path)
    glob = spec.get("global") or MarkedDict()
    if isinstance(glob, MarkedDict):
        check_keys(glob, GLOBAL_KEYS, path, "spec.global")
        raw.default_settings = _connection(glob, path, raw, "global")
    hosts = spec.get("hosts") or []
    if not isinstance(hosts, list):
        raise error(path, spec.line_of("hosts"), "spec.hosts must be a list of hosts",
                    "write each host as '- {name: node1, address: 10.0.0.1}'")
    for entry in hosts:
        if not isinstance(entry, MarkedDict) or not entry.get("name"):
            raise error(path, getattr(entry, "line", spec.line_of("hosts")),
                        "each entry of spec.hosts needs a name",
                        "write '- {name: node1, address: 10.0.0.1}'")
        check_keys(entry, HOST_KEYS, path, f"host {entry['name']!r}")
        name = str(entry["name"])
        settings = _connection(entry, path, raw, name)
        extra = {k: entry[k] for k in ("internalAddress", "arch", "roles", "taints")
                 if k in entry}
        host_vars = {_snake(k): v for k, v in extra.items()}
        labels = entry.get("labels") or {}
        if not isinstance(labels, dict):
            raise error(path, entry.line_of("labels"), "labels must be a mapping",
                        "write labels: {key: value}")
        raw.add_host(name, entry.line, settings=settings, vars=host_vars,
                     labels={str(k): str(v) for k, v in labels.items()})
    role_groups = spec.get("roleGroups") or MarkedDict()
    if not isinstance(role_groups, MarkedDict):
        raise error(path, spec.line_of("roleGroups"), "spec.roleGroups must be a mapping",
                    "write roleGroups: {etcd: [node1], master: [node1], worker: [node2]}")
    for role, members in role_groups.items():
        line = role_groups.line_of(role)
        raw.add_group(role, line)
        for pattern in members or []:
            try:
                names = expand(str(pattern))
            except RangeError as exc:
                raise error(path, line, str(exc), "write ranges as node[2:10]") from None
            for member in names:
                if member not in raw.hosts:
                    raise error(path, line, f"roleGroups.{role} names host {member!r} that "
                                "is not in spec.hosts", "add it to spec.hosts or fix the name")
                raw.add_member(role, member)
    return raw


def _connection(spec: MarkedDict, path: str, raw: RawInventory, owner: str) -> dict[str, Any]:
    settings = {target: coerce_setting(target, spec[key], path, spec.line_of(key))
                for key, target in _SETTING.items() if spec.get(key) is not None}
    if spec.get("password"):
        raw.secrets[f"{owner}.password"] = Secret(str(spec["password"]))
        settings["password_secret"] = f"{owner}.password"
    if spec.get("privateKey"):
        raw.secrets[f"{owner}.private_key"] = Secret(str(spec["privateKey"]))
        settings["private_key_secret"] = f"{owner}.private_key"
    return settings


def _snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key)
