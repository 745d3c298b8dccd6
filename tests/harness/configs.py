"""ConnectionConfigs for the harnesses' test users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kxconsole.connector.base import ConnectionConfig

if TYPE_CHECKING:
    from tests.harness.sshd import SshEnv

USERS = {
    "key": "key_user",
    "password": "password_user",
    "nosudo": "nosudo_user",
    "tty": "tty_user",
}


def connection_config(
    name: str, address: str, port: int, env: SshEnv, user: str, **overrides: Any
) -> ConnectionConfig:
    if user not in USERS:
        raise ValueError(f"user must be one of {sorted(USERS)}, not {user!r}")
    kwargs: dict[str, Any] = {
        "host": address,
        "port": port,
        "user": getattr(env, USERS[user]),
        "known_hosts": str(env.known_hosts_path),
        "name": name,
        "use_agent": False,  # the machine's own agent must not change what a test proves
    }
    if user in ("key", "tty"):
        kwargs["private_key_path"] = str(env.client_key_path)
    if user in ("password", "nosudo", "tty"):
        kwargs["password"] = env.password
    kwargs.update(overrides)
    return ConnectionConfig(**kwargs)
