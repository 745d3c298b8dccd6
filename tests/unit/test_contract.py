"""The public names and runner signatures of runner-contract.md exist as written."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from pathlib import Path
from typing import Any

import pytest
import yaml

from kxconsole.connector import ConnectionConfig, ExecOptions, ExecResult
from kxconsole.runner import Runner

CONTRACT: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[1] / "data" / "contract" / "runner-contract.yaml").read_text()
)


@pytest.mark.parametrize("module", sorted(CONTRACT["imports"]))
def test_public_names_import(module: str) -> None:
    mod = importlib.import_module(module)
    missing = [n for n in CONTRACT["imports"][module] if not hasattr(mod, n)]
    assert not missing, f"{module} lacks {missing}"


@pytest.mark.parametrize(
    ("cls", "key"),
    [(ConnectionConfig, "connection_config"), (ExecOptions, "exec_options")],
)
def test_dataclass_fields(cls: type, key: str) -> None:
    fields = {f.name for f in dataclasses.fields(cls)}
    assert set(CONTRACT[key]) <= fields


def test_exec_result_members() -> None:
    result = ExecResult(stdout=b"", stderr=b"", exit_code=3, duration=0.0)
    for name in CONTRACT["exec_result"]:
        assert hasattr(result, name)
    assert result.ok is False


@pytest.mark.parametrize("method", sorted(CONTRACT["runner"]))
def test_runner_method_signature(method: str) -> None:
    fn = getattr(Runner, method)
    assert inspect.iscoroutinefunction(fn), f"Runner.{method} must be async"
    params = list(inspect.signature(fn).parameters.values())[1:]  # drop self
    names = [("*" + p.name) if p.kind is p.VAR_POSITIONAL else p.name for p in params]
    expected = CONTRACT["runner"][method]
    assert names[: len(expected)] == expected, f"Runner.{method}{names} vs contract {expected}"
    for extra in params[len(expected):]:
        # anything beyond the contract must be optional, so contract callers keep working
        assert extra.default is not inspect.Parameter.empty or extra.kind in (
            extra.VAR_KEYWORD,
        ), f"Runner.{method}: extra parameter {extra.name} has no default"
