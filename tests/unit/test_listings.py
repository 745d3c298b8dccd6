"""Data-driven tests of the service and package listing parsers (one file per case)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from kxconsole.runner import listings
from kxconsole.runner.models import InitSystemType, PackageManagerType

CASES = sorted((Path(__file__).parents[1] / "data" / "listings").glob("*.json"))


def _parse(parser: str, inputs: list[str]) -> Any:
    if parser == "systemctl_show":
        return listings.parse_systemctl_show(inputs[0])
    parsed: list[Any]
    if parser == "systemd_units":
        parsed = listings.parse_systemd_units(inputs[0], inputs[1])
    elif parser == "service_status_all":
        parsed = listings.parse_service_status_all(inputs[0])
    elif parser == "initd_exit_codes":
        parsed = listings.parse_initd_exit_codes(inputs[0])
    elif parser == "packages":
        parsed = listings.parse_packages(inputs[0])
    else:
        raise AssertionError(f"unknown parser {parser!r} in a case file")
    return [dataclasses.asdict(x) for x in parsed]


def test_cases_exist() -> None:
    assert len(CASES) >= 8


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_listing_case(path: Path) -> None:
    case = json.loads(path.read_text())
    assert _parse(case["parser"], case["inputs"]) == case["expected"]


def test_parse_services_dispatches_by_init_system() -> None:
    units = listings.parse_services(
        InitSystemType.SYSTEMD,
        ["ssh.service loaded active running OpenBSD Secure Shell server\n",
         "ssh.service enabled enabled\n"],
    )
    assert units == [listings.ServiceUnit("ssh.service", "active", "running", "enabled",
                                          "OpenBSD Secure Shell server")]
    assert listings.parse_services(InitSystemType.SYSVINIT, [" [ + ]  cron\n"]) == [
        listings.ServiceUnit("cron", "running")
    ]
    assert listings.parse_services(InitSystemType.UNKNOWN, []) == []


def test_commands_per_family() -> None:
    assert listings.services_commands(InitSystemType.SYSTEMD) == [
        "systemctl list-units --type=service --all --no-legend --plain",
        "systemctl list-unit-files --type=service --no-legend",
    ]
    assert listings.services_commands(InitSystemType.SYSVINIT) == ["service --status-all"]
    assert listings.packages_command(PackageManagerType.APT).startswith("dpkg-query -W")
    assert listings.packages_command(PackageManagerType.DNF).startswith("rpm -qa")
    assert listings.packages_command(PackageManagerType.UNKNOWN) == ""


def test_follow_command_quotes_the_unit() -> None:
    cmd = listings.follow_command(InitSystemType.SYSTEMD, "a b;rm -rf /")
    assert cmd == "journalctl -f -n 100 -u 'a b;rm -rf /'"
    sysv = listings.follow_command(InitSystemType.SYSVINIT, "cron")
    assert "/var/log/cron.log" in sysv and "service cron status" in sysv
