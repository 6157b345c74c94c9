"""The tests themselves run offline: outside connections are refused, loopback is not (tests/network.py)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.network import OFFLINE_ENV

OUTSIDE = ("192.0.2.1", 443)  # TEST-NET-1: never routed, so a pass here cannot depend on the machine's network
CONNECT = f"import socket; socket.create_connection({OUTSIDE!r}, timeout=1)"


def test_this_test_session_cannot_reach_outside_the_machine():
    with pytest.raises(ConnectionRefusedError, match="network blocked"):
        socket.create_connection(OUTSIDE, timeout=1)


def test_loopback_still_connects():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=1).close()


def test_a_child_process_started_with_the_offline_environment_is_blocked_too():
    result = subprocess.run([sys.executable, "-c", CONNECT], env=OFFLINE_ENV, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "network blocked in this test" in result.stderr
