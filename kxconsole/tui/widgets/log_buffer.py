"""The log panel's data, free of widgets: bytes → lines, a bounded buffer, a filtered view.

Writers call :meth:`LogBuffer.feed` as often as they like; it only splits bytes into lines and
appends them to ``pending``. The panel's timer calls :meth:`LogBuffer.commit`, which moves all
pending lines into the buffer in one step and says what changed, so the widget is updated once
per tick whatever the line rate.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import repeat
from typing import Final, Literal

from kxconsole.errors import ValidationError

StreamName = Literal["stdout", "stderr"]

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


LogLine = tuple[int, str | None, StreamName, str]
"""One complete line: ``(seq, host, stream, text)``. ``seq`` numbers lines in arrival order
across all hosts. A plain tuple, not a NamedTuple: built by ``zip`` at C speed, 50k a second."""

# field positions (Final, so mypy knows the type of each field)
SEQ: Final = 0
HOST: Final = 1
STREAM: Final = 2
TEXT: Final = 3

# A line longer than this without a newline is shown in pieces, so memory stays bounded.
MAX_PARTIAL = 64 * 1024

# Bytes that need no cleaning: printable ASCII and the newline.
_PLAIN = bytes(range(0x20, 0x7F)) + b"\n"


def clean_text(text: str) -> str:
    """Printable text: a trailing CR dropped, text before a CR dropped, ANSI escapes dropped,
    tabs expanded, other controls shown as �."""
    if text.endswith("\r"):
        text = text[:-1]
    if "\r" in text:  # progress output ("10%\r20%\r..."): keep what a terminal would show
        text = text[text.rfind("\r") + 1 :]
    if text.isprintable():
        return text
    text = _ANSI.sub("", text).expandtabs()
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)


def compile_pattern(text: str) -> re.Pattern[str]:
    """A search/filter regex; case-insensitive unless it has a capital letter (smart case)."""
    flags = 0 if any(c.isupper() for c in text) else re.IGNORECASE
    try:
        return re.compile(text, flags)
    except re.error as exc:
        raise ValidationError(
            f"bad regex {text!r}: {exc.msg} at position {exc.pos}. Fix it, or escape special "
            "characters with a backslash.",
            title="Bad regex",
        ) from exc


def host_tag(host: str | None) -> str:
    """The merged-view prefix of a host, without padding: ``[web1]``."""
    return f"[{host}]" if host is not None else "[-]"


@dataclass(frozen=True)
class Commit:
    """What one :meth:`LogBuffer.commit` changed."""

    added: int  # lines added to the buffer
    shown_added: int  # of those, lines that passed the filter (added to the view)
    shown_removed: int  # lines dropped from the front of the view (max_lines)


class LogBuffer:
    """Lines of many (host, stream) sources, at most ``max_lines`` kept. ``merged``: lines of
    several hosts shown together, each with its ``[host]`` prefix.

    ``lines`` is everything kept (oldest first); ``view`` the lines that pass the filter (the
    same list object when there is no filter). Partial lines wait per (host, stream) until
    their newline arrives.
    """

    def __init__(self, max_lines: int = 10_000, *, merged: bool = False) -> None:
        if max_lines < 1:
            raise ValueError(f"max_lines must be at least 1, not {max_lines}")
        self.max_lines = max_lines
        self.merged = merged
        self.lines: list[LogLine] = []
        self.view: list[LogLine] = self.lines
        self.pending: list[LogLine] = []
        self.received = 0  # complete lines ever fed
        self.dropped = 0  # lines dropped to keep within max_lines
        self.hosts: dict[str | None, int] = {}  # host → 0, 1, 2... in order of first line
        self.filter: re.Pattern[str] | None = None
        self.filter_inverse = False
        self._partial: dict[tuple[str | None, StreamName], bytes] = {}
        self._seq = 0

    # writing ------------------------------------------------------------------------------

    def feed(self, host: str | None, stream: StreamName, data: bytes) -> None:
        """Split ``data`` into lines and queue them; a trailing partial line is kept."""
        key = (host, stream)
        partial = self._partial.pop(key, b"")
        if partial:
            data = partial + data
        end = data.rfind(b"\n")
        if end < 0:
            if len(data) > MAX_PARTIAL:  # no newline in sight (binary?): break the line here
                self._queue(host, stream, [clean_text(data.decode("utf-8", "replace"))])
            elif data:
                self._partial[key] = data
            return
        if end + 1 < len(data):
            self._partial[key] = data[end + 1 :]
        complete = data[:end]
        if complete.translate(None, _PLAIN):  # controls or non-ASCII: the careful way
            # "\n" never occurs inside a UTF-8 sequence, so the complete part decodes at once
            texts = [clean_text(t) for t in complete.decode("utf-8", "replace").split("\n")]
        else:
            texts = complete.decode("ascii").split("\n")
        self._queue(host, stream, texts)

    def end_stream(self, host: str | None, stream: StreamName | None = None) -> None:
        """The source ended: its partial lines (if any) become complete lines."""
        streams: tuple[StreamName, ...] = ("stdout", "stderr") if stream is None else (stream,)
        for name in streams:
            partial = self._partial.pop((host, name), b"")
            if partial:
                self._queue(host, name, [clean_text(partial.decode("utf-8", "replace"))])

    def _queue(self, host: str | None, stream: StreamName, texts: list[str]) -> None:
        """Queue clean ``texts`` as lines; keeps the queue bounded if the timer is late."""
        if host not in self.hosts:
            self.hosts[host] = len(self.hosts)
        count = len(texts)
        pending = self.pending
        seqs = range(self._seq, self._seq + count)
        pending.extend(zip(seqs, repeat(host), repeat(stream), texts))
        self._seq += count
        self.received += count
        if len(pending) > 2 * self.max_lines:  # keep memory bounded anyway
            overflow = len(pending) - self.max_lines
            del pending[:overflow]
            self.dropped += overflow

    # committing ---------------------------------------------------------------------------

    def commit(self) -> Commit:
        """Move pending lines into the buffer (and the view), trimming to ``max_lines``."""
        new = self.pending
        if not new:
            return Commit(0, 0, 0)
        self.pending = []
        if len(new) > self.max_lines:
            self.dropped += len(new) - self.max_lines
            new = new[-self.max_lines :]
        lines = self.lines
        shown_before = len(self.view)
        lines.extend(new)
        trim = len(lines) - self.max_lines
        if trim > 0:
            del lines[:trim]
            self.dropped += trim
        if self.view is lines:
            shown_added = len(new)
        else:
            matched = [line for line in new if self.passes(line)]
            self.view.extend(matched)
            shown_added = len(matched)
            first_kept = lines[0][SEQ]
            cut = bisect_left(self.view, first_kept, key=_seq)
            if cut:
                del self.view[:cut]
        return Commit(len(new), shown_added, shown_before + shown_added - len(self.view))

    def clear(self) -> None:
        """Forget every line, pending and partial ones too."""
        self.lines.clear()
        if self.view is not self.lines:
            self.view.clear()
        self.pending.clear()
        self._partial.clear()
        self.hosts.clear()

    # filtering ----------------------------------------------------------------------------

    def set_filter(self, pattern: re.Pattern[str] | None, inverse: bool = False) -> None:
        """Show only lines matching ``pattern`` (or not matching, if ``inverse``); None shows
        all. The buffer is untouched, so clearing the filter brings every kept line back."""
        self.filter = pattern
        self.filter_inverse = inverse
        if pattern is None:
            self.view = self.lines
        else:
            self.view = [line for line in self.lines if self.passes(line)]

    def passes(self, line: LogLine) -> bool:
        """Whether ``line`` passes the filter. It matches ``[host] text`` in a merged buffer,
        so a filter can select hosts."""
        if self.filter is None:
            return True
        subject = f"{host_tag(line[HOST])} {line[TEXT]}" if self.merged else line[TEXT]
        return (self.filter.search(subject) is None) is self.filter_inverse

    # reading ------------------------------------------------------------------------------

    def index_of(self, seq: int) -> int | None:
        """Position of line ``seq`` in the view, or None if it is not shown."""
        view = self.view
        i = bisect_left(view, seq, key=_seq)
        return i if i < len(view) and view[i][SEQ] == seq else None

    def nearest_index(self, seq: int) -> int:
        """Position in the view of line ``seq`` or, if hidden, of the next shown line."""
        return min(bisect_left(self.view, seq, key=_seq), max(0, len(self.view) - 1))


def _seq(line: LogLine) -> int:
    return line[SEQ]
