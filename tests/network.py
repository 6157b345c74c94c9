"""No outside network in tests: every socket connection must stay on this machine.

The issue's rule for the hardening suites is "block sockets except loopback". The test
session installs :func:`loopback_only` for its whole run (tests/conftest.py); processes
the tests start (the app under ``streamlit run``, ingest children that are killed) get the
same block through ``tests/offline/sitecustomize.py`` on their ``PYTHONPATH``
(:data:`OFFLINE_ENV`). A connection to anything but 127.0.0.0/8, ::1, localhost or a Unix
socket raises ``ConnectionRefusedError`` naming the address, so a test that needs the
internet fails loudly here, as it would on an air-gapped hospital network.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

OFFLINE_ENV = {"PYTHONPATH": str(Path(__file__).resolve().parent / "offline")}
"""Environment for a child Python process that must not reach outside the machine."""


def is_loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):  # AF_UNIX paths as bytes
        return True
    host = host.removeprefix("::ffff:")  # an IPv4 address mapped into IPv6
    return host in ("localhost", "::1", "") or host.startswith("127.") or host.startswith("/")


def _guarded(method):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address):
            raise ConnectionRefusedError(f"network blocked in this test: {address!r}")
        return method(self, address)
    connect.loopback_only = True
    return connect


def block_outside_network() -> None:
    """Refuse outside connections for the rest of this process (idempotent)."""
    if not getattr(socket.socket.connect, "loopback_only", False):
        socket.socket.connect = _guarded(socket.socket.connect)
        socket.socket.connect_ex = _guarded(socket.socket.connect_ex)


@contextmanager
def loopback_only() -> Iterator[None]:
    """Refuse every socket connection that would leave the machine (for the duration)."""
    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex
    block_outside_network()
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = original_connect, original_connect_ex
