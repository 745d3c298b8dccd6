"""Secret providers, the store, and the guarantee that no secret value leaks into logs,
exception messages, JSON, reprs or ``kxconsole inventory --json``."""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kxconsole.config import load_config
from kxconsole.connector.base import ConnectionConfig
from kxconsole.errors import KxError
from kxconsole.inventory.connect import connection_config_for, secret_store_for
from kxconsole.inventory.loader import load_inventory
from kxconsole.secrets import (
    MASK,
    EnvSecretProvider,
    FileSecretProvider,
    MappingSecretProvider,
    PromptSecretProvider,
    Secret,
    SecretError,
    SecretRequest,
    SecretStore,
    install_log_redaction,
    kx_json_default,
)

ROOT = Path(__file__).resolve().parents[2]
VALUE = "s3cr3t-Value-42"


def test_secret_masks_everywhere() -> None:
    s = Secret(VALUE)
    assert str(s) == repr(s).replace("Secret(", "").strip("')") == MASK
    assert f"{s}" == f"{s:>20}" == MASK and "%s %r" % (s, s) == f"{MASK} Secret('{MASK}')"  # noqa: UP031
    assert json.dumps({"pw": s}, default=kx_json_default) == f'{{"pw": "{MASK}"}}'
    assert s.to_json() == MASK and s.reveal() == VALUE
    assert copy.deepcopy(s) is s
    cfg = ConnectionConfig(host="h", password=VALUE, sudo_password=VALUE)
    assert VALUE not in repr(cfg) and VALUE not in json.dumps(cfg, default=kx_json_default)
    assert VALUE not in str(dataclasses.asdict(cfg))


def test_env_provider_names() -> None:
    env = {"KXCONSOLE_SECRET_PROD_SUDO": VALUE}
    assert EnvSecretProvider.variable_for("prod-sudo") == "KXCONSOLE_SECRET_PROD_SUDO"
    assert EnvSecretProvider.variable_for("node1.password") == "KXCONSOLE_SECRET_NODE1_PASSWORD"
    found = EnvSecretProvider(env).lookup(SecretRequest("prod-sudo"))
    assert found is not None and found.reveal() == VALUE
    assert EnvSecretProvider(env).lookup(SecretRequest("other")) is None


