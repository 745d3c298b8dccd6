"""Bad inventories give one InventoryError each, shaped ``path:line: what; fix``; with several
files, the good ones still load."""

from __future__ import annotations

from pathlib import Path

import pytest

from kxconsole.errors import InventoryError
from kxconsole.inventory.loader import load_inventories, load_inventory

DATA = Path(__file__).resolve().parents[1] / "data" / "inventory"
BAD = sorted(p for p in (DATA / "bad").iterdir() if not p.name.endswith(".expected"))


@pytest.mark.parametrize("case", BAD, ids=lambda p: p.name)
def test_bad_file_gives_exact_message(case: Path) -> None:
    inv, errors = load_inventories([str(case)], ssh_config_path=None)
    assert inv.hosts == {}
    assert len(errors) == 1
    expected = case.with_name(case.name + ".expected").read_text().strip()
    assert errors[0].message == expected.replace("{path}", str(case))
    assert errors[0].path == str(case)
    where = expected.split(" ")[0].rstrip(":")  # "{path}:LINE" or "{path}"
    line = where.removeprefix("{path}").lstrip(":")
    assert errors[0].line == (int(line) if line else None)


def test_load_inventory_raises_the_error() -> None:
    with pytest.raises(InventoryError, match=r"bad_port\.yaml:2: port must be"):
        load_inventory(DATA / "bad" / "bad_port.yaml", ssh_config_path=None)


def test_good_files_load_and_bad_ones_are_reported() -> None:
    paths = [str(DATA / "kubexm/ha.yaml"), str(DATA / "bad/group_cycle.yaml"),
             str(DATA / "bad/yaml_syntax.yaml"), str(DATA / "ansible/site.ini"),
             "/nonexistent/inventory.yaml"]
    inv, errors = load_inventories(paths, ssh_config_path=None)
    assert "master1" in inv.hosts and "db-c.example" in inv.hosts
    assert [e.path for e in errors] == paths[1:3] + paths[4:]
    assert errors[2].message == ("/nonexistent/inventory.yaml: cannot read the inventory: "
                                 "No such file or directory; check the path and its permissions")


def test_same_host_with_two_addresses_in_two_files(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("hosts:\n  web1: {address: 10.0.0.1}\n  web2: {}\n")
    second = tmp_path / "b.yaml"
    second.write_text("hosts:\n  db1: {}\n  web1: {address: 10.9.9.9}\n"
                      "groups:\n  g: {hosts: [web1, db1]}\n")
    inv, errors = load_inventories([str(first), str(second)], ssh_config_path=None)
    assert [str(e) for e in errors] == [
        f"{second}:3: host 'web1' has address '10.9.9.9' here but '10.0.0.1' at {first}:2; "
        "give the host one address in every file, or rename one of them"
    ]
    assert inv.hosts["web1"].address == "10.0.0.1"  # the first file's host stays
    assert "db1" in inv.hosts
    assert inv.groups["g"].hosts == ["db1"]  # the refused host is not listed


def test_same_host_in_two_files_with_one_address_merges(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("hosts:\n  web1: {address: 10.0.0.1, vars: {a: 1, b: 1}}\n")
    second = tmp_path / "b.ini"
    second.write_text("[web]\nweb1 ansible_host=10.0.0.1 b=2\n")
    inv, errors = load_inventories([str(first), str(second)], ssh_config_path=None)
    assert errors == []
    assert inv.hosts["web1"].vars == {"a": 1, "b": 2}
    assert inv.hosts["web1"].groups == ["web"]
    assert inv.sources == [str(first), str(second)]
