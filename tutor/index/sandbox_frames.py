"""The parse sandbox's pipe protocol: frames of an 8-byte big-endian length, then the bytes.

Reads take a monotonic deadline and poll (not select, which fails above fd 1023), so a
stuck child costs the caller at most its time limit.
"""

from __future__ import annotations

import os
import select
import struct
import time

FRAME = struct.Struct("!Q")


def write_frame(fd: int, payload: bytes) -> None:
    view = memoryview(FRAME.pack(len(payload)) + payload)
    while view:
        view = view[os.write(fd, view):]


def read_frame(fd: int, deadline: float | None) -> bytes | None:
    """One frame from ``fd``; None on end of file or when ``deadline`` (monotonic) passes."""
    header = read_exactly(fd, FRAME.size, deadline)
    if header is None:
        return None
    return read_exactly(fd, FRAME.unpack(header)[0], deadline)


def readable(fd: int, wait_s: float) -> bool:
    """Whether ``fd`` has data (or end of file) within ``wait_s``; poll, not select, which fails above fd 1023."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(max(1, round(wait_s * 1000))))


def read_exactly(fd: int, size: int, deadline: float | None) -> bytes | None:
    parts: list[bytes] = []
    remaining = size
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not readable(fd, left):
                return None
        part = os.read(fd, min(remaining, 1 << 20))
        if not part:
            return None
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]
    os.close(fd)
