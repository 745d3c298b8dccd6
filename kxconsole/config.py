"""Configuration: defaults < config file < environment (``KXCONSOLE_*``) < command-line flags.

The file is ``$XDG_CONFIG_HOME/kxconsole/config.yaml`` (default ``~/.config/kxconsole/``), or
``KXCONSOLE_CONFIG``, or ``--config FILE``. Its keys are the :class:`Config` field names; each
environment variable is ``KXCONSOLE_`` + the field name in capitals (``KXCONSOLE_FANOUT=50``;
``KXCONSOLE_INVENTORIES`` is ``:``-separated). :attr:`Config.sources` says where every value
came from ("default", "file /path:line", "env KXCONSOLE_FANOUT", "flag"), which
``kxconsole config`` shows. A bad key or value is a :class:`ConfigError` naming file:line.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from kxconsole.errors import ConfigError
from kxconsole.inventory.yamlsrc import MarkedDict, MarkedLoader, did_you_mean
from kxconsole.secrets import MASK, Secret

HostKeyPolicy = Literal["strict", "accept-new"]
ENV_PREFIX = "KXCONSOLE_"


@dataclass
class Config:
    inventories: list[str] = field(default_factory=list)  # load_config fills the bundled one
    theme: str = "kx-dark"
    keymap: str | None = None  # default <config dir>/keymap.yaml when it exists
    fanout: int = 20  # hosts acted on at once
    gather_timeout: float = 30.0  # seconds for one host's facts
    connect_timeout: float = 10.0  # seconds for connect + handshake
    max_log_lines: int = 10000  # per log panel; older lines are dropped
    known_hosts: str | None = None  # None: ~/.ssh/known_hosts
    host_key_policy: HostKeyPolicy = "strict"
    read_only: bool = False  # refuse every mutating action
    audit_log: str = ""  # default $XDG_STATE_HOME/kxconsole/audit.jsonl
    secrets_file: str | None = None  # a 0600 "name: value" file
    # where each value came from: "default", "file PATH:LINE", "env KXCONSOLE_X", "flag"
    sources: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    path: str | None = field(default=None, compare=False)  # the config file read, if any

    def effective(self) -> list[tuple[str, Any, str]]:
        """(field, value, source) for every setting, secrets masked; what ``kxconsole config``
        prints."""
        return [(name, _masked(getattr(self, name)), self.sources.get(name, "default"))
                for name in FIELDS]


FIELDS = [f.name for f in dataclasses.fields(Config) if f.name not in ("sources", "path")]
_PATH_FIELDS = ("keymap", "known_hosts", "audit_log", "secrets_file")


def _masked(value: Any) -> Any:
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def config_dir(env: Mapping[str, str] = os.environ) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(_home(env)) / ".config")
    return Path(base) / "kxconsole"


def state_dir(env: Mapping[str, str] = os.environ) -> Path:
    base = env.get("XDG_STATE_HOME") or str(Path(_home(env)) / ".local" / "state")
    return Path(base) / "kxconsole"


def _home(env: Mapping[str, str]) -> str:
    return env.get("HOME") or os.path.expanduser("~")


def default_config_path(env: Mapping[str, str] = os.environ) -> Path:
    return config_dir(env) / "config.yaml"


def load_config(
    argv_overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] = os.environ,
    path: str | None = None,
) -> Config:
    """Build the effective :class:`Config`. ``argv_overrides``: field → value from flags
    (None values are ignored); ``path``: the config file (else ``KXCONSOLE_CONFIG``, else the
    XDG default, which may be absent)."""
    from kxconsole.inventory.loader import default_inventory_path

    cfg = Config(sources={name: "default" for name in FIELDS})
    explicit = path or env.get(f"{ENV_PREFIX}CONFIG")
    file_path = Path(explicit) if explicit else default_config_path(env)
    if explicit and not file_path.is_file():
        raise ConfigError(f"{file_path}: config file not found; create it or drop --config/"
                          f"{ENV_PREFIX}CONFIG", path=str(file_path))
    if file_path.is_file():
        cfg.path = str(file_path)
        _apply_file(cfg, file_path)
    for name in FIELDS:
        var = ENV_PREFIX + name.upper()
        if env.get(var) not in (None, ""):
            _set(cfg, name, _from_env(name, env[var]), f"env {var}", None)
    for name, value in (argv_overrides or {}).items():
        if name not in FIELDS:
            raise ConfigError(f"unknown setting {name!r} passed as a flag; "
                              f"{did_you_mean(name, FIELDS) or 'see kxconsole config'}")
        if value is not None:
            _set(cfg, name, value, "flag", None)
    if not cfg.inventories:
        cfg.inventories = [str(default_inventory_path())]
        cfg.sources["inventories"] = "default"
    if cfg.keymap is None and (config_dir(env) / "keymap.yaml").is_file():
        cfg.keymap = str(config_dir(env) / "keymap.yaml")
    if not cfg.audit_log:
        cfg.audit_log = str(state_dir(env) / "audit.jsonl")
    return cfg


def _apply_file(cfg: Config, file_path: Path) -> None:
    where = str(file_path)
    try:
        data = yaml.load(file_path.read_text(encoding="utf-8"), Loader=MarkedLoader)
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read the config file ({exc.strerror}); check its "
                          "permissions", path=where) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(f"{where}:{line}: YAML syntax error: {exc.problem}; check the "
                          "indentation and quotes around this line", path=where,
                          line=line) from None
    if data is None:
        return
    if not isinstance(data, MarkedDict):
        raise ConfigError(f"{where}:1: the config file must be a mapping of settings; write "
                          "one 'name: value' per line", path=where, line=1)
    for key, value in data.items():
        line = data.line_of(key)
        if key not in FIELDS:
            hint = did_you_mean(key, FIELDS) or "known settings: " + ", ".join(FIELDS)
            raise ConfigError(f"{where}:{line}: unknown setting {key!r}; {hint}", path=where,
                              line=line)
        if key in (*_PATH_FIELDS, "inventories") and value is not None:
            value = _relative_to(file_path.parent, value, key, where, line)
        _set(cfg, key, value, f"file {where}:{line}", (where, line))


def _relative_to(base: Path, value: Any, key: str, where: str, line: int) -> Any:
    def one(v: Any) -> Any:
        if not isinstance(v, str):
            return v  # _set reports the type error
        p = Path(os.path.expanduser(v))
        return str(p if p.is_absolute() else base / p)

    if key == "inventories" and isinstance(value, list):
        return [one(v) for v in value]
    return one(value)


def _from_env(name: str, text: str) -> Any:
    kind = _KINDS[name]
    if kind == "list":
        return [p for p in text.split(os.pathsep) if p]
    if kind == "bool":
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
    return text  # numbers are checked (and converted) by _set


_KINDS = {"inventories": "list", "theme": "str", "keymap": "str?", "fanout": "int",
          "gather_timeout": "float", "connect_timeout": "float", "max_log_lines": "int",
          "known_hosts": "str?", "host_key_policy": "policy", "read_only": "bool",
          "audit_log": "str", "secrets_file": "str?"}
_MINIMUM = {"fanout": 1, "max_log_lines": 100, "gather_timeout": 0.1, "connect_timeout": 0.1}


def _set(cfg: Config, name: str, value: Any, source: str, at: tuple[str, int] | None) -> None:
    setattr(cfg, name, _check(name, value, source, at))
    cfg.sources[name] = source


def _check(name: str, value: Any, source: str, at: tuple[str, int] | None) -> Any:
    kind = _KINDS[name]

    def bad(expected: str, example: str) -> ConfigError:
        where = f"{at[0]}:{at[1]}: " if at else f"{source}: "
        shown = MASK if isinstance(value, Secret) else repr(value)
        return ConfigError(f"{where}{name} must be {expected}, not {shown}; write e.g. "
                           f"{example}", path=at[0] if at else None, line=at[1] if at else None)

    if kind == "list":
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of file paths", f"{name}: [~/fleet.yaml]")
        return [os.path.expanduser(v) for v in value]
    if kind in ("str", "str?"):
        if value is None and kind == "str?":
            return None
        if not isinstance(value, str) or not value:
            raise bad("a non-empty string", f"{name}: VALUE")
        return os.path.expanduser(value) if name in _PATH_FIELDS else value
    if kind == "policy":
        if value not in ("strict", "accept-new"):
            raise bad("strict or accept-new", "host_key_policy: strict")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false", f"{name}: true")
        return value
    number: float | int
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(value) if kind == "int" else float(value)
        if kind == "int" and isinstance(value, float) and value != int(value):
            raise ValueError
    except (TypeError, ValueError):
        raise bad("a whole number" if kind == "int" else "a number of seconds",
                  f"{name}: {_MINIMUM[name] if kind == 'int' else 10}") from None
    if number < _MINIMUM[name]:
        raise bad(f"at least {_MINIMUM[name]}", f"{name}: {getattr(Config(), name)}")
    return number
