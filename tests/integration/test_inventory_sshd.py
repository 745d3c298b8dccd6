"""An inventory file, the secret store and connector_for against real OpenSSH sshd hosts:
the login password comes from a 0600 secrets file, the sudo password from a (scripted)
prompt asked once for the group, and a jump host from the inventory is used."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from kxconsole.config import load_config
from kxconsole.connector.base import ExecOptions
from kxconsole.errors import ConnectError
from kxconsole.inventory.connect import connector_for, secret_store_for
from kxconsole.inventory.loader import load_inventory
from kxconsole.secrets import install_log_redaction
from tests.harness.sshd import SshdHost, SshEnv, stop_hosts

pytestmark = pytest.mark.sshd


async def test_inventory_secrets_reach_a_real_sshd(
    ssh_env: SshEnv, sshd_fleet: Callable[..., list[SshdHost]], tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_redaction()
    h1, h2, jump = sshd_fleet(3)
    inventory = tmp_path / "lab.yaml"
    inventory.write_text(
        "hosts:\n"
        f"  lab1: {{address: {h1.address}, port: {h1.port}}}\n"
        f"  lab2: {{address: {h2.address}, port: {h2.port}, bastion: jump}}\n"
        f"  jump: {{address: {jump.address}, port: {jump.port}, user: {ssh_env.key_user},"
        f" private_key_path: {ssh_env.client_key_path}}}\n"
        "groups:\n"
        f"  lab: {{hosts: [lab1, lab2], user: {ssh_env.password_user},"
        " password_secret: lab-login, sudo_password_secret: lab-sudo}\n"
    )
    secrets_file = tmp_path / "secrets.yaml"
    secrets_file.write_text(f"lab-login: {ssh_env.password}\n")
    secrets_file.chmod(0o600)
    config = load_config({"known_hosts": str(ssh_env.known_hosts_path),
                          "secrets_file": str(secrets_file)}, env={"HOME": str(tmp_path)})
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return ssh_env.password

    store = secret_store_for(config, ask=ask, scope="group", env={})
    inv = load_inventory(inventory, ssh_config_path=None)
    with caplog.at_level(logging.DEBUG):
        for name in ("lab1", "lab2"):
            conn = connector_for(inv.hosts[name], inv, store, config)
            async with conn:
                result = await conn.exec("id -un", ExecOptions(timeout=30))
                root = await conn.exec("id -u", ExecOptions(sudo=True, timeout=30))
            assert result.ok and result.stdout_text.strip() == ssh_env.password_user
            assert root.ok and root.stdout_text.strip() == "0", root.stderr_text
    assert prompts == ["sudo password for group lab (secret lab-sudo)"]
    assert ssh_env.password not in caplog.text
    # lab2 is reached only through the jump host: without it, lab2 cannot be reached
    stop_hosts([jump])
    with pytest.raises(ConnectError):
        async with connector_for(inv.hosts["lab2"], inv, store, config) as conn:
            await conn.exec("true", ExecOptions(timeout=30))
    async with connector_for(inv.hosts["lab1"], inv, store, config) as conn:
        assert (await conn.exec("true", ExecOptions(timeout=30))).ok
