"""The few ``~/.ssh/config`` options an inventory host takes: HostName, User, Port,
IdentityFile and ProxyJump.

asyncssh has a full parser (``asyncssh.config.SSHClientConfig``) but it evaluates conditions
while it parses, so it re-reads the file per host: 1.9 s for 5,000 hosts on the reference
machine. This small parser reads the file once (with ``Include``) and matches ``Host``
patterns per host, as OpenSSH does: the first value found for an option wins. ``Match``
blocks are not evaluated (they are skipped); asyncssh still applies them at connect time.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

WANTED = {"hostname": "HostName", "user": "User", "port": "Port",
          "identityfile": "IdentityFile", "proxyjump": "ProxyJump"}
_KEYWORD = re.compile(r"^(\w+)(?:\s*=\s*|\s+)(.*)$")  # "Key value" or "Key=value"


@dataclass
class _Block:
    patterns: list[str]  # empty: applies to every host (options before any Host line)
    options: list[tuple[str, str]] = field(default_factory=list)
    is_match: bool = False

    def matches(self, host: str) -> bool:
        if self.is_match:
            return False
        if not self.patterns:
            return True
        hit = False
        for pat in self.patterns:
            negated = pat.startswith("!")
            if fnmatch.fnmatchcase(host, pat.lstrip("!")):
                if negated:
                    return False
                hit = True
        return hit


class SSHConfig:
    """One parsed ssh_config file; :meth:`lookup` gives the options that apply to a host."""

    def __init__(self, blocks: list[_Block] | None = None) -> None:
        self._blocks = blocks or []
        self._blocks_with_options = [b for b in self._blocks if b.options]
        self._cache: dict[str, dict[str, str]] = {}

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None) -> SSHConfig:
        """Read ``path``; a missing or unreadable file is an empty config."""
        blocks: list[_Block] = [_Block([])]
        if path is not None:
            _parse(Path(path), blocks, depth=0)
        return cls(blocks)

    def lookup(self, host: str) -> dict[str, str]:
        """{"HostName": ..., "User": ..., "Port": ..., "IdentityFile": ..., "ProxyJump": ...}
        for the options set for ``host`` (first value wins, tokens %h %% expanded)."""
        if not self._blocks_with_options:
            return {}
        if host in self._cache:
            return self._cache[host]
        found: dict[str, str] = {}
        for block in self._blocks_with_options:
            if not block.matches(host):
                continue
            for key, value in block.options:
                name = WANTED[key]
                if name not in found:
                    found[name] = value.replace("%h", host).replace("%%", "%")
        if "IdentityFile" in found:
            found["IdentityFile"] = os.path.expanduser(found["IdentityFile"])
        if found.get("ProxyJump", "").lower() == "none":
            del found["ProxyJump"]
        elif "ProxyJump" in found:
            found["ProxyJump"] = found["ProxyJump"].split(",")[0]  # first hop
        self._cache[host] = found
        return found


def default_ssh_config_path() -> Path:
    return Path(os.path.expanduser("~")) / ".ssh" / "config"


def _parse(path: Path, blocks: list[_Block], depth: int) -> None:
    if depth > 8:  # Include loops
        return
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _KEYWORD.match(line)
        if m is None:
            continue
        key, rest = m.group(1).lower(), m.group(2)
        try:
            args = shlex.split(rest, comments=True)
        except ValueError:
            continue
        if key == "host":
            blocks.append(_Block(args))
        elif key == "match":
            blocks.append(_Block([], is_match=True))
        elif key == "include":
            for pattern in args:
                full = os.path.expanduser(pattern)
                if not os.path.isabs(full):
                    full = str(Path(os.path.expanduser("~")) / ".ssh" / full)
                for inc in sorted(glob.glob(full)):
                    _parse(Path(inc), blocks, depth + 1)
        elif key in WANTED and args:
            blocks[-1].options.append((key, args[0]))
