"""Which secrets to ask the operator for before gathering hosts, once per prompt scope.

The console cannot answer a synchronous prompt from inside its event loop, so it asks up
front: :func:`plan_secret_prompts` lists the named secrets the hosts need that no
non-interactive provider (inventory, environment, secrets file) has and the prompt has not
been told yet, one :class:`SecretAsk` per scope (host, group or all). :func:`ask_then_release`
asks them one by one through an async callback, hands each answer to
:meth:`PromptSecretProvider.answer`, and releases each host as soon as nothing is missing for
it; hosts that needed no answer are released first, before any question. No Textual here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from kxconsole.inventory.connect import secret_requests_for
from kxconsole.inventory.model import Inventory
from kxconsole.secrets import (
    EnvSecretProvider,
    PromptSecretProvider,
    Secret,
    SecretRequest,
    SecretStore,
)

# a key text is many lines: it belongs in a file or the secrets file, not in a one-line prompt
NOT_PROMPTED = frozenset({"SSH private key"})
LOGIN_PURPOSE = "SSH password"  # as secret_requests_for names it


@dataclass(frozen=True)
class SecretAsk:
    """One question: secret ``name`` (what it is for: ``purpose``) for one scope (``where``,
    e.g. ``group prod``; ``key``: the prompt's scope key), the requests its answer serves and
    the hosts waiting on it."""

    key: tuple[str, str | None]
    name: str
    purpose: str
    where: str
    requests: tuple[SecretRequest, ...]
    hosts: tuple[str, ...]

    @property
    def prompt(self) -> str:
        """``sudo password for group prod (12 hosts)``, ``SSH password for host web1``."""
        count = len(self.hosts)
        if self.where == f"host {self.hosts[0]}" and count == 1:
            return f"{self.purpose} for {self.where}"
        return f"{self.purpose} for {self.where} ({count} host{'s' if count != 1 else ''})"

    @property
    def hint(self) -> str:
        """Where else the answer may come from, so the operator is not asked next time."""
        return (f"or set {EnvSecretProvider.variable_for(self.name)} or add {self.name} to "
                "the secrets file")

    @property
    def declined_reason(self) -> str:
        return (f"no password given ({self.purpose} for {self.where}); press r in the fleet "
                "view to be asked again")


@dataclass
class SecretPlan:
    """``ready``: hosts that need no answer; ``asks``: the questions, in the hosts' order."""

    ready: list[str] = field(default_factory=list)
    asks: list[SecretAsk] = field(default_factory=list)


def prompt_provider_of(store: SecretStore) -> PromptSecretProvider | None:
    """The store's prompt (None when it was built non-interactive)."""
    for provider in store.providers:
        if isinstance(provider, PromptSecretProvider):
            return provider
    return None


def missing_secret_requests(
    host: str, inventory: Inventory, store: SecretStore, prompt: PromptSecretProvider
) -> list[SecretRequest]:
    """The requests of ``host`` that only the operator can answer and has not answered yet."""
    return [
        request for request in secret_requests_for(inventory.hosts[host], inventory)
        if request.purpose not in NOT_PROMPTED
        and not prompt.answered(request)
        and store.lookup(dataclasses.replace(request, interactive=False)) is None
    ]


def plan_secret_prompts(
    hosts: Iterable[str], inventory: Inventory, store: SecretStore,
    prompt: PromptSecretProvider,
) -> SecretPlan:
    """Split ``hosts`` (names in ``inventory``; unknown names count as ready and fail later
    with their own error) into those ready now and the questions the others wait on."""
    plan = SecretPlan()
    by_scope: dict[tuple[str, str | None], tuple[list[SecretRequest], list[str]]] = {}
    for host in hosts:
        missing = missing_secret_requests(host, inventory, store, prompt) \
            if host in inventory.hosts else []
        if not missing:
            plan.ready.append(host)
        for request in missing:
            requests, waiting = by_scope.setdefault(prompt.scope_key(request), ([], []))
            if request not in requests:
                requests.append(request)
            if host not in waiting:
                waiting.append(host)
    for key, (requests, waiting) in by_scope.items():
        first = requests[0]
        plan.asks.append(SecretAsk(key, first.name, first.purpose, prompt.where(first),
                                   tuple(requests), tuple(waiting)))
    return plan


def forget_refused_login(host: str, inventory: Inventory, prompt: PromptSecretProvider) -> bool:
    """After ``host`` refused our login: drop the SSH passwords the operator typed for it (for
    its whole scope), so that the next gather asks again instead of retrying a typo. True if
    one was dropped."""
    if host not in inventory.hosts:
        return False
    dropped = False
    for request in secret_requests_for(inventory.hosts[host], inventory):
        if request.purpose == LOGIN_PURPOSE and prompt.answered(request):
            prompt.forget_answer(request)
            dropped = True
    return dropped


AskFn = Callable[[SecretAsk], Awaitable[Secret | None]]


async def ask_then_release(
    plan: SecretPlan,
    prompt: PromptSecretProvider,
    ask: AskFn,
    release: Callable[[list[str]], object],
    decline: Callable[[str, SecretAsk], object],
) -> None:
    """Release ``plan.ready`` at once, then ask each question in turn: an answer goes to
    ``prompt``; a host is released once all its questions are answered. ``None`` (or an empty
    answer) declines: every host waiting on it gets ``decline(host, ask)``, once, and is not
    released."""
    if plan.ready:
        release(list(plan.ready))
    questions_left: dict[str, int] = {}
    for item in plan.asks:
        for host in item.hosts:
            questions_left[host] = questions_left.get(host, 0) + 1
    declined: set[str] = set()
    for item in plan.asks:
        value = await ask(item)
        if value:
            for request in item.requests:
                prompt.answer(request, value)
        freed: list[str] = []
        for host in item.hosts:
            questions_left[host] -= 1
            if not value and host not in declined:
                declined.add(host)
                decline(host, item)
            if questions_left[host] == 0 and host not in declined:
                freed.append(host)
        if freed:
            release(freed)
