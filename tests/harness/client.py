"""The real OpenSSH client, for tests that check a server with something other than our own
connector."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.harness.sshd import SshEnv


def ssh_argv(
    env: SshEnv, address: str, port: int, user: str = "kxkey", key: Path | None = None
) -> list[str]:
    """``ssh`` with strict host key checking against the session's known_hosts, our key only,
    no agent, no user config; append the remote command."""
    return [
        "ssh",
        "-F",
        "/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        f"UserKnownHostsFile={env.known_hosts_path}",
        "-o",
        "IdentityAgent=none",
        "-i",
        str(key or env.client_key_path),
        "-p",
        str(port),
        f"{user}@{address}",
    ]


def run_ssh(
    env: SshEnv,
    address: str,
    port: int,
    command: str,
    *,
    user: str = "kxkey",
    timeout: float = 120,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [*ssh_argv(env, address, port, user), command],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and out.returncode != 0:
        raise AssertionError(
            f"ssh {user}@{address}:{port} {command!r} exited {out.returncode}: {out.stderr}"
        )
    return out
