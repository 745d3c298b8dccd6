"""Shared fixtures (the real-server harnesses live in tests/harness/) and a closing summary
that shows the real-server tiers ran: a skipped or missing tier must be visible, and fails."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

pytest_plugins = ["tests.harness.sshd", "tests.harness.hosts"]

TIERS = {
    "sshd": "real OpenSSH sshd on loopback",
    "hosts": "isolated hosts with their own root filesystem",
}
_outcomes: dict[str, Counter[str]] = {tier: Counter() for tier in TIERS}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        for tier in TIERS:
            if tier in report.keywords:
                _outcomes[tier][report.outcome] += 1


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    terminalreporter.section("real-server tiers")
    for tier, what in TIERS.items():
        counts = _outcomes[tier]
        shown = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "none run"
        terminalreporter.write_line(f"{tier:6} ({what}): {shown}")
        if counts["skipped"]:
            terminalreporter.write_line(
                f"{tier}: skipped tests fail the run (install what .ci/run installs)", red=True
            )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # a tier's test that was skipped is a failure of the run, never a silent pass
    skipped = sum(_outcomes[tier]["skipped"] for tier in TIERS)
    if skipped and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
