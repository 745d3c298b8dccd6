"""Console themes: YAML data files validated on load into Textual :class:`Theme` objects.

A theme file holds Textual's colour keys plus ``protected``, the accent that marks production
(protected) groups. It becomes the CSS variable ``$protected`` (and ``$protected-muted``, a
background tint of it). A bad file is reported as a :class:`ConfigError` naming ``file:line``;
the other files still load. Later directories override earlier ones by theme name, so a user
theme called ``kx-dark`` replaces the bundled one.

Wiring into an app::

    themes, errors = load_themes(default_theme_dirs())
    register_themes(app, themes)          # and report ``errors`` as toasts
    # App.get_theme_variable_defaults() should include THEME_VARIABLE_DEFAULTS so CSS that
    # uses $protected also parses under Textual's built-in themes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme

from kxconsole.errors import ConfigError
from kxconsole.tui._yaml_lines import YamlEntry, compose_file, config_error, mapping_entries

COLOR_KEYS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
REQUIRED_KEYS = ("name", "dark", "primary", "foreground", "background", "error", "protected")
FLOAT_KEYS = ("luminosity_spread", "text_alpha")
BOOL_KEYS = ("dark", "ansi")
KNOWN_KEYS = frozenset((*COLOR_KEYS, *FLOAT_KEYS, *BOOL_KEYS, "name", "protected", "variables"))

# Fallbacks for the variables our CSS uses, for when a non-kx theme (e.g. textual-dark) is active.
THEME_VARIABLE_DEFAULTS: dict[str, str] = {"protected": "#ff5f00", "protected-muted": "#5c2a0c"}

# How far (Euclidean RGB distance) `protected` must be from `error`, so a production marker is
# never mistaken for a failure. 60 is about the gap between pure red and a deep orange.
MIN_PROTECTED_ERROR_DISTANCE = 60.0


def bundled_themes_dir() -> Path:
    """Where the bundled themes are: ``kxconsole/_bundled/themes`` in an installed wheel
    (pyproject force-includes them there), else ``<repo>/themes`` in a source checkout."""
    package_dir = Path(__file__).resolve().parent.parent
    installed = package_dir / "_bundled" / "themes"
    if installed.is_dir():
        return installed
    return package_dir.parent / "themes"


def user_themes_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/kxconsole/themes`` (``~/.config`` when the variable is unset)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kxconsole" / "themes"


def default_theme_dirs(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Bundled themes first, then the user's (which override by name)."""
    return [bundled_themes_dir(), user_themes_dir(environ)]


def load_themes(dirs: list[Path]) -> tuple[dict[str, Theme], list[ConfigError]]:
    """Load every ``*.yaml``/``*.yml`` theme in ``dirs`` (missing directories are skipped).

    Returns the valid themes by name and one error per problem found, each naming file:line.
    """
    themes: dict[str, Theme] = {}
    errors: list[ConfigError] = []
    for directory in dirs:
        if not directory.is_dir():
            continue
        files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
        names_here: dict[str, Path] = {}
        for path in files:
            theme, file_errors = load_theme_file(path)
            errors.extend(file_errors)
            if theme is None:
                continue
            if theme.name in names_here:
                errors.append(
                    config_error(
                        path,
                        None,
                        f"theme {theme.name!r} is also defined in {names_here[theme.name]}",
                        "Give each theme a unique name.",
                    )
                )
                continue
            names_here[theme.name] = path
            themes[theme.name] = theme
    return themes, errors


def load_theme_file(path: Path) -> tuple[Theme | None, list[ConfigError]]:
    """One theme file → a Theme, or None and the reasons. Every problem is reported, not
    just the first, so a user can fix a file in one go."""
    node, errors = compose_file(path, "theme")
    if errors:
        return None, errors
    entries, errors = mapping_entries(node, path, "theme")
    values: dict[str, object] = {}
    variables: dict[str, str] = {}
    for entry in entries:
        if entry.key not in KNOWN_KEYS:
            errors.append(
                config_error(
                    path,
                    entry.line,
                    f"unknown theme key {entry.key!r}",
                    f"Use one of: {', '.join(sorted(KNOWN_KEYS))}; custom CSS variables go under "
                    "'variables:'.",
                )
            )
        elif entry.key == "variables":
            variables, var_errors = _variables(entry, path)
            errors.extend(var_errors)
        else:
            error = _check_value(entry, path)
            if error is None:
                values[entry.key] = entry.value
            else:
                errors.append(error)
    present = {entry.key for entry in entries}
    line_one = 1 if node is None else node.start_mark.line + 1
    for key in REQUIRED_KEYS:
        if key not in present:
            errors.append(
                config_error(
                    path,
                    line_one,
                    f"required theme key {key!r} is missing",
                    f"Add '{key}:' to the theme.",
                )
            )
    if errors:
        return None, errors
    protected_line = next(e.line for e in entries if e.key == "protected")
    distance = _rgb_distance(str(values["protected"]), str(values["error"]))
    if distance < MIN_PROTECTED_ERROR_DISTANCE:
        return None, [
            config_error(
                path,
                protected_line,
                f"'protected' is too close to 'error' (RGB distance {distance:.0f}, need at least "
                f"{MIN_PROTECTED_ERROR_DISTANCE:.0f})",
                "Pick a protected accent operators cannot mistake for an error colour.",
            )
        ]
    return _build_theme(values, variables), []


