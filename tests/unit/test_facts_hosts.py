"""Whole-script cases: the full tagged output of FACTS_SCRIPT on one kind of host →
``parse_facts`` → the expected fields, and exactly the expected ``errors`` keys.

One JSON file per host under tests/data/facts/hosts/: {"output": [lines], "expect":
{"dotted.field": value, "interface_names": [...]}, "errors": [field, ...]}."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kxconsole.runner import FACTS_SCRIPT
from kxconsole.runner.facts import parse_facts, split_sections
from kxconsole.runner.models import Facts

HOSTS = sorted((Path(__file__).resolve().parents[1] / "data" / "facts" / "hosts").glob("*.json"))


def _field(facts: Facts, dotted: str) -> Any:
    if dotted == "interface_names":
        return [interface.name for interface in facts.interfaces]
    if dotted == "interfaces":
        return [dataclasses.asdict(interface) for interface in facts.interfaces]
    value: Any = facts
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def test_host_cases_exist() -> None:
    assert len(HOSTS) >= 7


@pytest.mark.parametrize("path", HOSTS, ids=lambda p: p.stem)
def test_host(path: Path) -> None:
    case = json.loads(path.read_text())
    facts = parse_facts("\n".join(case["output"]) + "\n")
    got = {key: _field(facts, key) for key in case["expect"]}
    assert got == case["expect"]
    assert sorted(facts.errors) == sorted(case["errors"]), facts.errors
    for why in facts.errors.values():
        assert why.strip()  # every error says why
    assert facts.kernel == facts.os.kernel


@pytest.mark.parametrize("path", HOSTS, ids=lambda p: p.stem)
def test_host_output_cut_anywhere_never_raises(path: Path) -> None:
    """Facts are partial, not all-or-nothing: any prefix of a real output parses."""
    output = "\n".join(json.loads(path.read_text())["output"]) + "\n"
    for end in range(0, len(output), max(1, len(output) // 40)):
        facts = parse_facts(output[:end])
        assert isinstance(facts, Facts)
        assert facts.errors  # something is always missing from a cut output


def test_empty_output_is_all_errors() -> None:
    facts = parse_facts("")
    assert {"os", "kernel", "hostname", "total_memory", "total_cpu"} <= set(facts.errors)
    assert all("cut short" in why for why in facts.errors.values())


def test_timeout_is_named_in_the_error() -> None:
    facts = parse_facts("@@kx:uname\n@@kx:rc 124\n@@kx:end\n")
    assert "timed out" in facts.errors["kernel"]


def test_split_sections_reads_exit_status_and_keeps_stray_lines_out() -> None:
    sections = split_sections("noise before\n@@kx:a\nx\ny\n@@kx:rc 3\n@@kx:b\n@@kx:end\n")
    assert list(sections) == ["a", "b", "end"]
    assert sections["a"].lines == ["x", "y"] and sections["a"].rc == 3
    assert sections["b"].lines == [] and sections["b"].rc is None


def test_script_is_posix_sh_text() -> None:
    # no bash-isms that dash rejects; the real shells are exercised in tests/integration
    for bashism in ("[[", "function ", "local ", "$'", "<<<", "source "):
        assert bashism not in FACTS_SCRIPT
    assert "python" not in FACTS_SCRIPT


_SECTION_NAMES = sorted(
    {
        line.split(":", 1)[1]
        for path in HOSTS
        for line in json.loads(path.read_text())["output"]
        if line.startswith("@@kx:") and not line.startswith("@@kx:rc")
    }
)
_LINES = st.one_of(
    st.sampled_from([f"@@kx:{name}" for name in _SECTION_NAMES]),
    st.sampled_from(["@@kx:rc 0", "@@kx:rc 124", "@@kx:rc x", "@@kx:", "@@kx:rc"]),
    st.text(max_size=40),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINES, max_size=40))
def test_any_output_parses_without_raising(lines: list[str]) -> None:
    facts = parse_facts("\n".join(lines))
    assert isinstance(facts, Facts)
    assert all(isinstance(why, str) and why for why in facts.errors.values())
