"""Configuration precedence (flags > env > file > defaults), sources, and file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kxconsole.config import FIELDS, Config, load_config
from kxconsole.errors import ConfigError


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
            "XDG_STATE_HOME": str(tmp_path / "state")}


def write_config(env: dict[str, str], text: str) -> Path:
    path = Path(env["XDG_CONFIG_HOME"]) / "kxconsole" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults(home: dict[str, str]) -> None:
    cfg = load_config({}, env=home)
    assert (cfg.theme, cfg.fanout, cfg.gather_timeout, cfg.connect_timeout) == (
        "kx-dark", 20, 30.0, 10.0)
    assert (cfg.max_log_lines, cfg.host_key_policy, cfg.read_only) == (10000, "strict", False)
    assert cfg.keymap is None and cfg.known_hosts is None and cfg.secrets_file is None
    assert cfg.audit_log == f"{home['XDG_STATE_HOME']}/kxconsole/audit.jsonl"
    assert cfg.inventories[0].endswith("inventories/local.yaml")
    assert set(cfg.sources.values()) == {"default"} and set(cfg.sources) == set(FIELDS)
    assert cfg.path is None


def test_flags_beat_env_beat_file_beat_defaults(home: dict[str, str]) -> None:
    path = write_config(home, "theme: from-file\nfanout: 5\nconnect_timeout: 3\n"
                              "read_only: true\n")
    env = {**home, "KXCONSOLE_FANOUT": "7", "KXCONSOLE_THEME": "from-env"}
    cfg = load_config({"theme": "from-flag", "host_key_policy": None}, env=env)
    assert (cfg.theme, cfg.fanout, cfg.connect_timeout, cfg.read_only) == (
        "from-flag", 7, 3.0, True)
    assert cfg.sources["theme"] == "flag"
    assert cfg.sources["fanout"] == "env KXCONSOLE_FANOUT"
    assert cfg.sources["connect_timeout"] == f"file {path}:3"
    assert cfg.sources["read_only"] == f"file {path}:4"
    assert cfg.sources["host_key_policy"] == "default"  # a None flag is "not given"
    assert cfg.path == str(path)


def test_env_lists_and_booleans(home: dict[str, str], tmp_path: Path) -> None:
    env = {**home, "KXCONSOLE_INVENTORIES": f"{tmp_path}/a.yaml:{tmp_path}/b.ini",
           "KXCONSOLE_READ_ONLY": "yes", "KXCONSOLE_HOST_KEY_POLICY": "accept-new"}
    cfg = load_config({}, env=env)
    assert cfg.inventories == [f"{tmp_path}/a.yaml", f"{tmp_path}/b.ini"]
    assert cfg.read_only is True and cfg.host_key_policy == "accept-new"


def test_file_paths_are_relative_to_the_config_file(home: dict[str, str]) -> None:
    path = write_config(home, "inventories: [fleet.yaml, /abs/other.yaml]\n"
                              "secrets_file: secrets.yaml\n")
    cfg = load_config({}, env=home)
    assert cfg.inventories == [str(path.parent / "fleet.yaml"), "/abs/other.yaml"]
    assert cfg.secrets_file == str(path.parent / "secrets.yaml")


def test_keymap_defaults_to_the_config_dir_file_when_present(home: dict[str, str]) -> None:
    keymap = Path(home["XDG_CONFIG_HOME"]) / "kxconsole" / "keymap.yaml"
    keymap.parent.mkdir(parents=True)
    keymap.write_text("{}\n")
    assert load_config({}, env=home).keymap == str(keymap)


def test_explicit_path_and_kxconsole_config(home: dict[str, str], tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("fanout: 3\n")
    assert load_config({}, env=home, path=str(other)).fanout == 3
    assert load_config({}, env={**home, "KXCONSOLE_CONFIG": str(other)}).fanout == 3
    with pytest.raises(ConfigError, match="config file not found"):
        load_config({}, env=home, path=str(tmp_path / "missing.yaml"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fanuot: 3\n", "{path}:1: unknown setting 'fanuot'; did you mean 'fanout'?"),
        ("theme: x\nfanout: many\n",
         "{path}:2: fanout must be a whole number, not 'many'; write e.g. fanout: 1"),
        ("fanout: 0\n", "{path}:1: fanout must be at least 1, not 0; write e.g. fanout: 20"),
        ("read_only: maybe\n",
         "{path}:1: read_only must be true or false, not 'maybe'; write e.g. read_only: true"),
        ("host_key_policy: off\n",
         "{path}:1: host_key_policy must be strict or accept-new, not False; "
         "write e.g. host_key_policy: strict"),
        ("theme: [a\n", "{path}:2: YAML syntax error: did not find expected ',' or ']'; "
         "check the indentation and quotes around this line"),
        ("- a\n", "{path}:1: the config file must be a mapping of settings; "
         "write one 'name: value' per line"),
    ],
)
def test_bad_config_file(home: dict[str, str], text: str, message: str) -> None:
    path = write_config(home, text)
    with pytest.raises(ConfigError) as info:
        load_config({}, env=home)
    assert str(info.value) == message.replace("{path}", str(path))
    assert info.value.path == str(path)


def test_bad_env_value_names_the_variable(home: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as info:
        load_config({}, env={**home, "KXCONSOLE_GATHER_TIMEOUT": "soon"})
    assert str(info.value) == ("env KXCONSOLE_GATHER_TIMEOUT: gather_timeout must be a number "
                               "of seconds, not 'soon'; write e.g. gather_timeout: 10")


def test_unknown_flag_setting(home: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="did you mean 'theme'"):
        load_config({"them": "x"}, env=home)


def test_effective_lists_every_field_with_its_source(home: dict[str, str]) -> None:
    cfg = load_config({"fanout": 9}, env=home)
    rows = {name: (value, source) for name, value, source in cfg.effective()}
    assert list(rows) == FIELDS
    assert rows["fanout"] == (9, "flag")
    assert isinstance(cfg, Config)
