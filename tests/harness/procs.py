"""Process helpers for the harnesses: process trees read from /proc, kills by PID only.

Everything here acts on PIDs this test process started (or their descendants, or what runs in
their own mount namespaces); nothing is matched by name, and no PID is signalled unless it still
is the process that was seen (start time checked through a pidfd).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class HarnessError(RuntimeError):
    """A harness could not provide or clean up a server; the message says what to do."""


# seconds for servers to listen once all are spawned: generous, other test runs share 2 cores
START_TIMEOUT = 10.0
START_TIMEOUT_PER_HOST = 0.1

# argv prefix: the child gets SIGKILL when the test process dies, even by SIGKILL, so a crashed
# pytest leaves no server behind. (A preexec_fn doing the same prctl costs ~25 ms per spawn:
# it forces fork() of the whole interpreter instead of vfork().)
DIE_WITH_PARENT = ("setpriv", "--pdeathsig", "KILL", "--")


def comm(pid: int) -> str | None:
    """The process's short name, or None when it is gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def _stat_fields(pid: int | str) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the comm field may contain spaces and parentheses: split after its closing paren
    return stat[stat.rindex(")") + 2 :].split()


def start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot): with the PID, its identity."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def process_table() -> dict[int, tuple[int, int]]:
    """pid → (ppid, start time) for every process, from one pass over /proc."""
    table: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(entry)
            if fields:
                table[int(entry)] = (int(fields[1]), int(fields[19]))
    return table


def parent_map() -> dict[int, int]:
    """pid → ppid for every process, from one pass over /proc."""
    return {pid: ppid for pid, (ppid, _) in process_table().items()}


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


def kill_pids(pids: Iterable[int], started: Mapping[int, int]) -> None:
    """SIGKILL each pid that is still the process seen when ``started`` (pid → start time)
    was read. PIDs wrap quickly on a busy machine (pid_max may be 32768), so the signal goes
    through a pidfd, opened first and checked after: the pidfd pins the PID number."""
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            if start_time(pid) == started.get(pid):
                signal.pidfd_send_signal(fd, signal.SIGKILL)
        except ProcessLookupError:
            pass
        finally:
            os.close(fd)


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


class PinnedNamespace:
    """A mount namespace held open by a file descriptor. The kernel hands a freed namespace's
    id to the next new namespace at once, so scanning /proc for a namespace by id is only safe
    while we hold it: otherwise a stale id would match someone else's processes."""

    def __init__(self, pid: int) -> None:
        self.fd: int | None = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        self.id = os.readlink(f"/proc/self/fd/{self.fd}")

    @property
    def held(self) -> bool:
        return self.fd is not None

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def pin_mount_ns(pid: int) -> PinnedNamespace | None:
    """Pin the mount namespace of ``pid`` (a live child of ours), unless it is our own."""
    try:
        pinned = PinnedNamespace(pid)
    except OSError:
        return None
    if pinned.id == mount_ns(os.getpid()):
        pinned.release()
        return None
    return pinned


@dataclass
class Owned:
    """A process this harness started: what its ``comm`` may be, and the mount namespace of
    its own whose every process goes with it."""

    proc: subprocess.Popen[bytes]
    expected: tuple[str, ...]
    namespace: PinnedNamespace | None = None


def _in_namespaces(table: Mapping[int, object], namespaces: set[str]) -> set[int]:
    if not namespaces:
        return set()
    return {pid for pid in table if mount_ns(pid) in namespaces}


def kill_owned(targets: Sequence[Owned]) -> None:
    """SIGKILL each target, its descendants and every process in its (pinned) mount namespace
    (one pass over /proc for all), reap them, wait (bounded) until all are gone, and release
    the namespaces.

    The Popen object says whether the PID is still ours (not yet reaped); ``comm`` is checked
    too, so a recycled PID is never killed."""
    own_namespace = mount_ns(os.getpid())
    pinned = [t.namespace for t in targets if t.namespace is not None and t.namespace.held]
    wanted = {ns.id for ns in pinned} - {own_namespace}
    table = process_table()
    parents = {pid: ppid for pid, (ppid, _) in table.items()}
    doomed: set[int] = set()
    for t in targets:
        if t.proc.poll() is None:
            name = comm(t.proc.pid)
            if name is not None and name not in t.expected:
                raise HarnessError(
                    f"refusing to kill pid {t.proc.pid}: it is {name!r}, not one of {t.expected}"
                )
            doomed |= {t.proc.pid, *descendants_of(t.proc.pid, parents)}
    doomed |= _in_namespaces(table, wanted)
    kill_pids(sorted(doomed), {pid: table[pid][1] for pid in doomed if pid in table})
    for t in targets:
        if t.proc.poll() is None:
            t.proc.wait(timeout=10)
        for stream in (t.proc.stdin, t.proc.stdout, t.proc.stderr):
            if stream is not None:
                stream.close()
    left = wait_gone(sorted(doomed - {t.proc.pid for t in targets}))
    if wanted:  # what a dying session forked meanwhile, while the namespaces are still pinned
        table = process_table()
        late = _in_namespaces(table, wanted) - doomed
        kill_pids(sorted(late), {pid: table[pid][1] for pid in late})
        left += wait_gone(sorted(late))
    for namespace in pinned:  # emptied: let the kernel free it (and reuse its id)
        namespace.release()
    if left:
        raise HarnessError(f"processes {left} survived SIGKILL for 10 s")


def wait_listening(
    pending: list[Any],
    is_alive: Callable[[Any], bool],
    pids_of: Callable[[Any, dict[int, int]], list[int]],
    timeout: float | None = None,
) -> list[Any]:
    """Wait until every item's (address, port) is a listening socket owned by one of
    ``pids_of(item, parent_map)``; returns the items whose process died first. Raises on
    timeout."""
    if timeout is None:
        timeout = START_TIMEOUT + START_TIMEOUT_PER_HOST * len(pending)
    deadline = time.monotonic() + timeout
    waiting = list(pending)
    died: list[Any] = []
    while waiting:
        listeners = tcp_listeners()
        parents = parent_map()
        still = []
        for item in waiting:
            inode = listeners.get((item.address, item.port))
            if not is_alive(item):
                died.append(item)
            elif inode is None or inode not in socket_inodes(pids_of(item, parents)):
                still.append(item)
        waiting = still
        if not waiting:
            break
        if time.monotonic() > deadline:
            first = waiting[0]
            raise HarnessError(
                f"{len(waiting)} server(s) not listening after {timeout:.0f} s, e.g. "
                f"{first.name} on {first.address}:{first.port}; log {first.log_path}:\n"
                + first.log_tail()
            )
        time.sleep(0.02)
    return died
