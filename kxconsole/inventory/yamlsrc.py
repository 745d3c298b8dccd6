"""YAML with line numbers: mappings remember where they and each of their keys were written.

Loaders report ``file:line`` for every mistake, so the YAML they read keeps PyYAML's node
marks. A SafeLoader subclass (the C one when libyaml is there: 5,000-host files stay fast)
builds :class:`MarkedDict` instead of ``dict``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import yaml

from kxconsole.errors import InventoryError

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class MarkedDict(dict[str, Any]):
    """A mapping from a YAML file; ``line`` is where it starts, ``key_lines[k]`` where key k is.

    Lines are 1-based, as editors show them."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A key written twice in one mapping (PyYAML would silently keep the last)."""

    def __init__(self, key: str, first: int, mark: yaml.Mark) -> None:
        super().__init__(None, None, f"duplicate key {key!r} (first at line {first})", mark)
        self.key, self.first = key, first


class MarkedLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    def construct_marked_mapping(self, node: yaml.MappingNode) -> MarkedDict:
        self.flatten_mapping(node)
        out = MarkedDict()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                )
            skey = "" if key is None else str(key)
            if skey in out:
                raise DuplicateKeyError(skey, out.key_lines[skey], key_node.start_mark)
            out[skey] = self.construct_object(value_node, deep=True)
            out.key_lines[skey] = key_node.start_mark.line + 1
        return out


MarkedLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, MarkedLoader.construct_marked_mapping
)


def load_yaml(text: str, path: str) -> Any:
    """Parse YAML text; a syntax error becomes an :class:`InventoryError` naming file:line."""
    try:
        return yaml.load(text, Loader=MarkedLoader)  # a SafeLoader subclass
    except DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise error(path, line, f"{exc.key!r} is written twice (first at line {exc.first})",
                    "keep one of them, or merge their settings") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or "invalid YAML"
        raise error(
            path, line, f"YAML syntax error: {what}",
            "check indentation, colons and quotes around this line",
        ) from None
    except yaml.YAMLError as exc:
        raise error(path, None, f"YAML error: {exc}", "fix the YAML syntax") from None


def error(path: str, line: int | None, what: str, fix: str) -> InventoryError:
    """The one message shape of inventory errors: ``path:line: what; fix``."""
    where = f"{path}:{line}" if line else path
    return InventoryError(f"{where}: {what}; {fix}", path=path, line=line)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def check_keys(
    data: MarkedDict, allowed: Iterable[str], path: str, what: str
) -> None:
    """Refuse keys a section does not know, suggesting the closest known one."""
    allowed = list(allowed)
    for key in data:
        if key not in allowed:
            hint = did_you_mean(key, allowed) or "known keys: " + ", ".join(sorted(allowed))
            raise error(path, data.line_of(key), f"unknown key {key!r} in {what}", hint)


def line_of(data: Any, key: str | None = None) -> int:
    if isinstance(data, MarkedDict):
        return data.line_of(key) if key is not None else data.line
    return 0
