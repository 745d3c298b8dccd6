"""Secrets as a type: a :class:`Secret` never shows its value by accident.

``str()``, ``repr()``, ``format()``, logging and JSON (``default=kx_json_default``) all give
``"********"``; only :meth:`Secret.reveal` returns the value, and only the transport calls it
(to write a password to sudo's stdin or hand it to asyncssh). Revealed values are also
scrubbed from log records once :func:`install_log_redaction` ran.

Providers answer a :class:`SecretRequest` by name: :class:`EnvSecretProvider`
(``KXCONSOLE_SECRET_<NAME>``), :class:`FileSecretProvider` (a 0600 ``name: value`` file),
:class:`PromptSecretProvider` (asks once per host, group or for all) and
:class:`MappingSecretProvider`; a :class:`SecretStore` chains them.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from kxconsole.errors import KxError

MASK = "********"


class Secret:
    """A secret value. Compare with ``==``; read with :meth:`reveal`; everything else masks."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        self._value: str = value._value if isinstance(value, Secret) else value

    def reveal(self) -> str:
        if len(self._value) >= _MIN_REDACT:
            _REVEALED.add(self._value)
        return self._value

    def to_json(self) -> str:
        return MASK

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")

    # immutable: copies are the same object (dataclasses.asdict and deepcopy work)
    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self


def as_secret(value: str | Secret | None) -> Secret | None:
    """Wrap a plain string (or keep a Secret); None stays None."""
    if value is None or isinstance(value, Secret):
        return value
    return Secret(value)


# ---- JSON and logging ----------------------------------------------------------------


def kx_json_default(obj: object) -> Any:
    """``json.dumps(data, default=kx_json_default)``: Secrets become ``"********"``; paths and
    dataclasses become plain JSON (their Secret fields masked too)."""
    if isinstance(obj, Secret):
        return MASK
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


_REVEALED: set[str] = set()  # values handed to a transport; scrubbed from log records
_MIN_REDACT = 3  # shorter values would blank ordinary words


