"""Runner/fleet events → Textual messages, batched.

The fleet core calls a plain callback per event; :class:`EventBatcher` collects them and posts
one :class:`FleetEvents` message per flush (a few times per second), so 2,000 hosts answering
at once cost a handful of messages and table updates, never one per fact.
"""

from __future__ import annotations

from typing import Protocol

from textual.message import Message
from textual.message_pump import MessagePump
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from kxconsole.actions.events import FleetEvent


class FailureReporter(Protocol):
    """The app's one handler of failed workers (a screen's worker messages do not bubble, so
    screens forward theirs here)."""

    def report_worker_state(self, worker: Worker[object], state: WorkerState) -> None: ...


class FleetEvents(Message):
    """A batch of fleet events, in the order they happened."""

    def __init__(self, events: list[FleetEvent]) -> None:
        super().__init__()
        self.events = events


class GatherRoundDone(Message):
    """A gather round (all hosts, or the ones asked for) finished."""

    def __init__(self, hosts: int) -> None:
        super().__init__()
        self.hosts = hosts


class EventBatcher:
    """Collects events and posts them to ``target`` every ``interval`` seconds (when any)."""

    def __init__(self, target: MessagePump, interval: float = 0.25) -> None:
        self.target = target
        self.interval = interval
        self._pending: list[FleetEvent] = []
        self._timer: Timer | None = None

    def start(self) -> None:
        self._timer = self.target.set_interval(self.interval, self.flush, name="fleet-events")

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def __call__(self, event: FleetEvent) -> None:
        self._pending.append(event)

    def flush(self) -> None:
        """Post what has been collected now (also called at the end of a round)."""
        if self._pending:
            events, self._pending = self._pending, []
            self.target.post_message(FleetEvents(events))


class RefreshFacts(Message):
    """Re-gather facts of ``hosts`` (None: every host)."""

    def __init__(self, hosts: list[str] | None = None) -> None:
        super().__init__()
        self.hosts = hosts
