"""The console app: wires the fleet core, screens, palette, themes and keymap together.

One factory, :class:`KxConsoleApp`, serves :func:`run_console` (the CLI) and the tests (which
pass fake connectors, a fixed clock and their own gather function).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import App
from textual.binding import Binding, BindingType
from textual.worker import Worker, WorkerState

from kxconsole.actions.events import HostState, HostStateChanged
from kxconsole.actions.fleet import ConnectorFactory, FleetGatherer, GatherFn
from kxconsole.actions.secrets_plan import (
    SecretAsk,
    ask_then_release,
    forget_refused_login,
    plan_secret_prompts,
    prompt_provider_of,
)
from kxconsole.errors import ConfigError, KxError
from kxconsole.inventory.model import Inventory
from kxconsole.secrets import Secret, SecretStore
from kxconsole.tui.commands import PROVIDERS, Entry
from kxconsole.tui.help import help_entries, scope_of
from kxconsole.tui.messages import EventBatcher, FleetEvents, GatherRoundDone, RefreshFacts
from kxconsole.tui.screens.errors import ErrorRecord, ErrorsScreen
from kxconsole.tui.screens.fleet import FleetScreen
from kxconsole.tui.screens.help import HelpScreen
from kxconsole.tui.screens.host import HostScreen
from kxconsole.tui.screens.secret_prompt import SecretPromptScreen
from kxconsole.tui.widgets.fleet_rows import FleetRows
from kxconsole.tui.widgets.fleet_table import FleetTable

if TYPE_CHECKING:
    from kxconsole.config import Config

TOAST_EVERY = 5.0  # seconds between summary toasts of host failures during a long round
HOSTS_IN_TOAST = 3  # host names a failure toast lists before "and N more"


class KxConsoleApp(App[int]):
    """The kxconsole console."""

    CSS_PATH = "app.tcss"
    TITLE = "kxconsole"
    COMMANDS: ClassVar = {*App.COMMANDS, *PROVIDERS}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("e", "errors", "Errors", id="app.errors"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        inventory: Inventory,
        *,
        connector_factory: ConnectorFactory,
        config: Config | None = None,
        gather: GatherFn | None = None,
        clock: Callable[[], float] = time.time,
        facts_interval: float = 30.0,
        flush_interval: float = 0.25,
        theme_dirs: Sequence[Path] | None = None,
        startup_errors: Iterable[KxError] = (),
        toast_timeout: float = 8.0,
        secrets: SecretStore | None = None,
    ) -> None:
        super().__init__()
        from kxconsole.config import Config

        self.config = config or Config()
        self.inventory = inventory
        self.clock = clock
        self.facts_interval = facts_interval
        self.toast_timeout = toast_timeout
        self.fleet = FleetRows.from_inventory(inventory)
        self.gatherer = FleetGatherer(
            inventory, connector_factory, self.config.fanout, self.config.gather_timeout,
            gather=gather, clock=clock,
        )
        self.batcher = EventBatcher(self, flush_interval)
        self.errors: list[ErrorRecord] = []
        self.freeze_gc_after_start = False
        self._frozen_after_first_round = False
        self._theme_dirs = theme_dirs
        self._startup_errors = list(startup_errors)
        self._unreported: dict[HostState, list[str]] = {}
        # with a prompt in the store, missing secrets are asked (modal) before gathering
        self.secrets = secrets
        self._prompt = prompt_provider_of(secrets) if secrets is not None else None
        self._asking = asyncio.Lock()  # one question at a time, however many rounds wait
        self._declined: set[tuple[str, str | None]] = set()  # scopes answered with Esc

    # start ----------------------------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        from kxconsole.tui.themes import THEME_VARIABLE_DEFAULTS

        return {**super().get_theme_variable_defaults(), **THEME_VARIABLE_DEFAULTS}

    def on_mount(self) -> None:
        self._load_themes()
        self._load_keymap()
        self.push_screen(FleetScreen(self.fleet))
        self.batcher.start()
        self.set_interval(TOAST_EVERY, self.report_failures, name="failure-toasts")
        for error in self._startup_errors:
            self.record_error(error)
        # the table paints first; gathering (CPU for 2,000 hosts) starts right after
        self.call_after_refresh(self.gather_facts, None)
        if self.freeze_gc_after_start:
            # Objects alive once the fleet is painted (Textual, screens, the inventory) live
            # as long as the app: moving them out of the collector's reach keeps full
            # collections short while hosts stream output (worst key delay in
            # bench/console_stream.py: ~125 ms without, a few ms with). Off in tests, where
            # many apps come and go in one process.
            self.call_after_refresh(gc.freeze)

    def _load_themes(self) -> None:
        from kxconsole.tui.themes import default_theme_dirs, load_themes, register_themes

        dirs = list(self._theme_dirs) if self._theme_dirs is not None else default_theme_dirs()
        themes, errors = load_themes(dirs)
        register_themes(cast("App[object]", self), themes)
        for error in errors:
            self.record_error(error)
        wanted = self.config.theme
        if wanted in self.available_themes:
            self.theme = wanted
        else:
            self.record_error(KxError(f"theme {wanted!r} is not installed; using textual-dark. "
                                      f"Installed: {', '.join(sorted(self.available_themes))}",
                                      title="Unknown theme"))

    def _load_keymap(self) -> None:
        if not self.config.keymap:
            return
        from kxconsole.tui.keymap import apply_keymap, binding_ids, load_keymap

        path = Path(self.config.keymap).expanduser()
        if not path.exists():
            self.record_error(ConfigError(f"keymap {path} does not exist; the default keys are "
                                          "in use (see ? for them)", path=str(path)))
            return
        keymap, errors = load_keymap(path, known_ids=binding_ids())
        for error in errors:
            self.record_error(error)
        apply_keymap(cast("App[object]", self), keymap)

    async def on_unmount(self) -> None:
        self.batcher.stop()
        await self.gatherer.close()

    # facts ----------------------------------------------------------------------------------

    def gather_facts(self, hosts: list[str] | None, *, ask_again: bool = True) -> Worker[None]:
        """Gather facts of ``hosts`` (None: all) in the background, fan-out bounded; hosts
        missing a secret wait for the operator's answer (asked once per scope). Without
        ``ask_again``, a scope the operator declined before is not asked (timed refreshes)."""
        if self._prompt is not None:
            return self.run_worker(self._ask_then_gather(hosts, ask_again), group="secrets",
                                   exit_on_error=False, name="secrets prompt")
        return self._gather_worker(hosts)

    def _gather_worker(self, hosts: list[str] | None) -> Worker[None]:
        return self.run_worker(self._gather_round(hosts), group="facts", exit_on_error=False,
                               name=f"facts of {len(hosts) if hosts else 'all'} hosts")

    async def _gather_round(self, hosts: list[str] | None) -> None:
        await self.gatherer.gather_all(self.batcher, hosts)
        self.batcher.flush()
        self.post_message(GatherRoundDone(len(hosts) if hosts else len(self.fleet.rows)))

    async def _ask_then_gather(self, hosts: list[str] | None, ask_again: bool) -> None:
        assert self._prompt is not None and self.secrets is not None
        prompt, store = self._prompt, self.secrets
        plan = plan_secret_prompts(hosts or list(self.inventory.hosts), self.inventory,
                                   store, prompt)
        if not plan.asks:
            self._gather_worker(hosts)
            return
        if plan.ready:  # they need no answer: no waiting for the questions
            self._gather_worker(plan.ready)
        async with self._asking:
            # another round may have asked meanwhile: plan again with its answers
            waiting = [h for item in plan.asks for h in item.hosts]
            plan = plan_secret_prompts(dict.fromkeys(waiting), self.inventory, store, prompt)
            await ask_then_release(plan, prompt, lambda item: self._ask_secret(item, ask_again),
                                   self._gather_worker, self._no_secret_given)
        # hosts left without a secret are reported now, as a gather round's failures are
        self.batcher.flush()
        self.post_message(GatherRoundDone(len(waiting)))

    async def _ask_secret(self, item: SecretAsk, ask_again: bool) -> Secret | None:
        if not ask_again and item.key in self._declined:
            return None
        answer = await self.push_screen_wait(SecretPromptScreen(item.prompt, item.hint))
        if answer:
            self._declined.discard(item.key)
        else:
            self._declined.add(item.key)
        return answer

    def _no_secret_given(self, host: str, ask: SecretAsk) -> None:
        self.batcher(HostStateChanged(host, HostState.ERROR, ask.declined_reason, self.clock()))

    def flush_now(self) -> None:
        """Apply every collected event at once (tests and benchmarks call it)."""
        self.batcher.flush()

    def on_fleet_events(self, message: FleetEvents) -> None:
        changed = self.fleet.apply(message.events)
        for event in message.events:
            if isinstance(event, HostStateChanged) and event.state.is_failure:
                self._unreported.setdefault(event.state, []).append(event.host)
                if event.state == HostState.AUTH_FAILED and self._prompt is not None:
                    # a typo must not stick for the session: r asks again
                    forget_refused_login(event.host, self.inventory, self._prompt)
                self.errors.append(ErrorRecord(event.at, str(event.state), event.reason,
                                               event.host))
        for screen in self.screen_stack:
            if isinstance(screen, FleetScreen):
                screen.hosts_changed(changed)
            elif isinstance(screen, HostScreen) and screen.host_name in changed:
                screen.facts_changed()

    def on_gather_round_done(self, _: GatherRoundDone) -> None:
        self.report_failures()
        if self.freeze_gc_after_start and not self._frozen_after_first_round:
            # the first round's facts, rows and connections live as long as the app too:
            # left to the collector, a full collection walks them all (~100 ms with 2,000
            # hosts, a key waits that long; bench/console.py "live facts")
            self._frozen_after_first_round = True
            gc.freeze()

    def report_failures(self) -> None:
        """One toast per kind of failure, with a count (never one toast per host)."""
        pending, self._unreported = self._unreported, {}
        for state, hosts in pending.items():
            names = ", ".join(hosts[:HOSTS_IN_TOAST])
            more = f" and {len(hosts) - HOSTS_IN_TOAST} more" if len(hosts) > HOSTS_IN_TOAST else ""
            noun = "host" if len(hosts) == 1 else "hosts"
            self.notify(f"{len(hosts)} {noun}: {names}{more}. Press e for details.",
                        title=str(state).capitalize(), severity="error",
                        timeout=self.toast_timeout)

    def on_refresh_facts(self, message: RefreshFacts) -> None:
        # the host view refreshes on a timer: it must not pop up a question declined already
        self.gather_facts(message.hosts, ask_again=not isinstance(self.screen, HostScreen))

    # errors ---------------------------------------------------------------------------------

    def record_error(self, error: BaseException, *, host: str = "") -> None:
        """Show ``error`` in a toast and keep it in the errors list (``e``)."""
        title = error.title if isinstance(error, KxError) else type(error).__name__
        host = host or (error.host or "" if isinstance(error, KxError) else "")
        message = str(error) or repr(error)
        self.errors.append(ErrorRecord(self.clock(), title, message, host))
        first = message.splitlines()[0] if message else title
        self.notify(first, title=title, severity="error", timeout=self.toast_timeout)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker_state(event.worker, event.state)

    def report_worker_state(self, worker: Worker[object], state: WorkerState) -> None:
        """The one place a failed background task becomes something the operator sees."""
        if state == WorkerState.ERROR and worker.error is not None:
            self.record_error(worker.error)

    # navigation -----------------------------------------------------------------------------

    def open_host(self, host: str) -> None:
        if host not in self.fleet.rows:
            self.notify(f"No host {host!r} in the inventory", severity="warning")
            return
        while isinstance(self.screen, HostScreen | HelpScreen | ErrorsScreen):
            self.pop_screen()
        self.push_screen(HostScreen(
            host, self.fleet, self.gatherer, clock=self.clock,
            facts_interval=self.facts_interval, max_log_lines=self.config.max_log_lines,
        ))

    def on_fleet_table_open_host(self, message: FleetTable.OpenHost) -> None:
        self.open_host(message.host)

    def action_help(self) -> None:
        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        focused = screen.focused
        where = scope_of(screen)
        for node in focused.ancestors_with_self if focused else ():
            if scope_of(node) not in ("Lists", type(node).__name__):
                where = scope_of(node)
                break
        self.push_screen(HelpScreen(where, help_entries(screen)))

    def action_errors(self) -> None:
        if not isinstance(self.screen, ErrorsScreen):
            self.push_screen(ErrorsScreen(list(self.errors)))

    def select_group(self, group: str) -> None:
        picked = self.fleet.select_group(group)
        for screen in self.screen_stack:
            if isinstance(screen, FleetScreen):
                screen.hosts_changed(set(picked))
        self.notify(f"Selected {len(picked)} hosts of {group}")

    def use_theme(self, theme: str) -> None:
        self.theme = theme

    # command palette ------------------------------------------------------------------------

    def palette_hosts(self) -> list[str]:
        return sorted(self.fleet.rows)

    def palette_groups(self) -> dict[str, int]:
        return {g: len(self.inventory.group_hosts(g)) for g in sorted(self.inventory.groups)}

    def palette_views(self) -> list[Entry]:
        return [
            ("Fleet view", self._to_fleet, "back to the table of all hosts"),
            ("Errors", self.action_errors, "every failure of this session"),
            ("Help: keys here", self.action_help, "the keys of the focused pane"),
            ("Refresh facts of all hosts", lambda: self.gather_facts(None), "re-gather"),
            ("Clear selection", self._clear_selection, "unselect every host"),
        ]

    def palette_themes(self) -> list[str]:
        return sorted(self.available_themes)

    def _to_fleet(self) -> None:
        while not isinstance(self.screen, FleetScreen) and len(self.screen_stack) > 1:
            self.pop_screen()

    def _clear_selection(self) -> None:
        names = set(self.fleet.selected)
        self.fleet.clear_selection()
        for screen in self.screen_stack:
            if isinstance(screen, FleetScreen):
                screen.hosts_changed(names)


def build_console(config: Config) -> KxConsoleApp:
    """The console for ``config``: inventories loaded (bad files become toasts), connectors
    from the inventory (hosts with ``connector: fake`` play the demo fleet)."""
    from kxconsole.actions.demo import demo_connector
    from kxconsole.connector.base import Connector
    from kxconsole.inventory.connect import connector_for, secret_store_for
    from kxconsole.inventory.loader import default_inventory_path, load_inventories
    from kxconsole.inventory.model import Host

    paths = config.inventories or [str(default_inventory_path())]
    inventory, errors = load_inventories(paths)
    # the console asks missing secrets in its own modal before it connects; a terminal
    # prompt (getpass) would fight it for the screen, so the store's own ask never asks
    secrets = secret_store_for(config, ask=_asked_by_the_modal, interactive=True)

    def factory(host: Host) -> Connector:
        if host.connector == "fake":  # scripted hosts, no SSH
            return demo_connector(host)
        return connector_for(host, inventory, secrets, config)

    return KxConsoleApp(inventory, connector_factory=factory, config=config,
                        startup_errors=errors, secrets=secrets)


def _asked_by_the_modal(prompt: str) -> str:
    # reached only for a secret the modal was not asked (e.g. a declined one): no answer
    return ""


def run_console(config: Config) -> int:
    """Open the console on ``config.inventories`` (default: the bundled local inventory) and
    return its exit status."""
    app = build_console(config)
    app.freeze_gc_after_start = True
    app.run()
    return app.return_code or 0
