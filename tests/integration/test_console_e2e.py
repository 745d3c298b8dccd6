"""The console against real OpenSSH servers on loopback: rows fill with the hosts' real facts,
and real failures (unknown host key, nothing listening) land on their rows."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from kxconsole.config import Config
from kxconsole.connector.base import Connector
from kxconsole.connector.ssh import SSHConnector
from kxconsole.inventory.model import Group, Host, Inventory
from kxconsole.tui.app import KxConsoleApp
from kxconsole.tui.widgets.fleet_table import FleetTable
from tests.harness import loopback
from tests.harness.sshd import SshdHost, SshEnv, config_for, connection_config
from tests.tui.console_fixtures import BUNDLED_THEMES, settle

pytestmark = pytest.mark.sshd


async def test_console_shows_real_hostnames_and_kernels(
    ssh_env: SshEnv, sshd_fleet: Callable[..., list[SshdHost]]
) -> None:
    hosts = sshd_fleet(4)
    good, unknown_key = hosts[:3], hosts[3]
    ssh_env.forget_known_hosts({(unknown_key.address, unknown_key.port)})
    silent = loopback.allocate(22)  # free: nothing listens there, so connects are refused
    by_name = {h.name: h for h in hosts}

    inventory = Inventory()
    names = [h.name for h in hosts] + ["silent"]
    inventory.groups["sshd"] = Group("sshd", hosts=names)
    for name in names:
        address = by_name[name].address if name in by_name else silent
        inventory.hosts[name] = Host(name, address=address, groups=["sshd"])

    def factory(host: Host) -> Connector:
        if host.name in by_name:
            return SSHConnector(config_for(by_name[host.name], ssh_env, timeout=10.0))
        return SSHConnector(connection_config("silent", silent, 22, ssh_env, "key", timeout=5.0))

    app = KxConsoleApp(inventory, connector_factory=factory,
                       config=Config(fanout=8, gather_timeout=60.0), theme_dirs=[BUNDLED_THEMES])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)  # bounded: every host has its own gather timeout
        table = app.screen.query_one(FleetTable)
        uname = os.uname()
        for h in good:
            row = app.fleet.rows[h.name]
            assert str(row.state) == "up", f"{h.name}: {row.reason}\n{h.log_tail()}"
            cells = table.get_row(h.name)
            assert str(cells[6]) == uname.release  # the kernel the host reports
            assert str(cells[4]).split(".")[0] == uname.nodename.split(".")[0]
        assert str(app.fleet.rows[unknown_key.name].state).startswith("host key")
        assert str(app.fleet.rows["silent"].state) == "unreachable"
        assert {e.host for e in app.errors} >= {unknown_key.name, "silent"}
