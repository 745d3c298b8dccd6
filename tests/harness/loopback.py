"""Loopback addresses for test servers: 127.A.B.C, unique within this process and unlikely to
collide with another test process on the machine (the block A follows the PID and every address
is probed before use)."""

from __future__ import annotations

import errno
import os
import socket
import threading

_lock = threading.Lock()
# never 127.0.x.x (127.0.0.1 is everyone's); by PID, so concurrent test processes rarely share
# a block (and when they do, the probe below and the harnesses' retry on EADDRINUSE cover it)
_block = 10 + os.getpid() % 245
_next = 0


def is_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((address, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def peek() -> str:
    """The address :func:`allocate` tries next (for tests of the collision handling)."""
    return _address(_next)


def _address(index: int) -> str:
    return f"127.{_block}.{index // 254}.{index % 254 + 1}"


def allocate(port: int) -> str:
    """A loopback address on which ``port`` is free now, never handed out before by this
    process."""
    global _next
    for _ in range(1000):
        with _lock:
            index = _next
            _next += 1
        if index >= 254 * 256:
            raise RuntimeError(f"this process used up the loopback block 127.{_block}.x.x")
        address = _address(index)
        if is_free(address, port):
            return address
    raise RuntimeError(f"no free loopback address for port {port} after 1000 tries")
