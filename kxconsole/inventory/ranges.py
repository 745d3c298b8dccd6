"""Host ranges: ``node[01-20]``, ``web-[a-c]``, Ansible's ``db[01:03]`` and ``[1:9:2]``.

A pattern may hold several brackets (``r[1-2]n[1-3]`` is six names); numbers keep the
zero padding of the start (``[01-10]`` gives ``01`` … ``10``); letters run within one case.
"""

from __future__ import annotations

import re

_BRACKET = re.compile(r"\[([^\[\]]*)\]")
_NUM = re.compile(r"^(\d+)\s*[-:]\s*(\d+)(?::(\d+))?$")
_ALPHA = re.compile(r"^([a-zA-Z])\s*[-:]\s*([a-zA-Z])(?::(\d+))?$")
MAX_RANGE = 100_000


class RangeError(ValueError):
    """A bracket that is not a valid range; the message says how to write one."""


def has_range(name: str) -> bool:
    return "[" in name


def expand(pattern: str) -> list[str]:
    """Every name a pattern stands for, in order; a plain name is itself."""
    if "[" not in pattern and "]" not in pattern:
        return [pattern]
    m = _BRACKET.search(pattern)
    if m is None:
        raise RangeError(f"unbalanced bracket in host pattern {pattern!r}")
    head, tail = pattern[: m.start()], pattern[m.end() :]
    if "]" in head:
        raise RangeError(f"unbalanced bracket in host pattern {pattern!r}")
    items = _items(m.group(1), pattern)
    rest = expand(tail)
    return [f"{head}{item}{t}" for item in items for t in rest]


def _items(spec: str, pattern: str) -> list[str]:
    spec = spec.strip()
    if m := _NUM.match(spec):
        start_s, end_s, step_s = m.groups()
        start, end, step = int(start_s), int(end_s), int(step_s or 1)
        _check(start, end, step, pattern)
        width = len(start_s) if start_s.startswith("0") else 0
        return [str(i).zfill(width) for i in range(start, end + 1, step)]
    if m := _ALPHA.match(spec):
        a, b, step_s = m.groups()
        step = int(step_s or 1)
        if a.islower() != b.islower():
            raise RangeError(f"range [{spec}] in {pattern!r} mixes upper and lower case")
        _check(ord(a), ord(b), step, pattern)
        return [chr(i) for i in range(ord(a), ord(b) + 1, step)]
    raise RangeError(
        f"bad range [{spec}] in host pattern {pattern!r} (not numbers or single letters)"
    )


def _check(start: int, end: int, step: int, pattern: str) -> None:
    if end < start:
        raise RangeError(f"range in {pattern!r} runs backwards ({start} > {end})")
    if step < 1:
        raise RangeError(f"range step in {pattern!r} must be at least 1")
    if (end - start) // step + 1 > MAX_RANGE:
        raise RangeError(f"range in {pattern!r} has more than {MAX_RANGE} names")
