"""script.py: exact command lines per sudo mode, marker stripping, sudo refusal reasons."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kxconsole.connector.base import ExecOptions
from kxconsole.connector.script import (
    MarkerFilter,
    build_script,
    classify_sudo_failure,
    kill_script,
    prepare,
    sudo_error,
)
from kxconsole.errors import ValidationError
from kxconsole.secrets import Secret

TOKEN = "0123456789abcdef"
MESSAGES = Path(__file__).resolve().parents[1] / "data" / "connector" / "sudo_messages"


def test_no_sudo_runs_sh_c_with_the_script() -> None:
    p = prepare("echo hi | wc -c", ExecOptions(), is_root=False, sudo_password=None, token=TOKEN)
    assert p.argv[:2] == ["sh", "-c"]
    assert p.argv[2] == build_script("echo hi | wc -c", ExecOptions(), TOKEN)
    assert p.argv[2].endswith("\necho hi | wc -c")
    assert p.sudo_mode == "none" and p.stdin == b""
    assert shlex.split(p.line) == p.argv


def test_sudo_with_password_wraps_the_whole_script_and_puts_the_password_on_stdin() -> None:
    p = prepare(
        "id -u | tee /tmp/x",
        ExecOptions(sudo=True, stdin=b"data"),
        is_root=False,
        sudo_password=Secret("pw 'x"),
        token=TOKEN,
    )
    assert p.argv[:7] == ["sudo", "-S", "-k", "-p", f"[kxsudo-{TOKEN}] ", "--", "sh"]
    assert p.argv[7] == "-c" and p.argv[8].endswith("\nid -u | tee /tmp/x")
    assert p.stdin == b"pw 'x\ndata"
    assert "pw 'x" not in p.line  # never on the command line


def test_sudo_without_password_is_non_interactive() -> None:
    p = prepare("id", ExecOptions(sudo=True), is_root=False, sudo_password=None, token=TOKEN)
    assert p.argv[:5] == ["sudo", "-n", "--", "sh", "-c"] and p.sudo_mode == "nopass"


def test_empty_sudo_password_means_non_interactive() -> None:
    p = prepare("id", ExecOptions(sudo=True), is_root=False, sudo_password=Secret(""))
    assert p.argv[:2] == ["sudo", "-n"]


def test_root_needs_no_sudo() -> None:
    p = prepare("id", ExecOptions(sudo=True), is_root=True, sudo_password=Secret("pw"))
    assert p.argv[:2] == ["sh", "-c"] and p.stdin == b""


def test_cwd_and_env_are_applied_inside_the_script() -> None:
    script = build_script("env", ExecOptions(cwd="/a b", env={"K_1": "v'$x"}), TOKEN)
    assert "cd -- '/a b' || exit 1" in script
    assert "export K_1='v'\"'\"'$x'" in script


@pytest.mark.parametrize("name", ["1A", "A-B", "A B", "A;B", "", "A=B"])
def test_invalid_env_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="environment variable"):
        build_script("true", ExecOptions(env={name: "x"}), TOKEN)


HOSTILE = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\0"), max_size=40
)


@settings(deadline=None, max_examples=60)  # runs a real sh: no per-example deadline on a busy box
@given(value=HOSTILE)
def test_hostile_env_values_reach_the_command_unchanged(value: str) -> None:
    p = prepare('printf %s "$V"', ExecOptions(env={"V": value}), is_root=False, sudo_password=None)
    out = subprocess.run(p.argv, capture_output=True, timeout=10)
    assert out.stdout == value.encode()
    assert p.marker in out.stderr


def test_marker_reports_pid_and_process_group() -> None:
    p = prepare("true", ExecOptions(), is_root=False, sudo_password=None, token=TOKEN)
    proc = subprocess.run(p.argv, capture_output=True, timeout=10, start_new_session=True)
    f = MarkerFilter(p.marker)
    assert f.feed(proc.stderr) == b""
    assert f.seen and f.pid is not None and f.pgid == f.pid  # a session leader's group is itself


def _feed_in_pieces(f: MarkerFilter, data: bytes, size: int) -> bytes:
    out = b"".join(f.feed(data[i : i + size]) for i in range(0, len(data), size))
    return out + f.flush()


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_marker_and_prompt_are_stripped_across_chunk_boundaries(size: int) -> None:
    prompt = f"[kxsudo-{TOKEN}] ".encode()
    marker = f"KXSTART-{TOKEN}:".encode()
    data = prompt + marker + b"4242:4240\n" + b"real error\n" + prompt + b"stays\n"
    f = MarkerFilter(marker, prompt)
    # only what precedes the marker is sudo's; after it, even prompt-like text is the command's
    assert _feed_in_pieces(f, data, size) == b"real error\n" + prompt + b"stays\n"
    assert (f.pid, f.pgid) == (4242, 4240)


def test_without_marker_the_held_text_is_returned_by_flush() -> None:
    f = MarkerFilter(b"KXSTART-x:", b"[p] ")
    assert f.feed(b"[p] Sorry, try again.\n") == b""
    assert f.flush() == b"Sorry, try again.\n" and not f.seen


@pytest.mark.parametrize("case", sorted(MESSAGES.glob("*.txt")), ids=lambda p: p.stem)
def test_sudo_refusals_are_classified(case: Path) -> None:
    expected = case.stem.split("-", 1)[0]
    assert classify_sudo_failure(case.read_bytes()) == expected


def test_sudo_error_names_host_and_advice_and_hides_hidden_commands() -> None:
    err = sudo_error("web1", "echo secret-value", True, b"sudo: a password is required\n")
    assert err.reason == "password_required" and err.host == "web1"
    assert "web1" in err.message and "NOPASSWD" in err.message
    assert "secret-value" not in err.message


def test_kill_script_targets_the_group_without_double_dash() -> None:
    script = kill_script(1234, 1240)
    assert "kill -TERM -1234" in script and "kill -KILL -1234" in script
    assert not re.search(r"kill -\w+ --", script)  # dash's kill rejects "--"
    assert "kill -TERM 77" in kill_script(None, 77)
