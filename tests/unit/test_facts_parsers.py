"""Data-driven tests of the facts parsers: one JSON file per case under tests/data/facts/.

``os-release/*.json``: {"file", "text", "expect": {id, version_id, pretty_name, codename,
id_like}}. ``outputs/*.json``: {"parser", "output" (lines), "expect"} or {…, "error"} (a
substring of the ValueError message)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kxconsole.runner.parsers import network, os_release, system

DATA = Path(__file__).resolve().parents[1] / "data" / "facts"
OS_RELEASE_CASES = sorted((DATA / "os-release").glob("*.json"))
OUTPUT_CASES = sorted((DATA / "outputs").glob("*.json"))

PARSERS: dict[str, Callable[[str], Any]] = {
    name: getattr(module, name)
    for module in (network, os_release, system)
    for name in dir(module)
    if name.startswith("parse_")
}
OS_FILE_PARSERS = {
    "/etc/os-release": os_release.parse_os_release,
    "/usr/lib/os-release": os_release.parse_os_release,
    "/etc/system-release": os_release.parse_redhat_release,
    "/etc/redhat-release": os_release.parse_redhat_release,
    "/etc/lsb-release": os_release.parse_lsb_release,
}


def _plain(value: Any) -> Any:
    """Dataclasses and tuples → the JSON shapes the data files hold."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def test_every_os_release_case_is_there() -> None:
    # all 60 captured distributions were converted (see tests/data/facts/README.md)
    assert len(OS_RELEASE_CASES) == 60


@pytest.mark.parametrize("path", OS_RELEASE_CASES, ids=lambda p: p.stem)
def test_os_release(path: Path) -> None:
    case = json.loads(path.read_text())
    info = OS_FILE_PARSERS[case["file"]](case["text"])
    got = {key: getattr(info, key) for key in case["expect"]}
    assert got == case["expect"]
    assert info.arch == "" and info.kernel == ""  # filled from uname, not from this file


@pytest.mark.parametrize("path", OUTPUT_CASES, ids=lambda p: p.stem)
def test_output_parser(path: Path) -> None:
    case = json.loads(path.read_text())
    parser = PARSERS[case["parser"]]
    text = "\n".join(case["output"]) + "\n"
    if "error" in case:
        with pytest.raises(ValueError, match=case["error"]):
            parser(text)
    else:
        assert _plain(parser(text)) == case["expect"]


@pytest.mark.parametrize(
    "text",
    ["", "garbage without equals", "ID=\n", "# only a comment\n"],
)
def test_os_release_without_a_name_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match="neither ID nor NAME"):
        os_release.parse_os_release(text)


def test_os_release_survives_broken_quoting() -> None:
    info = os_release.parse_os_release('ID=debian\nPRETTY_NAME="Debian 12 (bookworm)\n')
    assert info.id == "debian" and info.pretty_name == "Debian 12 (bookworm)"


@pytest.mark.parametrize(
    ("firewalld", "ufw", "commands", "expect"),
    [
        (True, True, {"nft"}, "firewalld"),
        (False, True, {"nft", "iptables"}, "ufw"),
        (False, False, {"nft", "iptables"}, "nftables"),
        (False, False, {"iptables"}, "iptables"),
        (False, False, set(), "none"),
    ],
)
def test_detect_firewall(firewalld: bool, ufw: bool, commands: set[str], expect: str) -> None:
    assert system.detect_firewall(firewalld, ufw, frozenset(commands)) == expect
