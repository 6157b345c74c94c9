"""`tutor school` as a test starts it: real engines on loopback, free ports, stopped afterwards."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.chroma_server import free_port, free_ports_in_a_row
from tutor.settings import PROJECT_ROOT

TUTOR = str(Path(sys.executable).with_name("tutor"))


@contextmanager
def running_school(root: Path, env: dict[str, str], apps: int = 2, timeout_s: float = 300) -> Iterator[tuple[str, dict]]:
    """Start the set with ``env`` (TUTOR_DATA_DIR and friends); yields HAProxy's URL and the ports."""
    ports = {"port": free_port(), "first-app-port": free_ports_in_a_row(apps), "chroma-port": free_port(),
             "stats-port": free_port()}
    log_path = root / "school.log"
    with open(log_path, "w") as log:
        launcher = subprocess.Popen([TUTOR, "school", "--apps", str(apps), *(f"--{k}={v}" for k, v in ports.items())],
                                    env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout_s
            while "Ready:" not in log_path.read_text():
                if launcher.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"tutor school did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.3)
            yield f"http://127.0.0.1:{ports['port']}", ports
        finally:
            launcher.send_signal(signal.SIGTERM)
            try:
                launcher.wait(60)
            except subprocess.TimeoutExpired:
                launcher.kill()
                launcher.wait()
