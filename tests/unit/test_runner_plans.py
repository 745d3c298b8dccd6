"""Data-driven tests of the runner's plans: one YAML file per case under tests/data/plans/.

Each case names a host family (``facts``), the method's arguments (``args``), the output of
each probe (``probes``: ``stdout``, ``exit``, and optionally the exact ``cmd`` and ``sudo``
the probe must have), and either the expected ``commands`` / ``changed`` / ``sudo`` of the
plan, or the ``error`` class raised (``ValidationError`` before any probe, ``CommandError``
from the plan). No host is needed: the plans are pure functions of facts and probe output.
"""

from __future__ import annotations

import functools
import inspect
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kxconsole import errors
from kxconsole.runner import ops_archives, ops_files, ops_net, ops_packages, ops_services, ops_users
from kxconsole.runner.families import package_info_for, service_info_for
from kxconsole.runner.models import Facts, InitSystemType, OSInfo, PackageManagerType
from kxconsole.runner.ops_core import Operation, ProbeResult, Shell

DATA = Path(__file__).resolve().parents[1] / "data" / "plans"
CASES = sorted(DATA.glob("*/*.yaml"))


def _add_repository_op(facts: Facts, repo_config: str, source_path: str | None = None) -> Operation:
    """add_repository's plan: the definition written (0644, sudo) to its deterministic path."""
    dest = ops_packages.repository_path(facts, repo_config, source_path)
    return ops_files.write_file_op(repo_config, dest, "0644", sudo=True)


BUILDERS: dict[str, Callable[..., Operation]] = {
    "write_file": ops_files.write_file_op,
    "mkdirp": ops_files.mkdirp_op,
    "remove": ops_files.remove_op,
    "chmod": ops_files.chmod_op,
    "chown": ops_files.chown_op,
    "set_hostname": ops_net.set_hostname_op,
    "add_host_entry": ops_net.add_host_entry_op,
    "install_packages": ops_packages.install_packages_op,
    "remove_packages": ops_packages.remove_packages_op,
    "update_package_cache": ops_packages.update_package_cache_op,
    "add_repository": _add_repository_op,
    "start_service": functools.partial(ops_services.service_op, action="start"),
    "stop_service": functools.partial(ops_services.service_op, action="stop"),
    "restart_service": functools.partial(ops_services.service_op, action="restart"),
    "enable_service": functools.partial(ops_services.service_op, action="enable"),
    "disable_service": functools.partial(ops_services.service_op, action="disable"),
    "daemon_reload": ops_services.daemon_reload_op,
    "download": ops_archives.download_op,
    "extract": ops_archives.extract_op,
    "add_user": ops_users.add_user_op,
    "add_group": ops_users.add_group_op,
}


def assert_parses(cmd: str) -> None:
    """The command is valid POSIX sh (checked by dash/sh itself, without running it)."""
    proc = subprocess.run(["sh", "-n", "-c", cmd], capture_output=True, text=True)
    assert proc.returncode == 0, f"sh cannot parse {cmd!r}: {proc.stderr}"


def make_facts(spec: dict[str, Any]) -> Facts:
    os_id = spec.get("os_id", "")
    id_like = spec.get("id_like", [])
    return Facts(
        os=OSInfo(id=os_id, id_like=id_like),
        package_manager=package_info_for(
            PackageManagerType(spec.get("package_manager", "unknown"))
        ),
        init_system=service_info_for(
            InitSystemType(spec.get("init_system", "unknown")), os_id, id_like
        ),
    )


def build(method: str, facts: Facts, args: dict[str, Any]) -> Operation:
    builder = BUILDERS[method]
    params = inspect.signature(builder).parameters
    extra = {"facts": facts} if "facts" in params else {}
    if "hostnames" in args:
        args = {**args, "hostnames": tuple(args["hostnames"])}
    return builder(**extra, **args)


def test_every_mutating_method_has_cases() -> None:
    covered = {p.parent.name for p in CASES}
    assert covered == set(BUILDERS), set(BUILDERS) ^ covered


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_plan(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    method = path.parent.name
    facts = make_facts(case.get("facts", {}))
    expected_error = case.get("error")
    error_class: type[Exception] = getattr(errors, expected_error or "KxError")

    if expected_error == "ValidationError":
        with pytest.raises(errors.ValidationError):
            build(method, facts, case.get("args", {}))
        return

    op = build(method, facts, case.get("args", {}))
    probes = case.get("probes", {})
    assert set(op.probes) == set(probes), "probes named in the case differ from the plan's"
    results = {}
    for name, spec in probes.items():
        probe: Shell = op.probes[name]
        if "cmd" in spec:
            assert probe.cmd == spec["cmd"]
        if "sudo" in spec:
            assert probe.sudo == spec["sudo"]
        assert_parses(probe.cmd)
        results[name] = ProbeResult(spec.get("exit", 0), spec.get("stdout", ""))

    if expected_error:
        with pytest.raises(error_class):
            op.plan(results)
        return
    plan = op.plan(results)
    assert plan.commands == case["commands"]
    assert plan.changed == case["changed"]
    assert plan.message
    for step in plan.steps:
        if isinstance(step, Shell):
            assert_parses(step.cmd)
    if "sudo" in case:
        assert [s.sudo for s in plan.steps] == [case["sudo"]] * len(plan.steps)
