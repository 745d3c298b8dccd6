"""The console asks for a login password nobody gave (not in the environment, not in a secrets
file), once for the group, and both real OpenSSH hosts of the group come up with it."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kxconsole.config import load_config
from kxconsole.secrets import EnvSecretProvider, install_log_redaction
from kxconsole.tui.app import build_console
from kxconsole.tui.screens.secret_prompt import SecretPromptScreen
from kxconsole.tui.widgets.fleet_table import FleetTable
from tests.harness.sshd import SshdHost, SshEnv
from tests.tui.console_fixtures import settle

pytestmark = pytest.mark.sshd

WAIT_STEPS = 600  # x 0.05 s


async def test_console_asks_the_group_login_password_once(
    ssh_env: SshEnv, sshd_fleet: Callable[..., list[SshdHost]], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_redaction()
    monkeypatch.delenv(EnvSecretProvider.variable_for("lab-login"), raising=False)
    h1, h2 = sshd_fleet(2)
    inventory = tmp_path / "lab.yaml"
    inventory.write_text(
        "hosts:\n"
        f"  lab1: {{address: {h1.address}, port: {h1.port}}}\n"
        f"  lab2: {{address: {h2.address}, port: {h2.port}}}\n"
        "groups:\n"
        f"  lab: {{hosts: [lab1, lab2], user: {ssh_env.password_user},"
        " password_secret: lab-login}\n"
    )
    config = load_config({"inventories": [str(inventory)], "theme": "kx-dark",
                          "known_hosts": str(ssh_env.known_hosts_path),
                          "gather_timeout": 60.0}, env={"HOME": str(tmp_path)})
    app = build_console(config)
    questions: list[str] = []
    with caplog.at_level(logging.DEBUG):
        async with app.run_test(size=(160, 45)) as pilot:
            for _ in range(WAIT_STEPS):
                if isinstance(app.screen, SecretPromptScreen):
                    break
                await pilot.pause(0.05)
            screen = app.screen
            assert isinstance(screen, SecretPromptScreen), "the console did not ask"
            questions.append(screen.question)
            await pilot.pause()
            # the harness password has characters pilot.press cannot type as keys
            app.screen.query_one("Input").value = ssh_env.password  # type: ignore[attr-defined]
            await pilot.press("enter")
            await settle(pilot, app)
            assert not isinstance(app.screen, SecretPromptScreen), "asked twice"
            table = app.screen.query_one(FleetTable)
            for name, host in (("lab1", h1), ("lab2", h2)):
                row = app.fleet.rows[name]
                assert str(row.state) == "up", f"{name}: {row.reason}\n{host.log_tail()}"
                hostname = str(table.get_row(name)[4])
                assert hostname.split(".")[0] == os.uname().nodename.split(".")[0]
            assert ssh_env.password not in app.export_screenshot()
            assert not app.errors
    assert questions == ["SSH password for group lab (2 hosts)"]
    assert ssh_env.password not in caplog.text
