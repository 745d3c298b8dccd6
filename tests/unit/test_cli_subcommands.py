"""The headless CLI, run as a real subprocess: ``python3 -m kxconsole ...``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "inventory"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KXCONSOLE_")}
    return {**clean, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
            "XDG_STATE_HOME": str(tmp_path / "state")}


def kx(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kxconsole", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60)


def test_inventory_table_of_the_default_inventory(env: dict[str, str]) -> None:
    proc = kx(env, "inventory")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["NAME", "ADDRESS", "PORT", "USER", "CONNECTOR", "GROUPS",
                                "PROTECTED", "BASTION", "KEY", "PASSWORD", "SUDO_PASSWORD"]
    assert lines[1].split() == ["localhost", "localhost", "22", "-", "local", "-", "-", "-",
                                "-", "-", "-"]


def test_inventory_json_has_hosts_groups_and_masked_secrets(env: dict[str, str]) -> None:
    proc = kx(env, "inventory", "--json", "-i", str(DATA / "kubexm/full.yaml"))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    hosts = {h["name"]: h for h in doc["hosts"]}
    assert list(hosts) == ["node01", "node02", "node03", "node04", "node05", "lb1"]
    assert hosts["node05"]["password"] == "********" and hosts["node01"]["password"] is None
    assert "s3cret-full" not in proc.stdout
    groups = {g["name"]: g for g in doc["groups"]}
    assert groups["worker"]["hosts"] == ["node04", "node05", "node03"]
    assert doc["errors"] == []


def test_bad_file_exits_non_zero_and_good_files_still_print(env: dict[str, str]) -> None:
    bad = DATA / "bad" / "unknown_host_key.yaml"
    proc = kx(env, "inventory", "-i", str(DATA / "kubexm/minimal.yaml"), "-i", str(bad))
    assert proc.returncode == 1
    assert "node1" in proc.stdout
    assert proc.stderr.strip() == (f"{bad}:3: unknown key 'adress' in host 'node1'; "
                                   "did you mean 'address'?")
    as_json = kx(env, "inventory", "--json", "-i", str(bad), "-i",
                 str(DATA / "kubexm/minimal.yaml"))
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["errors"][0]["line"] == 3


def test_config_shows_every_value_and_its_source(env: dict[str, str]) -> None:
    cfg = Path(env["XDG_CONFIG_HOME"]) / "kxconsole" / "config.yaml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("theme: solarized\nfanout: 4\n")
    proc = kx({**env, "KXCONSOLE_FANOUT": "8"}, "config", "--read-only", "--json")
    assert proc.returncode == 0, proc.stderr
    settings = json.loads(proc.stdout)["settings"]
    assert settings["theme"] == {"value": "solarized", "source": f"file {cfg}:1"}
    assert settings["fanout"] == {"value": 8, "source": "env KXCONSOLE_FANOUT"}
    assert settings["read_only"] == {"value": True, "source": "flag"}
    assert settings["connect_timeout"] == {"value": 10.0, "source": "default"}
    table = kx(env, "--theme", "x", "config")
    assert table.returncode == 0
    assert table.stdout.splitlines()[0] == f"config file: {cfg}"
    rows = {line.split()[0]: line.split() for line in table.stdout.splitlines()[2:]}
    assert rows["theme"] == ["theme", "x", "flag"]
    assert rows["fanout"][1:] == ["4", "file", f"{cfg}:2"]


def test_bad_config_exits_2_with_file_and_line(env: dict[str, str], tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("fanout: 3\nthme: x\n")
    proc = kx(env, "config", "--config", str(cfg))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"kxconsole: {cfg}:2: unknown setting 'thme'; "
                                   "did you mean 'theme'?")


def test_flag_values_are_not_taken_for_subcommands(env: dict[str, str], tmp_path: Path) -> None:
    inventory = tmp_path / "config"  # a file named like a subcommand
    inventory.write_text("hosts:\n  only-here: {connector: local}\n")
    proc = kx(env, "-i", str(inventory), "inventory")
    assert proc.returncode == 0 and "only-here" in proc.stdout


def test_subcommand_help_and_bad_flag(env: dict[str, str]) -> None:
    helped = kx(env, "inventory", "--help")
    assert helped.returncode == 0 and "--json" in helped.stdout
    bad = kx(env, "config", "--fanout", "lots")
    assert bad.returncode == 2 and "invalid int value" in bad.stderr


def test_console_gets_the_effective_config(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without a subcommand the console opens with positional files and -i files; the
    console module is stood in for, since opening a real terminal UI is not this test's job."""
    import types

    from kxconsole import cli

    seen: list[object] = []
    fake_app = types.ModuleType("kxconsole.tui.app")
    fake_app.run_console = lambda config: seen.append(config) or 7  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kxconsole.tui.app", fake_app)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    a, b = str(tmp_path / "a.yaml"), str(tmp_path / "b.ini")
    assert cli.main(["-i", a, "--fanout", "3", b]) == 7
    (config,) = seen
    assert config.inventories == [a, b]  # type: ignore[attr-defined]
    assert config.fanout == 3  # type: ignore[attr-defined]
    assert config.sources["inventories"] == "flag"  # type: ignore[attr-defined]


def test_inventory_honours_the_users_ssh_config(env: dict[str, str], tmp_path: Path) -> None:
    ssh_dir = Path(env["HOME"]) / ".ssh"
    ssh_dir.mkdir()
    (ssh_dir / "config").write_text("Host app*\n  HostName 192.0.2.7\n  User cfguser\n"
                                    "  Port 2022\n  IdentityFile ~/.ssh/app_key\n")
    inventory = tmp_path / "inv.ini"
    inventory.write_text("[apps]\napp1\napp2 ansible_user=explicit\n")
    doc = json.loads(kx(env, "inventory", "--json", "-i", str(inventory)).stdout)
    app1, app2 = doc["hosts"]
    assert (app1["address"], app1["user"], app1["port"], app1["key"]) == (
        "192.0.2.7", "cfguser", 2022, f"{env['HOME']}/.ssh/app_key")
    assert app2["user"] == "explicit"
