"""The console's secret prompt: asked once per group before its hosts are gathered, the answer
reaches every host's ConnectionConfig, Esc leaves the hosts in a clear error state, and the
typed text is nowhere on screen, in toasts, in the errors list or in the logs."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from kxconsole.actions.demo import demo_replies
from kxconsole.config import Config
from kxconsole.connector.base import ConnectionConfig, Connector
from kxconsole.connector.fake import FakeConnector
from kxconsole.errors import AuthError
from kxconsole.inventory.connect import connection_config_for, secret_store_for
from kxconsole.inventory.model import Host, Inventory
from kxconsole.secrets import Secret, SecretStore, install_log_redaction
from kxconsole.tui.app import KxConsoleApp
from kxconsole.tui.screens.secret_prompt import SecretPromptScreen
from tests.tui.console_fixtures import demo_inventory, make_app, settle

TYPED = "hunter2Zq9x"  # letters and digits only: pilot.press takes them as keys
PROD = ["prod-01", "prod-02", "prod-03"]
WEB = ["web-01", "web-02"]
WAIT_STEPS = 400  # x 0.05 s: generous for a loaded 2-core machine


def _inventory() -> Inventory:
    inv = demo_inventory({"web": 2, "prod": 3}, protected=())
    for name in PROD:
        inv.hosts[name] = dataclasses.replace(inv.hosts[name], password_secret="prod-login",
                                              sudo_password_secret="prod-sudo")
    return inv


def _no_sync_prompt(prompt: str) -> str:
    raise AssertionError(f"the terminal prompt was asked: {prompt}")


def _console(configs: dict[str, ConnectionConfig], **kwargs: object) -> KxConsoleApp:
    """The console with fake hosts whose connectors record the config they were given."""
    inv = _inventory()
    config = Config()
    store: SecretStore = secret_store_for(config, ask=_no_sync_prompt, env={})

    def factory(host: Host) -> Connector:
        cfg = connection_config_for(host, inv, store, config)
        configs[host.name] = cfg
        return FakeConnector(cfg, replies=demo_replies(host.name))

    return make_app(inv, connector_factory=factory, secrets=store, **kwargs)


async def _wait_for(pilot: Pilot[object], what: str, done: object) -> None:
    for _ in range(WAIT_STEPS):
        if done():  # type: ignore[operator]
            return
        await pilot.pause(0.05)
    raise AssertionError(f"waited {WAIT_STEPS * 0.05:g} s for {what}")


async def _prompt(pilot: Pilot[object], app: KxConsoleApp) -> SecretPromptScreen:
    await _wait_for(pilot, "the secret prompt",
                    lambda: isinstance(app.screen, SecretPromptScreen))
    screen = app.screen
    assert isinstance(screen, SecretPromptScreen)
    await pilot.pause()
    return screen


async def _facts_done(pilot: Pilot[object], app: KxConsoleApp) -> None:
    """Every gathering worker finished and its events applied (the prompt's may still wait)."""
    for _ in range(WAIT_STEPS):
        running = [w for w in app.workers if w.group == "facts" and not w.is_finished]
        if not running:
            break
        await asyncio.wait_for(running[0].wait(), timeout=30)
    app.flush_now()
    await pilot.pause()


def _states(app: KxConsoleApp, hosts: list[str]) -> set[str]:
    return {str(app.fleet.rows[h].state) for h in hosts}


def _toasts(app: KxConsoleApp) -> str:
    return "\n".join(f"{n.title} {n.message}" for n in app._notifications)


async def test_asked_once_per_group_and_the_answer_reaches_every_host(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_redaction()
    configs: dict[str, ConnectionConfig] = {}
    app = _console(configs)
    questions: list[str] = []
    with caplog.at_level(logging.DEBUG):
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await _prompt(pilot, app)
            # hosts that need no secret do not wait for the question
            await _facts_done(pilot, app)
            assert _states(app, WEB) == {"up"}
            assert not set(PROD) & set(configs)
            for _ in range(2):  # login, then sudo password
                screen = await _prompt(pilot, app)
                questions.append(screen.question)
                field = screen.query_one(Input)
                await pilot.press(*TYPED)
                shown = app.export_screenshot()
                assert TYPED not in shown and "•" * len(TYPED) in shown
                await pilot.press("enter")
                await _wait_for(pilot, "the prompt to close", lambda s=screen: app.screen is not s)
                assert field.value == ""
            await settle(pilot, app)
            assert questions == ["SSH password for group prod (3 hosts)",
                                 "sudo password for group prod (3 hosts)"]
            assert _states(app, PROD) == {"up"}
            for name in PROD:
                assert configs[name].password == Secret(TYPED)
                assert configs[name].sudo_password == Secret(TYPED)
            assert configs["web-01"].password is None
            # refresh: the answers are remembered, nobody is asked again
            await pilot.press("r")
            await settle(pilot, app)
            assert not isinstance(app.screen, SecretPromptScreen)
            assert TYPED not in app.export_screenshot()
            assert TYPED not in _toasts(app)
            assert not any(TYPED in f"{e.title} {e.message}" for e in app.errors)
    assert TYPED not in caplog.text


async def test_esc_gives_no_password_and_the_group_is_not_tried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configs: dict[str, ConnectionConfig] = {}
    app = _console(configs)
    with caplog.at_level(logging.DEBUG):
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await _prompt(pilot, app)
            field = screen.query_one(Input)
            await pilot.press("x", "y", "escape")
            await _wait_for(pilot, "the prompt to close", lambda: app.screen is not screen)
            assert field.value == ""
            # the sudo question is still asked (it is another secret); Esc again
            screen = await _prompt(pilot, app)
            assert screen.question.startswith("sudo password")
            await pilot.press("enter")  # an empty answer is no answer
            await settle(pilot, app)
            assert not set(PROD) & set(configs), "hosts without a password were tried"
            assert _states(app, PROD) == {"error"}
            assert _states(app, WEB) == {"up"}
            reason = app.fleet.rows["prod-01"].reason
            assert reason.startswith("no password given (SSH password for group prod)")
            assert {e.host for e in app.errors} == set(PROD)
            assert "3 hosts: prod-01, prod-02, prod-03" in _toasts(app)
            # r asks again
            await pilot.press("r")
            await _prompt(pilot, app)
            await pilot.press("escape")
            await _prompt(pilot, app)
            await pilot.press("escape")
            await settle(pilot, app)
    assert "xy" not in caplog.text


async def test_a_refused_password_is_asked_again_on_refresh() -> None:
    configs: dict[str, ConnectionConfig] = {}
    inv = _inventory()
    config = Config()
    store: SecretStore = secret_store_for(config, ask=_no_sync_prompt, env={})

    def factory(host: Host) -> Connector:
        cfg = connection_config_for(host, inv, store, config)
        configs[host.name] = cfg
        refused = cfg.password is not None and cfg.password != Secret(TYPED)
        return FakeConnector(cfg, replies=demo_replies(host.name),
                             fail_connect=AuthError(f"{host.name}: password refused")
                             if refused else None)

    app = make_app(inv, connector_factory=factory, secrets=store)
    async with app.run_test(size=(100, 30)) as pilot:
        questions = []
        for answer in ("typo", TYPED, TYPED):
            screen = await _prompt(pilot, app)
            questions.append(screen.question.split(" for ")[0])
            await pilot.press(*answer, "enter")
            await _wait_for(pilot, "the prompt to close", lambda s=screen: app.screen is not s)
            if len(questions) == 2:
                await settle(pilot, app)
                assert _states(app, PROD) == {"auth failed"}
                await pilot.press("r")
        await settle(pilot, app)
        # the sudo password was asked once and kept across the retry
        assert questions == ["SSH password", "sudo password", "SSH password"]
        assert _states(app, PROD) == {"up"}
        assert configs["prod-01"].password == Secret(TYPED)


async def test_the_host_view_timer_does_not_ask_a_declined_question_again() -> None:
    configs: dict[str, ConnectionConfig] = {}
    app = _console(configs, facts_interval=0.2)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(2):
            await _prompt(pilot, app)
            await pilot.press("escape")
        await settle(pilot, app)
        app.open_host("prod-01")
        await pilot.pause()
        for _ in range(20):  # 1 s: about 5 timed refreshes of prod-01
            await pilot.pause(0.05)
            assert not isinstance(app.screen, SecretPromptScreen)
        await settle(pilot, app)
        refreshes = sum(1 for e in app.errors if e.host == "prod-01")
        assert refreshes > 1, "the host view did not refresh"
        assert "prod-01" not in configs
        app.pop_screen()
        await pilot.press("r")  # in the fleet view: asked again
        await _prompt(pilot, app)
        await pilot.press("escape")
        await _prompt(pilot, app)
        await pilot.press("escape")


def test_secret_prompt_snapshot(snap_compare) -> None:  # type: ignore[no-untyped-def]
    configs: dict[str, ConnectionConfig] = {}
    app = _console(configs)

    async def run_before(pilot: Pilot[object]) -> None:
        await _prompt(pilot, app)
        await _facts_done(pilot, app)
        await pilot.press(*"secret")

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
