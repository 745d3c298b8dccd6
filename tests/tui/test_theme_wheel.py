"""An installed (non-editable) package finds its bundled themes: build the wheel, check the
theme files are inside it, and load them from an extracted copy in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = {"kx-dark", "kx-light", "kx-high-contrast"}


def test_wheel_contains_themes_and_installed_package_loads_them(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         str(ROOT), "-w", str(tmp_path / "dist")],
        capture_output=True, text=True, timeout=240,
    )
    assert build.returncode == 0, f"pip wheel failed:\n{build.stdout}{build.stderr}"
    (wheel,) = (tmp_path / "dist").glob("kxconsole-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for theme in BUNDLED:
            assert f"kxconsole/_bundled/themes/{theme}.yaml" in names, sorted(names)
        archive.extractall(tmp_path / "site")

    # A fresh interpreter, run outside the checkout, with the extracted wheel first on the path
    # (ahead of the editable install), as an installed package would be found.
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(tmp_path / 'site')!r})\n"
        "import kxconsole\n"
        "from kxconsole.tui.themes import bundled_themes_dir, load_themes\n"
        "themes, errors = load_themes([bundled_themes_dir()])\n"
        "print(json.dumps({'package': kxconsole.__file__, 'dir': str(bundled_themes_dir()),\n"
        "                  'themes': sorted(themes), 'errors': [str(e) for e in errors]}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    site = str(tmp_path / "site")
    assert found["package"].startswith(site), found
    assert found["dir"] == f"{site}/kxconsole/_bundled/themes", found
    assert set(found["themes"]) >= BUNDLED, found
    assert found["errors"] == []
