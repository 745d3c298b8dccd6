"""The core never imports Textual: checked in a fresh interpreter, module by module."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import kxconsole

CORE = [
    m.name
    for m in pkgutil.walk_packages(kxconsole.__path__, "kxconsole.")
    if not m.name.startswith("kxconsole.tui") and m.name != "kxconsole.__main__"
]


def test_core_modules_exist() -> None:
    assert "kxconsole.connector" in CORE and "kxconsole.runner" in CORE


def test_core_does_not_import_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module(name)\n"
        "    bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "    if bad:\n"
        "        print(name, bad[:3]); sys.exit(1)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, f"core module imports Textual: {proc.stdout}{proc.stderr}"


def test_cli_module_does_not_import_textual_at_import_time() -> None:
    # the CLI imports the console lazily, so headless subcommands start fast
    root = Path(kxconsole.__file__).parent
    assert "textual" not in (root / "cli.py").read_text().split("def main")[0]
