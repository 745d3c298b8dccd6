"""The host view's facts pane: what the host reported, how old it is, stale data dimmed."""

from __future__ import annotations

import shlex

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from kxconsole.runner.facts import FACTS_SCRIPT
from kxconsole.runner.models import Facts
from kxconsole.tui.widgets.command_pane import CommandCaption, CommandPane
from kxconsole.tui.widgets.fleet_table import format_clock, format_memory


def format_age(seconds: float) -> str:
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


def facts_table(facts: Facts) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    os = facts.os
    rows: list[tuple[str, str]] = [
        ("Hostname", facts.hostname),
        ("OS", os.pretty_name or f"{os.id} {os.version_id}".strip()),
        ("Kernel", f"{facts.kernel} ({os.arch})" if os.arch else facts.kernel),
        ("CPU", str(facts.total_cpu or "")),
        ("Memory", format_memory(facts.total_memory)),
        ("IPv4 default", facts.ipv4_default),
        ("IPv6 default", facts.ipv6_default),
        ("Packages", str(facts.package_manager.type)),
        ("Init system", str(facts.init_system.type)),
        ("SELinux", facts.selinux),
        ("AppArmor", facts.apparmor),
        ("Firewall", facts.firewall),
    ]
    for iface in facts.interfaces:
        state = "up" if iface.up else "down"
        addrs = ", ".join([*iface.ipv4, *iface.ipv6]) or "no address"
        rows.append((f"  {iface.name}", f"{state}  {addrs}"))
    for label, value in rows:
        table.add_row(label, value or Text("—", style="dim"))
    for field_name, why in sorted(facts.errors.items()):
        table.add_row(Text(f"! {field_name}", style="yellow"), Text(why, style="yellow"))
    return table


class FactsPane(CommandPane):
    """Facts of one host; :meth:`show` redraws them with their age."""

    DEFAULT_CSS = """
    FactsPane #facts-age { height: 1; padding: 0 1; }
    FactsPane #facts-body { padding: 0 1; }
    FactsPane.-stale #facts-body, FactsPane.-stale #facts-age { color: $text-disabled; }
    """

    def compose(self) -> ComposeResult:
        yield CommandCaption()
        yield Static("", id="facts-age")
        with VerticalScroll(can_focus=True, id="facts-scroll"):
            yield Static("Gathering facts…", id="facts-body")

    def on_mount(self) -> None:
        self.set_command(f"sh -c {shlex.quote(FACTS_SCRIPT.strip())}")

    def show(self, facts: Facts | None, at: float | None, now: float, interval: float) -> None:
        """Draw ``facts`` gathered at ``at``; older than two refresh intervals is stale."""
        age_line = self.query_one("#facts-age", Static)
        body = self.query_one("#facts-body", Static)
        if facts is None or at is None:
            age_line.update(Text("no facts yet", style="italic"))
            self.remove_class("-stale")
            return
        age = now - at
        stale = age > 2 * interval
        self.set_class(stale, "-stale")
        note = "  STALE: the host has not answered since" if stale else ""
        age_line.update(f"gathered {format_age(age)} ago, at {format_clock(at)}{note}")
        body.update(facts_table(facts))