def register_themes(app: App[Any], themes: Mapping[str, Theme]) -> None:
    """Register every theme with ``app`` (does not switch the current theme)."""
    for theme in themes.values():
        app.register_theme(theme)


def _check_value(entry: YamlEntry, path: Path) -> ConfigError | None:
    value = entry.value
    key = entry.key
    if key == "name":
        if not isinstance(value, str) or not value.strip() or "," in value:
            return config_error(
                path,
                entry.line,
                "theme 'name' must be a non-empty string without commas",
                "Use a name such as 'my-dark'.",
            )
    elif key in BOOL_KEYS:
        if not isinstance(value, bool):
            return config_error(
                path,
                entry.line,
                f"{key!r} must be true or false",
                f"Write '{key}: true' or '{key}: false'.",
            )
    elif key in FLOAT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            return config_error(
                path,
                entry.line,
                f"{key!r} must be a number from 0 to 1",
                f"Write e.g. '{key}: 0.15'.",
            )
    else:  # a colour (COLOR_KEYS or protected)
        return _check_color(value, key, path, entry.line)
    return None


def _check_color(value: object, key: str, path: Path, line: int) -> ConfigError | None:
    if not isinstance(value, str):
        return config_error(
            path,
            line,
            f"{key!r} must be a colour string, not {value!r}",
            'Quote it, e.g. "#ff5f00".',
        )
    try:
        Color.parse(value)
    except ColorParseError:
        return config_error(
            path,
            line,
            f"{key!r} is not a colour: {value!r}",
            "Use #rrggbb, rgb(r,g,b) or a colour name.",
        )
    return None


def _variables(entry: YamlEntry, path: Path) -> tuple[dict[str, str], list[ConfigError]]:
    if not isinstance(entry.node, yaml.MappingNode):
        return {}, [
            config_error(
                path,
                entry.line,
                "'variables' must be a mapping",
                "Write one 'name: value' per line under 'variables:'.",
            )
        ]
    items, errors = mapping_entries(entry.node, path, "theme variables")
    variables: dict[str, str] = {}
    for item in items:
        value = item.value
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            errors.append(
                config_error(
                    path, item.line, f"variable {item.key!r} must be a string", "Quote the value."
                )
            )
        elif item.key.startswith("protected"):
            errors.append(
                config_error(
                    path,
                    item.line,
                    f"variable {item.key!r} is derived from the top-level 'protected' key",
                    "Remove it here.",
                )
            )
        else:
            variables[item.key] = str(value)
    return variables, errors


def _rgb_distance(a: str, b: str) -> float:
    ca, cb = Color.parse(a), Color.parse(b)
    return math.dist(ca.rgb, cb.rgb)


def _build_theme(values: Mapping[str, object], variables: dict[str, str]) -> Theme:
    protected = Color.parse(str(values["protected"]))
    background = Color.parse(str(values["background"]))

    def color(key: str) -> str | None:
        value = values.get(key)
        return None if value is None else str(value)

    def number(key: str, default: float) -> float:
        value = values.get(key, default)
        return float(value) if isinstance(value, int | float) else default

    return Theme(
        name=str(values["name"]),
        primary=str(values["primary"]),
        secondary=color("secondary"),
        warning=color("warning"),
        error=color("error"),
        success=color("success"),
        accent=color("accent"),
        foreground=color("foreground"),
        background=color("background"),
        surface=color("surface"),
        panel=color("panel"),
        boost=color("boost"),
        dark=bool(values["dark"]),
        ansi=bool(values.get("ansi", False)),
        luminosity_spread=number("luminosity_spread", 0.15),
        text_alpha=number("text_alpha", 0.95),
        variables={
            **variables,
            "protected": protected.hex,
            "protected-muted": background.blend(protected, 0.35).hex,
        },
    )