def _redact(text: str) -> str:
    for value in sorted(_REVEALED, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Replaces every revealed secret value in a record's message with ``********``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _REVEALED:
            message = record.getMessage()
            clean = _redact(message)
            if clean != message:
                record.msg, record.args = clean, None
        return True


_installed = False


def install_log_redaction() -> None:
    """Redact revealed secrets from every log record created from now on, whatever the logger
    or handler (the record factory is wrapped, so handlers added later are covered too)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()
    redactor = RedactingFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redactor.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


# ---- providers -------------------------------------------------------------------------


class SecretError(KxError):
    """A secret is needed and no provider has it, or a secrets file is unsafe or malformed."""

    title = "Secret unavailable"


@dataclass(frozen=True)
class SecretRequest:
    """What a caller needs: the secret's ``name`` (e.g. ``prod-sudo``, ``node1.password``),
    what it is for (``purpose``, shown in prompts) and where (host, group: the prompt scope).
    ``interactive=False`` asks only providers that need no operator (env, file, inventory)."""

    name: str
    purpose: str = "password"
    host: str | None = None
    group: str | None = None
    interactive: bool = True


class SecretProvider(Protocol):
    def lookup(self, request: SecretRequest) -> Secret | None: ...


class MappingSecretProvider:
    """Secrets already in memory, by name (e.g. the inline ones of an inventory)."""

    def __init__(self, values: Mapping[str, Secret | str]) -> None:
        self._values = {k: Secret(v) if isinstance(v, str) else v for k, v in values.items()}

    def lookup(self, request: SecretRequest) -> Secret | None:
        return self._values.get(request.name)


class EnvSecretProvider:
    """``KXCONSOLE_SECRET_<NAME>``: the name upper-cased, every other character than A-Z, 0-9
    turned into ``_`` (``prod-sudo`` → ``KXCONSOLE_SECRET_PROD_SUDO``)."""

    PREFIX = "KXCONSOLE_SECRET_"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = os.environ if env is None else env

    @classmethod
    def variable_for(cls, name: str) -> str:
        return cls.PREFIX + re.sub(r"[^A-Z0-9]", "_", name.upper())

    def lookup(self, request: SecretRequest) -> Secret | None:
        value = self._env.get(self.variable_for(request.name))
        return Secret(value) if value else None


class FileSecretProvider:
    """A ``name: value`` file (YAML, or ``name = value`` lines), refused unless it is yours
    and nobody else can read it (mode 0600 or 0400)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._values = self._load()

    def lookup(self, request: SecretRequest) -> Secret | None:
        return self._values.get(request.name)

    def _load(self) -> dict[str, Secret]:
        path = self.path
        try:
            st = os.stat(path)
        except OSError as exc:
            raise SecretError(f"{path}: cannot read the secrets file ({exc.strerror}); check "
                              "the secrets_file setting") from None
        if st.st_uid != os.geteuid():
            raise SecretError(f"{path}: the secrets file belongs to uid {st.st_uid}, not to you "
                              f"(uid {os.geteuid()}); chown it to yourself and chmod 600 {path}")
        if st.st_mode & 0o077:
            raise SecretError(f"{path}: the secrets file is open to other users (mode "
                              f"{stat.S_IMODE(st.st_mode):04o}); run chmod 600 {path}")
        values: dict[str, Secret] = {}
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                text = line.strip()
                if not text or text.startswith(("#", ";", "---")):
                    continue
                m = _SECRET_LINE.match(text)
                if m is None:
                    # never echo the line: it may hold a secret
                    raise SecretError(f"{path}:{number}: not a 'name: value' line; write one "
                                      "secret per line as name: value")
                values[m.group(1)] = Secret(_unquote(m.group(2).strip()))
        return values


_SECRET_LINE = re.compile(r"^([A-Za-z0-9_.@/-]+)\s*[:=]\s*(.*)$")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


PromptScope = Literal["host", "group", "all"]


def _getpass_ask(prompt: str) -> str:
    import getpass

    return getpass.getpass(prompt + ": ")


class PromptSecretProvider:
    """Asks the operator, once per scope: per host, per group (the request's group, else its
    host) or once for all hosts. ``ask(prompt) -> str`` is injectable: the console passes its
    modal, tests a script; the default reads the terminal with ``getpass``. An empty answer
    means "no secret" and is not remembered."""

    def __init__(self, ask: Callable[[str], str] | None = None,
                 scope: PromptScope = "group") -> None:
        self._ask = ask or _getpass_ask
        self.scope = scope
        self._answers: dict[tuple[str, str | None], Secret] = {}

    def scope_key(self, request: SecretRequest) -> tuple[str, str | None]:
        """Requests with the same key share one answer (asked once)."""
        return self._key(request)

    def where(self, request: SecretRequest) -> str:
        """The scope in words, as prompts show it: ``group prod``, ``host web1``, ``all hosts``."""
        if self.scope == "all":
            return "all hosts"
        if self.scope == "group" and request.group:
            return f"group {request.group}"
        return f"host {request.host}" if request.host else "kxconsole"

    def _key(self, request: SecretRequest) -> tuple[str, str | None]:
        if self.scope == "all":
            return (request.name, None)
        if self.scope == "group":
            return (request.name, f"group:{request.group}" if request.group else request.host)
        return (request.name, request.host)

    def lookup(self, request: SecretRequest) -> Secret | None:
        if not request.interactive:
            return None
        key = self._key(request)
        if key in self._answers:
            return self._answers[key]
        answer = self._ask(f"{request.purpose} for {self.where(request)} "
                           f"(secret {request.name})")
        if not answer:
            return None
        self._answers[key] = Secret(answer)
        return self._answers[key]

    def answered(self, request: SecretRequest) -> bool:
        return self._key(request) in self._answers

    def answer(self, request: SecretRequest, value: str | Secret) -> None:
        """Remember an answer obtained elsewhere (e.g. an async modal asked before connecting,
        so that the synchronous lookup never blocks an event loop)."""
        self._answers[self._key(request)] = Secret(value)

    def forget_answer(self, request: SecretRequest) -> None:
        """Drop the one answer serving ``request`` (its scope), e.g. a refused password."""
        self._answers.pop(self._key(request), None)

    def forget(self, name: str | None = None) -> None:
        """Drop remembered answers (all, or one secret's), e.g. after a wrong password."""
        for key in [k for k in self._answers if name is None or k[0] == name]:
            del self._answers[key]


class SecretStore:
    """Providers in order; the first that has a value wins. Typical chain: inventory inline
    values, environment, secrets file, then the prompt."""

    def __init__(self, providers: Sequence[SecretProvider] = ()) -> None:
        self.providers: list[SecretProvider] = list(providers)

    def add(self, provider: SecretProvider, *, first: bool = False) -> None:
        if first:
            self.providers.insert(0, provider)
        else:
            self.providers.append(provider)

    def lookup(self, request: SecretRequest) -> Secret | None:
        for provider in self.providers:
            value = provider.lookup(request)
            if value is not None:
                return value
        return None

    def require(self, request: SecretRequest) -> Secret:
        value = self.lookup(request)
        if value is None:
            where = f" for host {request.host}" if request.host else ""
            raise SecretError(
                f"no value for secret {request.name!r} ({request.purpose}{where}); set "
                f"{EnvSecretProvider.variable_for(request.name)}, add it to the secrets file "
                "(secrets_file) or run interactively to be asked", host=request.host)
        return value

    def forget(self, name: str | None = None) -> None:
        for provider in self.providers:
            if isinstance(provider, PromptSecretProvider):
                provider.forget(name)
