"""Loaders that misbehave on purpose, for the parse sandbox's tests.

The sandbox takes its loader as ``"module:function"`` and imports it in the child, so these
live in an importable module. Each has the loader signature ``(data, source)``.
"""

from __future__ import annotations

import ctypes
import os
import time

from tutor.domain import DocumentMeta, LoadedDocument, Section

MODULE = __name__


def sleeps(data: bytes, source: str) -> LoadedDocument:
    time.sleep(3600)
    raise AssertionError("unreachable")


def allocates(data: bytes, source: str) -> LoadedDocument:
    hog = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GiB, a page at a time
    raise AssertionError(f"allocated {len(hog)} blocks")


def segfaults(data: bytes, source: str) -> LoadedDocument:
    ctypes.string_at(0)  # reads address 0: SIGSEGV
    raise AssertionError("unreachable")


def exits(data: bytes, source: str) -> LoadedDocument:
    os._exit(3)


def raises_value_error(data: bytes, source: str) -> LoadedDocument:
    raise ValueError("a loader bug")


def echoes(data: bytes, source: str) -> LoadedDocument:
    """A well-behaved loader: the bytes as one section (shows a test loader round-trips)."""
    return LoadedDocument(source=source, kind="text", meta=DocumentMeta(title="echo"),
                          sections=(Section(text=data.decode()),))


def by_name(data: bytes, source: str) -> LoadedDocument:
    """Misbehave as the file's name says ("sleep", "alloc", "segv", "exit"); otherwise the real loader."""
    from tutor.content.loaders import load_document

    for word, misbehave in (("sleep", sleeps), ("alloc", allocates), ("segv", segfaults), ("exit", exits)):
        if word in source:
            return misbehave(data, source)
    return load_document(data, source)
