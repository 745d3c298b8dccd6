"""Secrets as a type: a :class:`Secret` never shows its value by accident.

``str()``, ``repr()``, ``format()``, logging and JSON all give ``"********"``; only
:meth:`Secret.reveal` returns the value, and only the transport calls it (to write a password
to sudo's stdin or hand it to asyncssh). Providers (prompt, environment, 0600 file) live
in this module too.
"""

from __future__ import annotations

from typing import Any

MASK = "********"


class Secret:
    """A secret value. Compare with ``==``; read with :meth:`reveal`; everything else masks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        self._value = value

    def reveal(self) -> str:
        return self._value

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


def as_secret(value: str | Secret | None) -> Secret | None:
    """Wrap a plain string (or keep a Secret); None stays None."""
    if value is None or isinstance(value, Secret):
        return value
    return Secret(value)
