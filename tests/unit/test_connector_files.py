"""files.py: stat parsing and put-script validation (the scripts themselves run in the
LocalConnector and SSH integration tests)."""

from __future__ import annotations

import pytest

from kxconsole.connector.files import parse_stat, put_script
from kxconsole.errors import ValidationError


@pytest.mark.parametrize(
    ("line", "kind", "mode"),
    [
        ("12 81a4 0 0 1700000000 root root", "file", 0o644),
        ("4096 41ed 1000 1000 1700000000 ops ops", "dir", 0o755),
        ("7 a1ff 0 0 1700000000 root root", "link", 0o777),
        ("0 8de4 0 0 1700000000 root UNKNOWN", "file", 0o6744),
    ],
)
def test_parse_stat(line: str, kind: str, mode: int) -> None:
    st = parse_stat("/p", line + "\n")
    assert (st.is_file, st.is_dir, st.is_link) == (kind == "file", kind == "dir", kind == "link")
    assert st.mode == mode and st.mtime == 1700000000.0


def test_parse_stat_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="unexpected stat output"):
        parse_stat("/p", "nonsense")


def test_put_script_writes_stdin_to_a_temp_file_then_renames() -> None:
    script = put_script("/etc/app.conf", mode="0640", owner="app", group="app")
    assert "mktemp /etc/.app.conf.kx.XXXXXXXX" in script
    assert 'cat > "$tmp"' in script and 'chmod 0640 -- "$tmp"' in script
    assert 'chown app:app -- "$tmp"' in script
    assert script.index("chown") < script.rindex("mv -f")  # applied before the rename


def test_put_script_for_a_relative_path_with_a_leading_dash() -> None:
    script = put_script("-dir/-f", mode=None, owner=None, group=None)
    assert "mktemp ./-dir/.-f.kx.XXXXXXXX" in script


@pytest.mark.parametrize(
    "kwargs",
    [{"mode": "9999"}, {"mode": 0o10000}, {"owner": "a;b"}, {"group": "-x"}, {"owner": "a b"}],
)
def test_put_script_refuses_invalid_values(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"mode": None, "owner": None, "group": None, **kwargs}
    with pytest.raises(ValidationError):
        put_script("/etc/x", **args)  # type: ignore[arg-type]


def test_put_script_refuses_a_directory_path() -> None:
    with pytest.raises(ValidationError):
        put_script("/etc/", mode=None, owner=None, group=None)
