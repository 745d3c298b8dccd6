"""Events the fleet core emits, as plain dataclasses (no Textual).

The console adapts them into Textual messages (``kxconsole.tui.messages``); the CLI and tests
read them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kxconsole.runner.models import Facts


class HostState(StrEnum):
    """Where a host stands, as shown in the fleet view's status column."""

    PENDING = "pending"  # not tried yet (waiting for a fan-out slot)
    CONNECTING = "connecting"
    UP = "up"
    UNREACHABLE = "unreachable"
    AUTH_FAILED = "auth failed"
    HOST_KEY_UNKNOWN = "host key unknown"
    HOST_KEY_CHANGED = "host key changed"
    TIMEOUT = "timeout"
    ERROR = "error"  # anything else (a bug or an unexpected failure), with its reason

    @property
    def is_failure(self) -> bool:
        return self not in (HostState.PENDING, HostState.CONNECTING, HostState.UP)


@dataclass(frozen=True)
class HostStateChanged:
    """``host`` moved to ``state``; ``reason`` is a short, one-line why (empty when fine)."""

    host: str
    state: HostState
    reason: str = ""
    at: float = 0.0


@dataclass(frozen=True)
class FactsGathered:
    """Facts of ``host`` as gathered at ``at`` (seconds since the epoch, from the clock)."""

    host: str
    facts: Facts = field(compare=False)
    at: float = 0.0


FleetEvent = HostStateChanged | FactsGathered
