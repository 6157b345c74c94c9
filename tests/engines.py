"""Real engines from Debian for the deployment tests: redis-server and HAProxy on loopback.

They are installed by ``make test`` (as Chromium is); a test that needs one skips with
a clear message only where the Debian package is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.chroma_server import free_port


def require(program: str, package: str) -> str:
    found = shutil.which(program) or next((str(p) for p in (Path("/usr/sbin") / program, Path("/usr/bin") / program)
                                           if p.exists()), None)
    if not found:
        pytest.skip(f"{program} is not installed (Debian package `{package}`; `make test` installs it)")
    return found


class RedisServer:
    """``redis-server`` on 127.0.0.1 and a free port, no persistence, in a folder of its own."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [require("redis-server", "redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        import redis

        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    self.__exit__()
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)

    def __exit__(self, *exc) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)
