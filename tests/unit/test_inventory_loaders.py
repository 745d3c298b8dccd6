"""Data-driven loader tests: every input under tests/data/inventory/{kubexm,ansible,native}
loads into the hosts and groups of the ``.expected.yaml`` file next to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kxconsole.inventory.loader import load_inventories, parse_inventory_text
from kxconsole.inventory.model import Inventory

DATA = Path(__file__).resolve().parents[1] / "data" / "inventory"
CASES = sorted(
    p for d in ("kubexm", "ansible", "native") for p in (DATA / d).iterdir()
    if p.suffix in (".yaml", ".ini") and not p.name.endswith(".expected.yaml")
)
HOST_FIELDS = ("address", "port", "user", "connector", "groups", "protected", "bastion",
               "private_key_path", "password_secret", "sudo_password_secret",
               "private_key_secret", "max_sessions", "vars", "labels")


def summarize(inv: Inventory) -> dict[str, Any]:
    """The comparable part of an inventory; empty values are left out to keep files short."""
    hosts = {}
    for h in inv.hosts.values():
        row = {f: getattr(h, f) for f in HOST_FIELDS}
        row["address"] = h.target
        hosts[h.name] = {k: v for k, v in row.items() if v not in (None, [], {}, False)}
    groups = {}
    for g in inv.groups.values():
        row = {"hosts": inv.group_hosts(g.name), "children": g.children, "vars": g.vars,
               "protected": g.protected, "fanout": g.fanout}
        groups[g.name] = {k: v for k, v in row.items() if v not in (None, [], {}, False)}
    return {"fanout": inv.fanout, "hosts": hosts, "groups": groups,
            "secrets": sorted(inv.secrets)}


def expected_path(case: Path) -> Path:
    return case.with_name(case.name.replace(".", "-") + ".expected.yaml")


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_loads_expected_hosts_and_groups(case: Path) -> None:
    inv, errors = load_inventories([str(case)], ssh_config_path=None)
    assert errors == []
    expected = yaml.safe_load(expected_path(case).read_text())
    assert summarize(inv) == expected


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("kubexm/full.yaml", "kubexm"), ("ansible/site.yaml", "ansible-yaml"),
     ("ansible/site.ini", "ansible-ini"), ("native/fleet.yaml", "native")],
)
def test_format_is_detected_by_content(name: str, fmt: str) -> None:
    path = DATA / name
    _, detected = parse_inventory_text(path.read_text(), str(path))
    assert detected == fmt


def test_ansible_yaml_and_ini_describe_the_same_fleet() -> None:
    by_yaml, _ = load_inventories([str(DATA / "ansible/site.yaml")], ssh_config_path=None)
    by_ini, _ = load_inventories([str(DATA / "ansible/site.ini")], ssh_config_path=None)
    a, b = summarize(by_yaml), summarize(by_ini)
    for h in (*a["hosts"].values(), *b["hosts"].values()):
        h.pop("groups", None)  # group order follows each file's own order
    assert a == b
