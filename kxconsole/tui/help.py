"""Key help generated from the bindings themselves, so it cannot drift from what keys do.

:func:`help_entries` reads what is active where the focus is (the focused widget, its
containers, the screen, the app), with the user's keymap applied; :func:`reference_entries`
reads the classes' declared bindings (for the README table).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

# what the help calls each place a binding lives (class name → scope shown to the operator)
SCOPES = {
    "KxConsoleApp": "Everywhere",
    "FleetScreen": "Fleet",
    "FleetTable": "Fleet list",
    "HostScreen": "Host",
    "FactsPane": "Facts pane",
    "ServicesPane": "Services pane",
    "PackagesPane": "Packages pane",
    "FollowPane": "Log pane",
    "ListingPane": "Services and packages panes",
    "CommandPane": "Every host pane",
    "VimTable": "Lists",
    "LogPanel": "Log panel",
    "LogView": "Log panel",
    "LogBar": "Log panel",
}


@dataclass(frozen=True)
class HelpEntry:
    key: str
    description: str
    binding_id: str
    scope: str


def scope_of(node: DOMNode | type[DOMNode]) -> str:
    cls = node if isinstance(node, type) else type(node)
    for klass in cls.__mro__:
        if klass.__name__ in SCOPES:
            return SCOPES[klass.__name__]
    return cls.__name__


def _key_display(key: str) -> str:
    names = {"slash": "/", "question_mark": "?", "escape": "esc", "ampersand": "&",
             "exclamation_mark": "!"}
    return names.get(key, key)


def help_entries(screen: Screen[object]) -> list[HelpEntry]:
    """Bindings active on ``screen`` where the focus is: innermost scope first."""
    entries: list[HelpEntry] = []
    for active in screen.active_bindings.values():
        binding = active.binding
        # ids mark the console's own bindings (the keymap's unit); ctrl+p is Textual's palette
        palette = binding.action == "command_palette"
        if binding.description and (binding.id or palette):
            display = screen.app.get_key_display(binding)
            description = "Command palette" if palette else binding.description
            entries.append(
                HelpEntry(display, description, binding.id or "", scope_of(active.node))
            )
    return entries


def reference_entries(classes: Iterable[type[DOMNode]]) -> list[HelpEntry]:
    """The console's own bindings (those with an id) that the classes and their kxconsole
    bases declare, each under the class that declares it, with its default key."""
    entries: list[HelpEntry] = []
    for cls in classes:
        for klass in reversed(cls.__mro__):
            if not klass.__module__.startswith("kxconsole."):
                continue
            for binding in vars(klass).get("BINDINGS", []):
                if not isinstance(binding, Binding) or not binding.id:
                    continue
                entry = HelpEntry(
                    _key_display(binding.key), binding.description, binding.id,
                    scope_of(klass),
                )
                if entry not in entries:
                    entries.append(entry)
    return entries


def markdown_table(entries: Iterable[HelpEntry]) -> str:
    lines = ["| Where | Key | Action | Binding id |", "|---|---|---|---|"]
    for e in entries:
        key = e.key.replace("|", "\\|")
        lines.append(f"| {e.scope} | `{key}` | {e.description} | `{e.binding_id}` |")
    return "\n".join(lines) + "\n"
