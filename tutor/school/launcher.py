"""``tutor school``: the multi-process set on one machine, each piece an existing engine.

What it starts, in order, and why:

1. ``chroma run`` on 127.0.0.1 with its own folder (``<data>/chroma-server``): the embedded
   index may have one process only, so every app process and worker shares this server.
2. The local model's llama.cpp server, once, when the chat provider is ``local`` (the app
   processes reach it as an OpenAI-compatible server); with ``openai`` the operator's
   fleet settings pass through unchanged.
3. ``tutor worker`` processes: uploads and folder ingest run there as jobs (Huey on the
   shared SQLite ``job-queue.db``, or Redis when ``TUTOR_JOBS_URL`` names one).
4. N app processes (``python -m tutor.ui.serve``: ``streamlit run`` once warm) on 127.0.0.1, one port each, sharing one cookie
   secret (a student moved to another process keeps a valid XSRF token) and the SQLite
   files (WAL mode: safe across processes on one host).
5. HAProxy in front (Debian's): sticky sessions by cookie, WebSocket-friendly timeouts,
   health checks on ``/_stcore/health``, and ``option redispatch`` so the students of a
   process that died are sent to a live one, where their remembered sign-in resumes.

The launcher supervises: a child that exits is started again after a short pause (as
systemd's ``Restart=always`` would), and Ctrl-C or SIGTERM stops everything. Operators who
run systemd or containers use the units and compose file in ``deploy/`` instead; they
start the same commands. Nothing here serves a request itself.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tutor.errors import ConfigurationError
from tutor.school.haproxy import haproxy_config
from tutor.settings import PROJECT_ROOT, Settings

_RESTART_PAUSE_S = 2.0


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    ready_url: str | None = None
    process: subprocess.Popen | None = None
    restarts: int = 0
    log: Path | None = None

    def start(self, logs: Path) -> None:
        self.log = logs / f"{self.name}.log"
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, cwd=PROJECT_ROOT)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float = 15.0) -> None:
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class School:
    """The set's plan (ports, commands, environment) and its running children."""

    settings: Settings
    apps: int = 2
    workers: int = 1
    port: int = 8501
    first_app_port: int = 8601
    chroma_port: int = 8000
    stats_port: int = 8404
    children: list[Child] = field(default_factory=list)
    _stopping: bool = False

    @property
    def folder(self) -> Path:
        return self.settings.data_dir / "school"

    def start(self, say=print) -> None:
        haproxy = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
        if haproxy is None:
            raise ConfigurationError("HAProxy is not installed: `sudo apt-get install haproxy` (Debian/Ubuntu).")
        (self.folder / "logs").mkdir(parents=True, exist_ok=True)
        env = self._shared_env()
        chroma = Child("chroma", [_beside_python("chroma"), "run", "--path", str(self.settings.data_dir / "chroma-server"),
                                  "--host", "127.0.0.1", "--port", str(self.chroma_port)], env,
                       ready_url=f"http://127.0.0.1:{self.chroma_port}/api/v2/heartbeat")
        self._launch([chroma], say)
        env.update(self._model_env(say))
        self._launch([Child(f"worker-{n + 1}", [_beside_python("tutor"), "worker"], env) for n in range(self.workers)], say)
        if self.settings.content_dir.is_dir():  # first start: the bundled curriculum, as a job on the worker
            say("Indexing the bundled curriculum (unchanged files are skipped)…")
            subprocess.run([_beside_python("tutor"), "ingest", str(self.settings.content_dir)], env=env,
                           check=False, stdout=subprocess.DEVNULL, cwd=PROJECT_ROOT)
        cookie_secret = secrets.token_urlsafe(32)
        apps = [Child(f"app-{n + 1}", [sys.executable, "-m", "tutor.ui.serve",  # listens once warm
                                       "--server.port", str(self.first_app_port + n), "--server.address", "127.0.0.1",
                                       "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                      {**env, "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret},
                      ready_url=f"http://127.0.0.1:{self.first_app_port + n}/_stcore/health")
                for n in range(self.apps)]
        self._launch(apps, say)
        config = self.folder / "haproxy.cfg"
        config.write_text(haproxy_config(front_port=self.port, stats_port=self.stats_port,
                                         apps=[f"127.0.0.1:{self.first_app_port + n}" for n in range(self.apps)]))
        check = subprocess.run([haproxy, "-c", "-q", "-f", str(config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise ConfigurationError(f"The generated HAProxy configuration is invalid: {check.stderr.strip()[:500]}")
        self._launch([Child("haproxy", [haproxy, "-W", "-db", "-f", str(config)], env)], say)
        (self.folder / "status.json").write_text(json.dumps(self.status(), indent=2))
        say(f"Ready: http://127.0.0.1:{self.port}  (HAProxy stats: http://127.0.0.1:{self.stats_port}/stats)")

    def _shared_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "STREAMLIT_SERVER_COOKIE_SECRET"}
        env.update({"TUTOR_DATA_DIR": str(self.settings.data_dir),
                    "TUTOR_CHROMA_URL": f"http://127.0.0.1:{self.chroma_port}", "TUTOR_JOBS_IN_APP": "false"})
        return env

    def _model_env(self, say) -> dict[str, str]:
        """One local model server for every app process, or the operator's own fleet settings."""
        if self.settings.llm_provider != "local":
            return {}
        from tutor.llm.local_server import local_endpoint

        say("Starting the local model server (shared by every app process)…")
        endpoint = local_endpoint(self.settings)
        return {"TUTOR_LLM_PROVIDER": "openai", "TUTOR_OPENAI_BASE_URL": endpoint.base_url,
                "TUTOR_OPENAI_API_KEY": endpoint.api_key, "TUTOR_LLM_MODEL": endpoint.model,
                # one slot shared by all processes: a request may wait in the server behind another process's
                "TUTOR_REQUEST_TIMEOUT_S": str(max(self.settings.request_timeout_s, 60.0 * self.apps))}

    def _launch(self, children: list[Child], say, timeout_s: float = 120.0) -> None:
        for child in children:
            child.start(self.folder / "logs")
            self.children.append(child)
        for child in children:
            deadline = time.monotonic() + timeout_s
            while child.ready_url and not _answers(child.ready_url):
                if not child.alive:
                    raise ConfigurationError(f"{child.name} exited at start; see {child.log}")
                if time.monotonic() > deadline:
                    raise ConfigurationError(f"{child.name} did not answer on {child.ready_url}; see {child.log}")
                time.sleep(0.2)
            say(f"  {child.name} running (pid {child.process.pid})")

    def status(self) -> dict:
        return {"url": f"http://127.0.0.1:{self.port}", "stats": f"http://127.0.0.1:{self.stats_port}/stats",
                "children": {c.name: {"pid": c.process.pid if c.process else None, "restarts": c.restarts,
                                      "log": str(c.log)} for c in self.children}}

    def supervise(self, say=print) -> None:
        """Restart children that exit, until SIGINT/SIGTERM; then stop them all, front first."""
        def stop(*_):
            self._stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not self._stopping:
            for child in self.children:
                if not child.alive and not self._stopping:
                    say(f"{child.name} exited ({child.process.returncode}); starting it again")
                    time.sleep(_RESTART_PAUSE_S)
                    child.restarts += 1
                    child.start(self.folder / "logs")
                    (self.folder / "status.json").write_text(json.dumps(self.status(), indent=2))
            time.sleep(0.5)
        self.stop()

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _beside_python(program: str) -> str:
    beside = Path(sys.executable).with_name(program)
    return str(beside) if beside.exists() else (shutil.which(program) or program)
