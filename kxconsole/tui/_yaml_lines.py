"""Read a YAML mapping while keeping the line of every key, so theme and keymap files can be
reported as ``file:line``. Shared by :mod:`kxconsole.tui.themes` and :mod:`kxconsole.tui.keymap`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor

from kxconsole.errors import ConfigError


@dataclass(frozen=True)
class YamlEntry:
    """One ``key: value`` of a mapping, with the 1-based line of the key."""

    key: str
    node: yaml.Node
    line: int

    @property
    def value(self) -> object:
        """The value as plain Python data (what ``yaml.safe_load`` would give)."""
        return SafeConstructor().construct_object(self.node, deep=True)


def config_error(path: Path, line: int | None, what: str, fix: str) -> ConfigError:
    """A :class:`ConfigError` whose message starts with ``file:line``."""
    where = f"{path}:{line}" if line is not None else str(path)
    return ConfigError(f"{where}: {what}. {fix}", path=str(path), line=line)


def compose_file(path: Path, kind: str) -> tuple[yaml.Node | None, list[ConfigError]]:
    """Parse ``path`` into a node tree; unreadable files and YAML syntax errors become errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [
            config_error(
                path,
                None,
                f"cannot read {kind} file ({exc})",
                "Check the file exists and is readable UTF-8 text.",
            )
        ]
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or "invalid YAML"
        return None, [
            config_error(
                path, line, f"{kind} file is not valid YAML ({problem})", "Fix the YAML syntax."
            )
        ]
    except yaml.YAMLError as exc:
        return None, [
            config_error(
                path, None, f"{kind} file is not valid YAML ({exc})", "Fix the YAML syntax."
            )
        ]


def mapping_entries(
    node: yaml.Node | None, path: Path, kind: str
) -> tuple[list[YamlEntry], list[ConfigError]]:
    """The entries of a mapping node. Anything else (or a non-string key) is an error."""
    if node is None:  # empty file
        return [], []
    if not isinstance(node, yaml.MappingNode):
        line = node.start_mark.line + 1
        return [], [
            config_error(
                path,
                line,
                f"a {kind} must be a mapping of keys to values",
                "Write it as 'key: value' lines.",
            )
        ]
    entries: list[YamlEntry] = []
    errors: list[ConfigError] = []
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
            errors.append(
                config_error(
                    path, line, f"{kind} keys must be plain strings", "Remove or quote this key."
                )
            )
            continue
        key = str(key_node.value)
        if key in seen:
            errors.append(
                config_error(
                    path, line, f"key {key!r} repeats line {seen[key]}", "Keep one of them."
                )
            )
            continue
        seen[key] = line
        entries.append(YamlEntry(key, value_node, line))
    return entries, errors
