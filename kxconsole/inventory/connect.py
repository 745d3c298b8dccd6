"""From an inventory host to a connector: the one path by which secrets reach transport.

Passwords, sudo passwords and key texts are looked up by name (the host's ``*_secret``
fields): first among the inventory's inline values, then in the :class:`SecretStore`
(environment, secrets file, prompt). They travel as :class:`Secret` inside the
:class:`ConnectionConfig` and are revealed only by the connector.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kxconsole.errors import InventoryError
from kxconsole.inventory.model import Host, Inventory
from kxconsole.secrets import (
    EnvSecretProvider,
    FileSecretProvider,
    PromptScope,
    PromptSecretProvider,
    Secret,
    SecretProvider,
    SecretRequest,
    SecretStore,
)

if TYPE_CHECKING:
    from kxconsole.config import Config
    from kxconsole.connector.base import ConnectionConfig, Connector

# a sudo password nobody named is still looked up (not prompted) under this name, so
# KXCONSOLE_SECRET_SUDO_PASSWORD or a secrets-file entry serves headless runs
DEFAULT_SUDO_SECRET = "sudo_password"


def secret_store_for(
    config: Config,
    *,
    ask: Callable[[str], str] | None = None,
    interactive: bool = True,
    scope: PromptScope = "group",
    env: Mapping[str, str] | None = None,
) -> SecretStore:
    """The usual chain: ``KXCONSOLE_SECRET_*``, then ``config.secrets_file``, then (when
    ``interactive``) a prompt through ``ask`` (default: getpass on the terminal)."""
    providers: list[SecretProvider] = [EnvSecretProvider(env)]
    if config.secrets_file:
        providers.append(FileSecretProvider(config.secrets_file))
    if interactive:
        providers.append(PromptSecretProvider(ask, scope=scope))
    return SecretStore(providers)


def connection_config_for(
    host: Host, inventory: Inventory, secrets: SecretStore, config: Config
) -> ConnectionConfig:
    """Everything the connector needs for ``host``; jump hosts resolved recursively."""
    return _config_for(host, inventory, secrets, config, seen=(), jump=False)


def secret_requests_for(host: Host, inventory: Inventory) -> list[SecretRequest]:
    """The named secrets connecting to ``host`` may ask for (its jump hosts' included), minus
    those written inline in the inventory. An async caller (the console) can ask for the
    missing ones up front and hand the answers to ``PromptSecretProvider.answer``."""
    requests: list[SecretRequest] = []
    current: Host | None = host
    seen: set[str] = set()
    jump = False
    while current is not None and current.name not in seen:
        seen.add(current.name)
        group = current.groups[0] if current.groups else None
        wanted = [(current.password_secret, "SSH password"),
                  (current.private_key_secret, "SSH private key")]
        if not jump:
            wanted.append((current.sudo_password_secret, "sudo password"))
        requests += [SecretRequest(name, purpose, current.name, group)
                     for name, purpose in wanted
                     if name is not None and name not in inventory.secrets]
        current = inventory.hosts.get(current.bastion) if current.bastion else None
        jump = True
    return requests


def connector_for(
    host: Host, inventory: Inventory, secrets: SecretStore, config: Config
) -> Connector:
    """A LocalConnector, SSHConnector or FakeConnector (by ``host.connector``), configured."""
    cfg = connection_config_for(host, inventory, secrets, config)
    if host.connector == "local":
        from kxconsole.connector.local import LocalConnector

        return LocalConnector(cfg)
    if host.connector == "ssh":
        from kxconsole.connector.ssh import SSHConnector

        return SSHConnector(cfg)
    try:
        fake: Any = importlib.import_module("kxconsole.connector.fake")
    except ImportError:
        raise InventoryError(
            f"{host.source}: host {host.name!r} uses the fake connector, which this build "
            "does not include; use connector: ssh or local", path=host.source) from None
    connector: Connector = fake.FakeConnector(cfg)
    return connector


def _config_for(
    host: Host, inventory: Inventory, secrets: SecretStore, config: Config,
    seen: tuple[str, ...], jump: bool,
) -> ConnectionConfig:
    from kxconsole.connector.base import ConnectionConfig

    group = host.groups[0] if host.groups else None

    def find(name: str | None, purpose: str, required: bool = True,
             interactive: bool | None = None) -> Secret | None:
        if name is None:
            return None
        if name in inventory.secrets:
            return inventory.secrets[name]
        asks = required if interactive is None else interactive
        request = SecretRequest(name, purpose, host.name, group, interactive=asks)
        return secrets.require(request) if required else secrets.lookup(request)

    sudo = None
    if not jump:  # nothing runs on a jump host, so it needs no sudo password
        # looked up, not required: without one, sudo -n fails later with a SudoError that
        # says so, and commands without sudo still work
        sudo = find(host.sudo_password_secret, "sudo password", required=False,
                    interactive=True)
        if sudo is None:
            sudo = find(DEFAULT_SUDO_SECRET, "sudo password", required=False)
    cfg = ConnectionConfig(
        host="localhost" if host.connector == "local" and not host.address else host.target,
        port=host.port,
        user=host.user,
        password=find(host.password_secret, "SSH password"),
        private_key=find(host.private_key_secret, "SSH private key"),
        private_key_path=os.path.expanduser(host.private_key_path)
        if host.private_key_path else None,
        timeout=config.connect_timeout,
        known_hosts=config.known_hosts,
        host_key_policy=config.host_key_policy,
        sudo_password=sudo,
        name=host.name,
    )
    if host.max_sessions is not None:
        cfg.max_sessions = host.max_sessions
    if host.bastion:
        cfg.bastion = _bastion(host, inventory, secrets, config, (*seen, host.name))
    return cfg


def _bastion(
    host: Host, inventory: Inventory, secrets: SecretStore, config: Config,
    seen: tuple[str, ...],
) -> ConnectionConfig:
    from kxconsole.connector.base import ConnectionConfig

    assert host.bastion is not None
    jump = inventory.hosts.get(host.bastion)
    if jump is not None:
        if jump.name in seen:
            chain = " → ".join((*seen, jump.name))
            raise InventoryError(f"{host.source}: jump host loop {chain}; give one of these "
                                 "hosts no bastion", path=host.source)
        return _config_for(jump, inventory, secrets, config, seen, jump=True)
    user, _, rest = host.bastion.rpartition("@")
    address, port = rest, 22
    if rest.startswith("["):  # [v6::addr]:port
        address, _, tail = rest[1:].partition("]")
        port_text = tail.lstrip(":")
    elif rest.count(":") == 1:
        address, _, port_text = rest.partition(":")
    else:
        port_text = ""
    if port_text:
        if not port_text.isdigit():
            raise InventoryError(f"{host.source}: bastion {host.bastion!r} has a bad port; "
                                 "write user@host:port or the name of an inventory host",
                                 path=host.source)
        port = int(port_text)
    return ConnectionConfig(
        host=address, port=port, user=user or None, timeout=config.connect_timeout,
        known_hosts=config.known_hosts, host_key_policy=config.host_key_policy,
        name=host.bastion,
    )
