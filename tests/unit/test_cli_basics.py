import subprocess
import sys

from kxconsole import __version__


def test_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kxconsole", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"kxconsole {__version__}"


def test_help_lists_inventory_flag() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kxconsole", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert "--inventory" in proc.stdout
