"""Process helpers for the harnesses: process trees read from /proc, kills by PID only.

Everything here acts on PIDs this test process started (or their descendants); nothing is
matched by name.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1


class HarnessError(RuntimeError):
    """A harness could not provide or clean up a server; the message says what to do."""


def die_with_parent() -> None:
    """A ``preexec_fn``: the child gets SIGKILL when the test process dies, even by SIGKILL,
    so a crashed pytest leaves no server behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def comm(pid: int) -> str | None:
    """The process's short name, or None when it is gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def parent_map() -> dict[int, int]:
    """pid → ppid for every process, from one pass over /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # the comm field may contain spaces and parentheses: split after its closing paren
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
    return parents


def children_of(pid: int, parents: dict[int, int] | None = None) -> list[int]:
    parents = parent_map() if parents is None else parents
    return [p for p, pp in parents.items() if pp == pid]


def descendants_of(pid: int, parents: dict[int, int] | None = None) -> list[int]:
    """All descendants of ``pid`` (not ``pid`` itself), parents before children."""
    parents = parent_map() if parents is None else parents
    kids: dict[int, list[int]] = {}
    for p, pp in parents.items():
        kids.setdefault(pp, []).append(p)
    out: list[int] = []
    todo = list(kids.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def mount_ns(pid: int) -> str | None:
    """The mount namespace id (``mnt:[4026532...]``) of a process, or None when it is gone."""
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None


def kill_pids(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def is_gone(pid: int) -> bool:
    """Exited: no such process, or a zombie waiting for its parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] in "ZX"


def wait_gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    """Wait (bounded) until every pid is gone; returns those still alive."""
    deadline = time.monotonic() + timeout
    alive = [p for p in pids if not is_gone(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.01)
        alive = [p for p in alive if not is_gone(p)]
    return alive


def socket_inodes(pids: list[int]) -> set[int]:
    """Inodes of the sockets the given processes hold open."""
    inodes: set[int] = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    return inodes


def tcp_listeners() -> dict[tuple[str, int], int]:
    """(IPv4 address, port) → socket inode for every listening TCP socket of this network
    namespace (read from /proc/net/tcp, so probing makes no connection)."""
    listeners: dict[tuple[str, int], int] = {}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[3] != "0A":  # TCP_LISTEN
                continue
            hex_ip, hex_port = fields[1].split(":")
            ip = socket.inet_ntoa(int(hex_ip, 16).to_bytes(4, "little"))
            listeners[(ip, int(hex_port, 16))] = int(fields[9])
    return listeners


@dataclass
class Owned:
    """A process this harness started: what its ``comm`` may be, and the mount namespace of
    its own whose every process goes with it."""

    proc: subprocess.Popen[bytes]
    expected: tuple[str, ...]
    mount_namespace: str | None = None


def kill_owned(targets: Sequence[Owned]) -> None:
    """SIGKILL each target, its descendants and every process in its mount namespace (one
    pass over /proc for all), reap them and wait (bounded) until all are gone.

    The Popen object says whether the PID is still ours (not yet reaped); ``comm`` is checked
    too, so a recycled PID is never killed."""
    own_namespace = mount_ns(os.getpid())
    wanted = {t.mount_namespace for t in targets if t.mount_namespace} - {own_namespace}
    in_namespace: dict[str, list[int]] = {}
    if wanted:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                ns = mount_ns(int(entry))
                if ns is not None and ns in wanted:
                    in_namespace.setdefault(ns, []).append(int(entry))
    parents = parent_map()
    doomed: set[int] = set()
    for t in targets:
        if t.proc.poll() is None:
            name = comm(t.proc.pid)
            if name is not None and name not in t.expected:
                raise HarnessError(
                    f"refusing to kill pid {t.proc.pid}: it is {name!r}, not one of {t.expected}"
                )
            doomed |= {t.proc.pid, *descendants_of(t.proc.pid, parents)}
        if t.mount_namespace is not None and t.mount_namespace in wanted:
            doomed |= set(in_namespace.get(t.mount_namespace, []))
    kill_pids(sorted(doomed))
    for t in targets:
        if t.proc.poll() is None:
            t.proc.wait(timeout=10)
        for stream in (t.proc.stdin, t.proc.stdout, t.proc.stderr):
            if stream is not None:
                stream.close()
    left = wait_gone(sorted(doomed - {t.proc.pid for t in targets}))
    if left:
        raise HarnessError(f"processes {left} survived SIGKILL for 10 s")
