"""The user keymap: a YAML file of ``binding_id: keys`` that rebinds or unbinds console keys.

::

    log.search: "ctrl+f"          # rebind
    log.save: "ctrl+s,w"          # several keys, comma separated
    log.filter-invert: null       # unbind (an empty string works too)

Rebinding goes through Textual's :meth:`App.set_keymap`. Textual has no way to unbind: its
keymap only replaces the keys of a binding whose new key string is non-empty. So an unbound
id is given a key string that is truthy but splits into no keys (:class:`_NoKeys`): Textual
then removes the binding's old keys and adds none. A Pilot test proves it on every run, so a
Textual change that breaks it fails loudly instead of silently keeping the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, SupportsIndex

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import Keys, key_to_character

from kxconsole.errors import ConfigError
from kxconsole.tui._yaml_lines import compose_file, config_error, mapping_entries

UNBOUND = ""
"""The value :func:`load_keymap` gives an id the user unbound."""

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
NAMED_KEYS = frozenset(
    {k.value.rpartition("+")[2] for k in Keys if not k.value.startswith("<")}
    | {"space", "enter", "tab", "escape", "backspace", "newline"}
)
BINDING_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


def user_keymap_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/kxconsole/keymap.yaml`` (``~/.config`` when the variable is unset).
    A missing file means no user keymap; check ``exists()`` before :func:`load_keymap`."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kxconsole" / "keymap.yaml"


def is_valid_key(key: str) -> bool:
    """Whether ``key`` (one key, e.g. ``ctrl+shift+f``, ``G``, ``question_mark``, ``?``)
    is something Textual can deliver."""
    *modifiers, base = key.split("+") if key != "+" else ["+"]
    if not base or any(m not in MODIFIERS for m in modifiers):
        return False
    if len(base) == 1:
        return base.isprintable() and not base.isspace()
    return base in NAMED_KEYS or key_to_character(base) is not None


def load_keymap(
    path: Path, *, known_ids: Collection[str] | None = None
) -> tuple[dict[str, str], list[ConfigError]]:
    """Read a keymap file into ``{binding_id: keys}``; unbound ids map to ``""``.

    Key names are validated; with ``known_ids``, ids that match no binding are reported too.
    Bad entries are reported (file:line) and left out; good ones are kept.
    """
    node, errors = compose_file(path, "keymap")
    if errors:
        return {}, errors
    entries, errors = mapping_entries(node, path, "keymap")
    keymap: dict[str, str] = {}
    for entry in entries:
        if not BINDING_ID.match(entry.key):
            errors.append(
                config_error(
                    path,
                    entry.line,
                    f"{entry.key!r} is not a binding id",
                    "Use an id such as 'log.search'.",
                )
            )
            continue
        if known_ids is not None and entry.key not in known_ids:
            errors.append(
                config_error(
                    path,
                    entry.line,
                    f"no binding has the id {entry.key!r}",
                    "See the help screen (binding ids are listed there).",
                )
            )
            continue
        value = entry.value
        if value is None or value == "":
            keymap[entry.key] = UNBOUND
            continue
        if not isinstance(value, str):
            errors.append(
                config_error(
                    path,
                    entry.line,
                    f"keys for {entry.key!r} must be a string",
                    'Quote them, e.g. "ctrl+f", or use null to unbind.',
                )
            )
            continue
        keys = [k.strip() for k in value.split(",")]
        bad = [k for k in keys if not is_valid_key(k)]
        if bad:
            errors.append(
                config_error(
                    path,
                    entry.line,
                    f"unknown key name(s) {', '.join(map(repr, bad))} for {entry.key!r}",
                    "Use names such as 'ctrl+f', 'G', 'f5', 'pageup', 'question_mark'.",
                )
            )
            continue
        keymap[entry.key] = ",".join(keys)
    return keymap, errors


class _NoKeys(str):
    """A key string that is truthy yet splits into no keys: Textual's keymap then drops the
    binding's old keys and binds none (see the module docstring)."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return True

    def split(self, sep: str | None = None, maxsplit: SupportsIndex = -1) -> list[str]:
        return []


def apply_keymap(app: App[Any], keymap: Mapping[str, str]) -> None:
    """Make ``keymap`` the app's keymap: rebind ids with keys, unbind ids mapped to ``""``
    or ``None``. Replaces any keymap applied before."""
    rebind = {bid: keys for bid, keys in keymap.items() if keys}
    unbind = [bid for bid, keys in keymap.items() if not keys]
    app.set_keymap(rebind)  # normalises key names ("?" -> "question_mark")
    if unbind:
        # set_keymap would normalise _NoKeys into a plain "" (which Textual ignores), so the
        # unbound ids are added after it.
        app._keymap = {**app._keymap, **{bid: _NoKeys() for bid in unbind}}
        app.refresh_bindings()


def binding_ids() -> set[str]:
    """Every binding id declared (``Binding(id=...)`` in ``BINDINGS``) by a Textual class
    imported so far: the app, its screens and widgets (for ``load_keymap(known_ids=...)``)."""
    ids: set[str] = set()
    pending: list[type[DOMNode]] = [DOMNode]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        for binding in cls.__dict__.get("BINDINGS", ()):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids
