"""connection_config_for / connector_for: settings, secrets and jump hosts reach the
connector; the local connector really runs a command."""

from __future__ import annotations

from pathlib import Path

import pytest

from kxconsole.config import Config, load_config
from kxconsole.connector.fake import FakeConnector
from kxconsole.connector.local import LocalConnector
from kxconsole.connector.ssh import SSHConnector
from kxconsole.errors import InventoryError
from kxconsole.inventory.connect import connection_config_for, connector_for, secret_store_for
from kxconsole.inventory.loader import default_inventory_path, load_inventory
from kxconsole.inventory.model import Inventory
from kxconsole.secrets import EnvSecretProvider, PromptSecretProvider, Secret, SecretStore

FLEET = """
defaults: {user: ops, private_key_path: ~/.ssh/ops_key}
hosts:
  jump1: {address: 198.51.100.1, port: 2201, sudo_password_secret: jump-sudo}
  jump2: {address: 198.51.100.2, bastion: jump1}
  node[1-2]: {address: "10.0.0.[1-2]", bastion: jump2, max_sessions: 3}
  edge: {address: 10.9.0.1, bastion: "admin@[2001:db8::1]:2222"}
  demo: {connector: fake}
groups:
  prod: {hosts: ["node[1-2]"], sudo_password_secret: prod-sudo, password_secret: prod-login}
"""


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config({"connect_timeout": 4.5, "host_key_policy": "accept-new",
                        "known_hosts": str(tmp_path / "kh")}, env={"HOME": str(tmp_path)})


@pytest.fixture
def inv(tmp_path: Path) -> Inventory:
    path = tmp_path / "fleet.yaml"
    path.write_text(FLEET)
    return load_inventory(path, ssh_config_path=None)


def test_settings_secrets_and_bastion_chain(inv: Inventory, config: Config) -> None:
    prompts: list[str] = []
    store = SecretStore([
        EnvSecretProvider({"KXCONSOLE_SECRET_PROD_SUDO": "sudo-pw"}),
        PromptSecretProvider(lambda p: prompts.append(p) or "typed", scope="group"),
    ])
    cfg = connection_config_for(inv.hosts["node1"], inv, store, config)
    assert (cfg.host, cfg.port, cfg.user, cfg.name) == ("10.0.0.1", 22, "ops", "node1")
    assert cfg.private_key_path == str(Path("~/.ssh/ops_key").expanduser())
    assert (cfg.timeout, cfg.host_key_policy, cfg.known_hosts) == (
        4.5, "accept-new", config.known_hosts)
    assert cfg.max_sessions == 3
    assert cfg.sudo_password == Secret("sudo-pw") and cfg.password == Secret("typed")
    assert cfg.bastion is not None and cfg.bastion.name == "jump2"
    assert cfg.bastion.bastion is not None and cfg.bastion.bastion.name == "jump1"
    assert (cfg.bastion.bastion.host, cfg.bastion.bastion.port) == ("198.51.100.1", 2201)
    assert cfg.bastion.bastion.sudo_password is None  # nothing runs on a jump host
    assert prompts == ["SSH password for group prod (secret prod-login)"]
    connection_config_for(inv.hosts["node2"], inv, store, config)
    assert len(prompts) == 1  # same group, same secret: asked once
    cfg = connection_config_for(inv.hosts["jump1"], inv, store, config)
    assert cfg.sudo_password == Secret("typed")
    assert prompts[1:] == ["sudo password for host jump1 (secret jump-sudo)"]


def test_bastion_as_user_at_host_port(inv: Inventory, config: Config) -> None:
    cfg = connection_config_for(inv.hosts["edge"], inv, SecretStore(), config)
    assert cfg.bastion is not None
    assert (cfg.bastion.user, cfg.bastion.host, cfg.bastion.port) == ("admin", "2001:db8::1",
                                                                      2222)


def test_jump_host_loop_is_an_error(inv: Inventory, config: Config) -> None:
    inv.hosts["jump1"].bastion = "node1"
    store = SecretStore([EnvSecretProvider({"KXCONSOLE_SECRET_PROD_LOGIN": "pw"})])
    with pytest.raises(InventoryError, match="jump host loop node1 → jump2 → jump1 → node1"):
        connection_config_for(inv.hosts["node1"], inv, store, config)


def test_unnamed_sudo_password_comes_from_non_interactive_providers(
    inv: Inventory, config: Config
) -> None:
    asked: list[str] = []
    store = SecretStore([EnvSecretProvider({"KXCONSOLE_SECRET_SUDO_PASSWORD": "generic"}),
                         PromptSecretProvider(lambda p: asked.append(p) or "x")])
    cfg = connection_config_for(inv.hosts["jump2"], inv, store, config)
    assert cfg.sudo_password == Secret("generic") and asked == []


def test_connector_classes(inv: Inventory, config: Config) -> None:
    store = secret_store_for(config, interactive=False, env={})
    assert isinstance(connector_for(inv.hosts["demo"], inv, store, config), FakeConnector)
    assert isinstance(connector_for(inv.hosts["jump2"], inv, store, config), SSHConnector)


async def test_bundled_local_inventory_runs_a_real_command(config: Config) -> None:
    inv = load_inventory(default_inventory_path(), ssh_config_path=None)
    host = inv.hosts["localhost"]
    store = secret_store_for(config, interactive=False, env={})
    conn = connector_for(host, inv, store, config)
    assert isinstance(conn, LocalConnector)
    async with conn:
        result = await conn.exec("echo kx-$((20+22))")
    assert result.ok and result.stdout_text.strip() == "kx-42"


def test_secrets_can_be_asked_up_front_then_lookups_do_not_prompt(
    inv: Inventory, config: Config
) -> None:
    from kxconsole.inventory.connect import secret_requests_for

    requests = secret_requests_for(inv.hosts["node1"], inv)
    assert [(r.name, r.purpose, r.host, r.group) for r in requests] == [
        ("prod-login", "SSH password", "node1", "prod"),
        ("prod-sudo", "sudo password", "node1", "prod"),
    ]  # jump2 and jump1 need no secret to be jumped through
    assert [r.name for r in secret_requests_for(inv.hosts["jump1"], inv)] == ["jump-sudo"]
    prompt = PromptSecretProvider(lambda p: pytest.fail(f"asked: {p}"), scope="group")
    for request in requests:  # what an async console does with its modal
        assert not prompt.answered(request)
        prompt.answer(request, f"answer-{request.name}")
    store = SecretStore([prompt])
    cfg = connection_config_for(inv.hosts["node2"], inv, store, config)  # same group: no ask
    assert cfg.password == Secret("answer-prod-login")
    assert cfg.sudo_password == Secret("answer-prod-sudo")
