"""A real ``chroma run`` server on loopback, for the tests that run in both index modes.

The server is the one the chromadb package ships (its ``chroma`` command), started on
a free port with a folder of its own and stopped at the end. Tests that share it each
use a collection of their own, so they never see each other's passages.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_ports_in_a_row(count: int) -> int:
    """The first of ``count`` consecutive free ports (``tutor school`` numbers app ports upwards)."""
    while True:
        first = free_port()
        taken = []
        try:
            for port in range(first, first + count):
                probe = socket.socket()
                taken.append(probe)
                probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for probe in taken:
                probe.close()


def chroma_command() -> str:
    beside_python = Path(sys.executable).with_name("chroma")
    found = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    if not found:
        raise RuntimeError("the `chroma` command of the chromadb package is not installed")
    return found


class ChromaServer:
    """``chroma run --path <folder> --host 127.0.0.1 --port <free>``; ``stop``/``start`` keep the folder."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder = Path(folder)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 30.0) -> ChromaServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder.parent / f"{self.folder.name}-server.log", "ab")
        self._process = subprocess.Popen(
            [chroma_command(), "run", "--path", str(self.folder), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self._process.returncode}; see {log.name}")
            try:
                httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).raise_for_status()
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chroma run did not answer on {self.url} within {timeout_s} s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no shutdown, whatever was in flight is cut."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
        self._process = None

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def fresh_collection() -> str:
    return f"t-{uuid.uuid4().hex[:16]}"
