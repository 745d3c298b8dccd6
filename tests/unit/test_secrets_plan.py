"""Planning the console's secret questions: once per scope, only what no provider has, hosts
released as soon as nothing is missing for them, declined hosts never released."""

from __future__ import annotations

import pytest

from kxconsole.actions.secrets_plan import (
    SecretAsk,
    ask_then_release,
    forget_refused_login,
    plan_secret_prompts,
    prompt_provider_of,
)
from kxconsole.inventory.model import Group, Host, Inventory
from kxconsole.secrets import (
    EnvSecretProvider,
    PromptScope,
    PromptSecretProvider,
    Secret,
    SecretStore,
)


def _inventory() -> Inventory:
    inv = Inventory()
    inv.groups["prod"] = Group("prod", hosts=["p1", "p2", "p3"])
    inv.groups["web"] = Group("web", hosts=["w1", "w2"])
    for name in ("p1", "p2", "p3"):
        inv.hosts[name] = Host(name, groups=["prod"], password_secret="prod-login",
                               sudo_password_secret="prod-sudo")
    for name in ("w1", "w2"):
        inv.hosts[name] = Host(name, groups=["web"], private_key_secret="web-key")
    inv.hosts["lone"] = Host("lone", sudo_password_secret="lone-sudo")
    return inv


def _never(prompt: str) -> str:
    raise AssertionError(f"the synchronous prompt was asked: {prompt}")


def _store(scope: PromptScope = "group",
           env: dict[str, str] | None = None) -> tuple[SecretStore, PromptSecretProvider]:
    prompt = PromptSecretProvider(_never, scope=scope)
    return SecretStore([EnvSecretProvider(env or {}), prompt]), prompt


def test_one_question_per_secret_and_group() -> None:
    store, prompt = _store()
    plan = plan_secret_prompts(["p1", "p2", "p3", "w1", "w2", "lone"], _inventory(), store,
                               prompt)
    # a key text is never prompted for: the web hosts are ready (and fail on their own)
    assert plan.ready == ["w1", "w2"]
    assert [(a.name, a.prompt, a.hosts) for a in plan.asks] == [
        ("prod-login", "SSH password for group prod (3 hosts)", ("p1", "p2", "p3")),
        ("prod-sudo", "sudo password for group prod (3 hosts)", ("p1", "p2", "p3")),
        ("lone-sudo", "sudo password for host lone", ("lone",)),
    ]
    assert "KXCONSOLE_SECRET_PROD_LOGIN" in plan.asks[0].hint


@pytest.mark.parametrize(("scope", "asked"), [("host", 7), ("all", 3)])
def test_scope_decides_how_many_questions(scope: PromptScope, asked: int) -> None:
    store, prompt = _store(scope)
    plan = plan_secret_prompts(list(_inventory().hosts), _inventory(), store, prompt)
    assert len(plan.asks) == asked
    if scope == "all":
        assert plan.asks[0].prompt == "SSH password for all hosts (3 hosts)"


def test_secrets_known_elsewhere_or_already_answered_are_not_asked() -> None:
    store, prompt = _store(env={"KXCONSOLE_SECRET_PROD_LOGIN": "from-env"})
    inv = _inventory()
    prompt.answer(plan_secret_prompts(["lone"], inv, store, prompt).asks[0].requests[0], "pw")
    plan = plan_secret_prompts(["p1", "lone", "nosuch"], inv, store, prompt)
    assert plan.ready == ["lone", "nosuch"]
    assert [a.name for a in plan.asks] == ["prod-sudo"]


async def test_answers_release_hosts_and_a_declined_question_holds_them() -> None:
    store, prompt = _store()
    inv = _inventory()
    plan = plan_secret_prompts(["w1", "p1", "p2", "lone"], inv, store, prompt)
    released: list[list[str]] = []
    declined: list[tuple[str, str]] = []
    asked: list[str] = []
    answers = {"prod-login": Secret("login-pw"), "prod-sudo": Secret("sudo-pw")}

    async def ask(item: SecretAsk) -> Secret | None:
        asked.append(item.name)
        return answers.get(item.name)

    await ask_then_release(plan, prompt, ask, released.append,
                           lambda h, a: declined.append((h, a.declined_reason)))
    assert asked == ["prod-login", "prod-sudo", "lone-sudo"]
    # w1 first, before any question; the prod hosts once both their answers are in
    assert released == [["w1"], ["p1", "p2"]]
    assert declined == [("lone", "no password given (sudo password for host lone); press r "
                                 "in the fleet view to be asked again")]
    # the answers are where the synchronous lookup finds them (without asking)
    assert store.lookup(plan.asks[1].requests[0]) == Secret("sudo-pw")
    assert plan_secret_prompts(["p1", "p2", "p3"], inv, store, prompt).ready == ["p1", "p2", "p3"]
    # a declined question is asked again next time
    assert [a.name for a in plan_secret_prompts(["lone"], inv, store, prompt).asks] == [
        "lone-sudo"]


async def test_a_host_declined_twice_is_reported_once() -> None:
    store, prompt = _store()
    plan = plan_secret_prompts(["p1"], _inventory(), store, prompt)
    declined: list[str] = []

    async def no(item: SecretAsk) -> Secret | None:
        return None

    await ask_then_release(plan, prompt, no, lambda hosts: pytest.fail(f"released {hosts}"),
                           lambda h, a: declined.append(h))
    assert declined == ["p1"]


def test_prompt_provider_of() -> None:
    store, prompt = _store()
    assert prompt_provider_of(store) is prompt
    assert prompt_provider_of(SecretStore([EnvSecretProvider({})])) is None


def test_a_refused_login_forgets_the_typed_password_of_its_scope_only() -> None:
    store, prompt = _store()
    inv = _inventory()
    inv.groups["stage"] = Group("stage", hosts=["s1"])
    inv.hosts["s1"] = Host("s1", groups=["stage"], password_secret="prod-login")
    for item in plan_secret_prompts(["p1", "s1"], inv, store, prompt).asks:
        for request in item.requests:
            prompt.answer(request, "typed")
    assert forget_refused_login("p2", inv, prompt)
    assert [a.name for a in plan_secret_prompts(["p1", "s1"], inv, store, prompt).asks] == [
        "prod-login"]  # asked again for prod; the sudo answer and stage's are kept
    assert not forget_refused_login("p2", inv, prompt)
    assert not forget_refused_login("w1", inv, prompt)
    assert not forget_refused_login("nosuch", inv, prompt)
