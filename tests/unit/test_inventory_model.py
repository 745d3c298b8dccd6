"""Ranges, precedence, ssh_config and the bundled default inventory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kxconsole.inventory.loader import default_inventory_path, load_inventory
from kxconsole.inventory.ranges import RangeError, expand

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "inventory"


@pytest.mark.parametrize(
    ("pattern", "names"),
    [
        ("node[01-03]", ["node01", "node02", "node03"]),
        ("web-[a-c]", ["web-a", "web-b", "web-c"]),
        ("db[1:3].x", ["db1.x", "db2.x", "db3.x"]),
        ("db[1:9:4]", ["db1", "db5", "db9"]),
        ("r[1-2]n[a-b]", ["r1na", "r1nb", "r2na", "r2nb"]),
        ("[8-10]", ["8", "9", "10"]),
        ("plain", ["plain"]),
    ],
)
def test_ranges_expand(pattern: str, names: list[str]) -> None:
    assert expand(pattern) == names


@pytest.mark.parametrize("pattern", ["n[3-1]", "n[a-3]", "n[1-2", "x]y", "n[a-C]", "n[1:5:0]"])
def test_bad_ranges_are_refused(pattern: str) -> None:
    with pytest.raises(RangeError):
        expand(pattern)


def test_precedence_host_over_group_over_defaults(tmp_path: Path) -> None:
    inv_file = tmp_path / "p.yaml"
    inv_file.write_text(
        "defaults: {user: d, port: 2000, vars: {x: default, y: default, z: default}}\n"
        "hosts:\n  h1: {user: h, vars: {x: host}}\n"
        "groups:\n"
        "  outer: {children: [inner], user: o, vars: {x: outer, y: outer, z: outer}}\n"
        "  inner: {hosts: [h1], port: 3000, vars: {y: inner}}\n"
    )
    host = load_inventory(inv_file, ssh_config_path=None).hosts["h1"]
    assert host.vars == {"x": "host", "y": "inner", "z": "outer"}
    assert (host.user, host.port) == ("h", 3000)


def test_ssh_config_fills_what_the_inventory_leaves_unset(tmp_path: Path) -> None:
    ssh_config = tmp_path / "config"
    ssh_config.write_text(
        "Host web*\n  User deploy\n  Port 2222\n  IdentityFile ~/.ssh/web_key\n"
        "Host db1\n  HostName 10.0.0.5\n  ProxyJump jump@bastion:2200\n"
        "Host *\n  User fallback\n  Port 22\n"
    )
    inv_file = tmp_path / "i.yaml"
    inv_file.write_text("hosts:\n  web1: {}\n  web2: {user: explicit, port: 22}\n  db1: {}\n"
                        "  here: {connector: local}\n")
    inv = load_inventory(inv_file, ssh_config_path=ssh_config)
    web1, web2, db1, here = (inv.hosts[n] for n in ("web1", "web2", "db1", "here"))
    assert (web1.user, web1.port, web1.private_key_path) == (
        "deploy", 2222, os.path.expanduser("~/.ssh/web_key"))
    assert (web2.user, web2.port) == ("explicit", 22)  # explicit values win
    assert (db1.address, db1.user, db1.bastion) == ("10.0.0.5", "fallback", "jump@bastion:2200")
    assert here.user is None  # the local connector does not use ssh_config


def test_default_inventory_is_this_machine_through_the_local_connector() -> None:
    path = default_inventory_path()
    assert path == ROOT / "inventories" / "local.yaml"
    inv = load_inventory(path, ssh_config_path=None)
    assert [(h.name, h.connector) for h in inv.hosts.values()] == [("localhost", "local")]


@pytest.mark.parametrize("example", sorted((ROOT / "inventories").rglob("*.*")),
                         ids=lambda p: p.name)
def test_bundled_inventories_load(example: Path) -> None:
    inv = load_inventory(example, ssh_config_path=None)
    assert inv.hosts


def test_installed_wheel_finds_its_bundled_inventory(tmp_path: Path) -> None:
    """Build the wheel, install it (non-editable) into a target dir, and ask it."""
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         str(ROOT), "-w", str(wheel_dir)],
        capture_output=True, text=True, timeout=240,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheel_dir.glob("kxconsole-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "kxconsole/_bundled/inventories/local.yaml" in names
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)
    probe = subprocess.run(
        [sys.executable, "-c", "from kxconsole.inventory.loader import default_inventory_path;"
         "print(default_inventory_path())"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)},
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == str(target / "kxconsole/_bundled/inventories/local.yaml")


def test_readme_native_example_loads(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Inventories", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "readme.yaml"
    path.write_text(example)
    inv = load_inventory(path, ssh_config_path=None)
    assert len(inv.hosts) == 8 and inv.hosts["node04"].protected
    assert inv.hosts["node04"].max_sessions == 4 and inv.hosts["node01"].max_sessions == 8


def test_ini_with_bare_host_names_and_ports(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_text("web1\nweb2.example:2222\ndb[1:2]:23\n")
    inv = load_inventory(path, ssh_config_path=None)
    assert [(h.name, h.port) for h in inv.hosts.values()] == [
        ("web1", 22), ("web2.example", 2222), ("db1", 23), ("db2", 23)]
