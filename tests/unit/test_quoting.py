"""Quoting and validation: hostile strings through the runner's quoting, echoed by a real ``sh``.

Property tests (Hypothesis) check that whatever a caller passes comes back byte for byte from
``printf %s <quoted>`` and that command-substitution payloads never run.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kxconsole.errors import ValidationError
from kxconsole.runner import quoting
from kxconsole.runner.families import package_command, service_command
from kxconsole.runner.quoting import q, qpath

# argv cannot hold NUL, and text must be encodable: everything else is fair game
hostile_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=60,
)
PAYLOADS = [
    "a b", "it's", 'say "hi"', "$HOME", "`id`", "$(id)", "a;b", "a|b", "a&&b", "a\nb", "-rf",
    "--help", "*", "~", "!", "\\", "'", "''", "\t", "#comment", "a>b", "$((1+1))", "${x:-y}",
]


def sh_printf(word: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        ["sh", "-c", f"printf %s {word}"], capture_output=True, cwd=cwd, check=True
    )
    return proc.stdout.decode("utf-8", "surrogateescape")


@pytest.mark.parametrize("value", PAYLOADS)
def test_known_payloads_round_trip(value: str) -> None:
    assert sh_printf(q(value)) == value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text)
def test_quoted_text_comes_back_unchanged(value: str) -> None:
    assert sh_printf(q(value)) == value


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ab;&|$()`'\" \n-", min_size=1, max_size=20))
def test_quoted_path_is_never_an_option(value: str) -> None:
    got = sh_printf(qpath(value))
    assert got == (f"./{value}" if value.startswith("-") else value)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["$(touch {m})", "`touch {m}`", "; touch {m}", "' ; touch {m}; '",
                        "\"; touch {m}; \"", "\ntouch {m}\n", "$(touch${IFS}{m})"]),
       hostile_text)
def test_substitution_payloads_never_run(tmp_path_factory: pytest.TempPathFactory,
                                         template: str, noise: str) -> None:
    workdir = tmp_path_factory.mktemp("q")
    payload = noise + template.replace("{m}", "marker") + noise
    assert sh_printf(q(payload), cwd=workdir) == payload
    assert sh_printf(qpath(payload), cwd=workdir).endswith(payload)
    assert not (workdir / "marker").exists()


def test_payload_in_every_builder_is_data(tmp_path: Path) -> None:
    # the builders that take caller words: each word arrives as exactly one argument
    payload = "x$(touch marker)`touch marker`;touch marker"
    cmd = package_command("printf '[%s]'", [payload, "b c"])
    out = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout == f"[{payload}][b c]"
    cmd = service_command("printf '[%s]' {name}", payload)
    out = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout == f"[{payload}]"
    assert not (tmp_path / "marker").exists()


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (quoting.validate_username, "a;b"),
        (quoting.validate_username, "a b"),
        (quoting.validate_username, "x" * 33),
        (quoting.validate_hostname, "my host"),
        (quoting.validate_hostname, "a..b"),
        (quoting.validate_mode, "999"),
        (quoting.validate_mode, "12345"),
        (quoting.validate_mode, "abc"),
        (quoting.validate_package, "two words"),
        (quoting.validate_package, "-oops"),
        (quoting.validate_service, "a/b"),
        (quoting.validate_service, "-x"),
        (quoting.validate_ip, "10.0.0.256"),
        (quoting.validate_ip, "fe80::1::2"),
        (quoting.validate_port, 0),
        (quoting.validate_port, 70000),
        (quoting.validate_url, "javascript:alert(1)"),
        (quoting.validate_sha256, "xyz"),
        (quoting.validate_path, ""),
        (quoting.validate_path, "a\0b"),
    ],
)
def test_impossible_values_are_refused(validator: object, value: object) -> None:
    with pytest.raises(ValidationError):
        validator(value)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("validator", "value", "normal"),
    [
        (quoting.validate_username, "_svc-1$", "_svc-1$"),
        (quoting.validate_hostname, "node-1.example.com", "node-1.example.com"),
        (quoting.validate_mode, "644", "0644"),
        (quoting.validate_mode, 0o4755, "4755"),
        (quoting.validate_package, "libc6:amd64", "libc6:amd64"),
        (quoting.validate_package, "nginx=1.22*", "nginx=1.22*"),
        (quoting.validate_service, "getty@tty1.service", "getty@tty1.service"),
        (quoting.validate_ip, " 10.0.0.5 ", "10.0.0.5"),
        (quoting.validate_ip, "0:0:0:0:0:0:0:1", "::1"),
        (quoting.validate_sha256, "A" * 64, "a" * 64),
    ],
)
def test_valid_values_are_normalised(validator: object, value: object, normal: object) -> None:
    assert validator(value) == normal  # type: ignore[operator]


def test_redact_masks_secrets_and_url_passwords() -> None:
    from kxconsole.secrets import Secret

    text = quoting.redact(
        "curl https://bob:hunter2@example.com/x; echo s3cret", [Secret("s3cret"), None]
    )
    assert "hunter2" not in text and "s3cret" not in text
    assert "https://bob:********@example.com/x" in text