def test_file_provider_reads_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets"
    path.write_text(f"# comment\nprod-sudo: {VALUE}\nweb.login = 'quoted value'\n")
    path.chmod(0o600)
    provider = FileSecretProvider(path)
    assert provider.lookup(SecretRequest("prod-sudo")) == Secret(VALUE)
    assert provider.lookup(SecretRequest("web.login")) == Secret("quoted value")
    path.chmod(0o400)
    assert FileSecretProvider(path).lookup(SecretRequest("missing")) is None


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_file_provider_refuses_a_file_others_can_read(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "secrets"
    path.write_text(f"a: {VALUE}\n")
    path.chmod(mode)
    with pytest.raises(SecretError) as info:
        FileSecretProvider(path)
    assert str(info.value) == (f"{path}: the secrets file is open to other users (mode "
                               f"{mode:04o}); run chmod 600 {path}")


def test_file_provider_refuses_a_file_owned_by_someone_else(tmp_path: Path) -> None:
    path = tmp_path / "secrets"
    path.write_text(f"a: {VALUE}\n")
    path.chmod(0o600)
    os.chown(path, 65534, -1)  # nobody; the tests run as root
    with pytest.raises(SecretError, match=rf"belongs to uid 65534.*chmod 600 {path}"):
        FileSecretProvider(path)


def test_file_provider_bad_line_does_not_echo_it(tmp_path: Path) -> None:
    path = tmp_path / "secrets"
    path.write_text(f"ok: 1\njust {VALUE} here\n")
    path.chmod(0o600)
    with pytest.raises(SecretError) as info:
        FileSecretProvider(path)
    assert str(info.value) == (f"{path}:2: not a 'name: value' line; write one secret per "
                               "line as name: value")


@pytest.mark.parametrize(
    ("scope", "asked"),
    [("host", ["sudo password for host h1 (secret s)", "sudo password for host h2 (secret s)",
               "sudo password for host h3 (secret s)"]),
     ("group", ["sudo password for group g1 (secret s)",
                "sudo password for group g2 (secret s)"]),
     ("all", ["sudo password for all hosts (secret s)"])],
)
def test_prompt_asks_once_per_scope(scope: str, asked: list[str]) -> None:
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return VALUE

    provider = PromptSecretProvider(ask, scope=scope)  # type: ignore[arg-type]
    for host, group in [("h1", "g1"), ("h2", "g1"), ("h1", "g1"), ("h3", "g2")]:
        assert provider.lookup(SecretRequest("s", "sudo password", host, group)) == Secret(VALUE)
    assert prompts == asked
    provider.forget("s")
    provider.lookup(SecretRequest("s", "sudo password", "h1", "g1"))
    assert len(prompts) == len(asked) + 1


def test_prompt_is_skipped_for_non_interactive_requests_and_empty_answers() -> None:
    calls: list[str] = []
    provider = PromptSecretProvider(lambda p: calls.append(p) or "", scope="all")
    assert provider.lookup(SecretRequest("s", interactive=False)) is None
    assert calls == []
    assert provider.lookup(SecretRequest("s")) is None and len(calls) == 1
    assert provider.lookup(SecretRequest("s")) is None and len(calls) == 2  # not remembered


def test_store_chains_providers_in_order() -> None:
    env = {"KXCONSOLE_SECRET_A": "env", "KXCONSOLE_SECRET_B": "b"}
    store = SecretStore([MappingSecretProvider({"a": "from-map"}), EnvSecretProvider(env)])
    assert store.lookup(SecretRequest("a")) == Secret("from-map")
    assert store.lookup(SecretRequest("b")) == Secret("b")
    with pytest.raises(SecretError) as info:
        store.require(SecretRequest("c", "SSH password", host="web1"))
    assert str(info.value) == (
        "no value for secret 'c' (SSH password for host web1); set KXCONSOLE_SECRET_C, add it "
        "to the secrets file (secrets_file) or run interactively to be asked")


def test_log_redaction_scrubs_revealed_values(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    secret = Secret("pw-" + VALUE)
    log = logging.getLogger("kxconsole.test")
    with caplog.at_level(logging.DEBUG):
        log.info("sending %s", secret)  # masked by the type
        raw = secret.reveal()  # the transport reveals it ...
        log.info("oops, a plain copy: " + raw)  # ... and a careless line logs the copy
        log.warning("as an arg: %s", raw)
    assert "pw-" + VALUE not in caplog.text
    assert caplog.text.count(MASK) == 3


def _inventory_with_secrets(tmp_path: Path) -> Path:
    path = tmp_path / "inv.ini"
    path.write_text(f"[web]\nweb1 ansible_host=127.0.0.1 ansible_password={VALUE}1 "
                    f"ansible_become_password={VALUE}2\n[web:vars]\ndb_password=plain-var-value\n")
    return path


def test_no_secret_in_connection_configs_errors_logs_or_json(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    install_log_redaction()
    inv = load_inventory(_inventory_with_secrets(tmp_path), ssh_config_path=None)
    config = load_config({}, env={"HOME": str(tmp_path)})
    store = secret_store_for(config, interactive=False, env={})
    with caplog.at_level(logging.DEBUG):
        cfg = connection_config_for(inv.hosts["web1"], inv, store, config)
        logging.getLogger("kxconsole").info("config %s %r", cfg, cfg)
        assert cfg.password is not None and cfg.password.reveal() == f"{VALUE}1"
        assert cfg.effective_sudo_password == Secret(f"{VALUE}2")
        logging.getLogger("kxconsole").error("leaked %s", cfg.password.reveal())
    texts = [repr(inv), repr(cfg), str(cfg), caplog.text,
             json.dumps(dataclasses.asdict(cfg), default=kx_json_default)]
    inv.hosts["web1"].password_secret = "absent"
    with pytest.raises(KxError) as info:
        connection_config_for(inv.hosts["web1"], inv, store, config)
    texts.append(str(info.value))
    for text in texts:
        assert VALUE not in text, text


def test_no_secret_in_inventory_json_output(tmp_path: Path) -> None:
    path = _inventory_with_secrets(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "kxconsole", "inventory", "--json", "-i",
                           str(path)], capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env={**os.environ, "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert VALUE not in proc.stdout + proc.stderr
    assert "plain-var-value" not in proc.stdout  # vars named like secrets are masked too
    host = json.loads(proc.stdout)["hosts"][0]
    assert (host["password"], host["sudo_password"]) == (MASK, MASK)
    assert host["vars"] == {"db_password": MASK}
    table = subprocess.run([sys.executable, "-m", "kxconsole", "inventory", "-i", str(path)],
                           capture_output=True, text=True, cwd=ROOT, timeout=60,
                           env={**os.environ, "HOME": str(tmp_path)})
    assert VALUE not in table.stdout and MASK in table.stdout
