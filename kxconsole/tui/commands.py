"""Command palette providers: hosts, groups, views and themes (ctrl+p)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

Entry = tuple[str, Callable[[], object], str]  # text, what it does, help line

DISCOVER_LIMIT = 30  # entries listed before the operator types anything


class Console(Protocol):
    """What the providers need from the app (kept narrow to avoid an import cycle)."""

    def palette_hosts(self) -> list[str]: ...

    def palette_groups(self) -> dict[str, int]: ...

    def palette_views(self) -> list[Entry]: ...

    def palette_themes(self) -> list[str]: ...

    def open_host(self, host: str) -> None: ...

    def select_group(self, group: str) -> None: ...

    def use_theme(self, theme: str) -> None: ...


class _EntriesProvider(Provider):
    def entries(self, console: Console) -> list[Entry]:
        raise NotImplementedError

    @property
    def console(self) -> Console:
        return cast(Console, self.app)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, run, help_text in self.entries(self.console):
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), run, text=text, help=help_text)

    async def discover(self) -> Hits:
        for text, run, help_text in self.entries(self.console)[:DISCOVER_LIMIT]:
            yield DiscoveryHit(text, run, text=text, help=help_text)


class HostsProvider(_EntriesProvider):
    def entries(self, console: Console) -> list[Entry]:
        return [
            (f"Open host {name}", partial(console.open_host, name), "host view: facts, "
             "services, packages, log")
            for name in console.palette_hosts()
        ]


class GroupsProvider(_EntriesProvider):
    def entries(self, console: Console) -> list[Entry]:
        return [
            (f"Select group {group}", partial(console.select_group, group),
             f"add its {count} hosts to the selection")
            for group, count in console.palette_groups().items()
        ]


class ViewsProvider(_EntriesProvider):
    def entries(self, console: Console) -> list[Entry]:
        return console.palette_views()


class ThemesProvider(_EntriesProvider):
    def entries(self, console: Console) -> list[Entry]:
        return [
            (f"Theme {name}", partial(console.use_theme, name), "switch the console's colours")
            for name in console.palette_themes()
        ]


PROVIDERS: tuple[type[Provider], ...] = (
    ViewsProvider, HostsProvider, GroupsProvider, ThemesProvider,
)
