"""The local chat model's server: llama.cpp (xllamacpp) in a child process on 127.0.0.1.

:func:`local_endpoint` gives the factory an OpenAI-compatible base URL, a per-process
random API key and the model name. The first call verifies (and if needed reassembles)
the packaged GGUF, starts the server and returns once it answers; later calls return at
once. Every start, from any number of Streamlit sessions and threads, goes through one
lock per configuration, so a process never runs two servers for the same model.

Why a child process rather than xllamacpp's in-process ``Server``:

* **Isolation.** A crash in native code (a bad model file, an out-of-memory kill, a
  llama.cpp assertion) ends the child, not the Streamlit app or the CLI; the next call
  to :func:`local_endpoint` starts a fresh server, on the same port with the same key,
  so clients built earlier keep working.
* **Lifetime we control.** An in-process ``Server`` lives as long as its Python object;
  Streamlit reruns scripts on new threads and its file watcher re-imports modules, which
  can orphan one server and load a second copy of a 1 GB model. A process has a pid that
  can be stopped, and its memory is returned when it exits.
* **No orphans.** The child reads its configuration (API key included, so the key never
  appears in ``ps``) from a pipe on its stdin and then waits on that pipe: when the
  parent exits, even by SIGKILL, the pipe closes and the child exits too. It also exits
  if it is re-parented. :func:`stop_local_servers` runs at interpreter exit.

The server is llama.cpp's own: it binds only ``127.0.0.1``, demands the API key on every
route except ``/health``, has its web UI, ``/slots`` (which would show other students'
prompts) and model downloads switched off, allows CORS only from ``http://127.0.0.1``,
reuses the KV cache of a shared prompt prefix (``cache_prompt``; keep system prompt and
passages first, the question last) and keeps up to 1 GiB of past prompt states in RAM.
One slot (``n_parallel = 1``): on 2 cores parallel decoding only splits the same
throughput, so concurrent questions queue. Its log (warnings and errors only) goes to
``<data_dir>/logs/local-llm.log``; the tail is quoted in the error if a start fails.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.errors import ModelUnavailableError
from tutor.llm.local_model import ensure_model_file
from tutor.llm.packaged_models import PackagedModel, get_packaged_model

HOST = "127.0.0.1"
MAX_LOG_BYTES = 5 << 20
_LOG_TAIL_CHARS = 3000


@dataclass(frozen=True)
class LocalEndpoint:
    """Where the local model answers: pass these to any OpenAI-compatible client."""

    base_url: str  # e.g. http://127.0.0.1:40123/v1
    api_key: str
    model: str  # the name the server expects in requests (the packaged model's name)
    pid: int  # the server process


@dataclass(frozen=True)
class ServerConfig:
    model: PackagedModel
    models_dir: Path
    log_path: Path
    port: int = 0  # 0: let the OS pick a free port (kept across restarts)
    context_tokens: int = 4096
    threads: int = 0  # 0: every core this process may use
    start_timeout_s: float = 180.0
    max_output_tokens: int = 2048  # server-side cap; requests ask for fewer
    prompt_cache_mib: int = 1024


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


class LocalModelServer:
    """One llama.cpp server child process; thread-safe, started lazily, restarted if it died."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self.api_key = secrets.token_urlsafe(32)
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._endpoint: LocalEndpoint | None = None
        self._port = config.port

    @property
    def endpoint(self) -> LocalEndpoint | None:
        """The endpoint while the server runs, else None (no start is attempted)."""
        return self._endpoint if self.running else None

    @property
    def running(self) -> bool:
        process = self._process
        return process is not None and process.poll() is None

    def start(self) -> LocalEndpoint:
        """Start the server unless it runs; return its endpoint once it answers."""
        if (endpoint := self.endpoint) is not None:
            return endpoint
        with self._lock:
            if (endpoint := self.endpoint) is not None:  # another thread started it meanwhile
                return endpoint
            self._reap()
            model_path = ensure_model_file(self.config.model, self.config.models_dir)
            self._endpoint = self._spawn(model_path)
            return self._endpoint

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the server: close its pipe (it exits by itself), then terminate, then kill."""
        with self._lock:
            self._reap(timeout_s)

    def __enter__(self) -> LocalModelServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- internals (called with self._lock held)

    def _reap(self, timeout_s: float = 10.0) -> None:
        process, self._process, self._endpoint = self._process, None, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin:
                process.stdin.close()
        for signal_it, wait_s in ((None, timeout_s), (process.terminate, 5.0), (process.kill, 5.0)):
            if signal_it is not None:
                with contextlib.suppress(OSError):
                    signal_it()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(wait_s)
                break
        with contextlib.suppress(OSError):
            if process.stdout:
                process.stdout.close()

    def _open_log(self) -> tuple[Any, int]:
        log_path = self.config.log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            if log_path.stat().st_size > MAX_LOG_BYTES:
                os.replace(log_path, log_path.with_name(log_path.name + ".1"))
        log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting {self.config.model.name} (parent pid {os.getpid()})\n".encode())
        log.flush()
        return log, log.tell()

    def _log_tail(self, offset: int) -> str:
        try:
            with open(self.config.log_path, "rb") as fh:
                fh.seek(offset)
                text = fh.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        return text[-_LOG_TAIL_CHARS:].strip()

    def _spawn(self, model_path: Path) -> LocalEndpoint:
        config = self.config
        child_config = {
            "model_path": str(model_path),
            "alias": config.model.name,
            "host": HOST,
            "port": self._port,
            "n_ctx": config.context_tokens,
            "threads": config.threads or available_cores(),
            "n_predict": config.max_output_tokens,
            "cache_ram_mib": config.prompt_cache_mib,
            "api_key": self.api_key,
            "parent_pid": os.getpid(),
        }
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])  # so `-m tutor.llm.local_server` resolves
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        log, log_offset = self._open_log()
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "tutor.llm.local_server"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                close_fds=True,
            )
        except OSError as exc:
            raise ModelUnavailableError("The local chat model could not be started.", detail=str(exc)) from exc
        finally:
            log.close()
        self._process = process

        def fail(reason: str) -> ModelUnavailableError:
            self._reap(timeout_s=2.0)
            tail = self._log_tail(log_offset)
            return ModelUnavailableError(
                f"The local chat model could not be started ({reason}). Details are in {config.log_path}.",
                detail=f"{reason}; server log:\n{tail}" if tail else reason,
            )

        try:
            assert process.stdin is not None
            process.stdin.write(json.dumps(child_config).encode() + b"\n")
            process.stdin.flush()  # kept open: its closing tells the child to exit
        except OSError as exc:
            raise fail(f"the server process did not accept its configuration: {exc}") from exc

        message = _read_line(process, timeout_s=config.start_timeout_s)
        if message is None:
            if process.poll() is None:
                raise fail(f"no answer within {config.start_timeout_s:.0f} s")
            raise fail(f"the server process exited with status {process.returncode}")
        if not message.get("ready"):
            raise fail(str(message.get("error") or "the server reported an error"))

        address = str(message["address"])
        self._port = int(address.rsplit(":", 1)[1])  # a restart reuses the port, so old clients still work
        remaining = max(5.0, config.start_timeout_s - (time.monotonic() - started))
        problem = _wait_until_serving(address, self.api_key, config.model.name, timeout_s=remaining)
        if problem:
            raise fail(problem)
        return LocalEndpoint(base_url=f"{address}/v1", api_key=self.api_key, model=config.model.name, pid=process.pid)


def _read_line(process: subprocess.Popen[bytes], *, timeout_s: float) -> dict[str, Any] | None:
    """The child's one JSON status line, or None if it exits or stays silent for ``timeout_s``."""
    lines: queue.Queue[bytes] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True)
    reader.start()
    try:
        line = lines.get(timeout=timeout_s)
    except queue.Empty:
        return None
    try:
        return json.loads(line) if line else None
    except ValueError:
        return {"ready": False, "error": f"unexpected output {line[:200]!r}"}


def _wait_until_serving(address: str, api_key: str, model: str, *, timeout_s: float) -> str | None:
    """None once /health is ok and /v1/models (with the key) lists the model; else what went wrong."""
    deadline = time.monotonic() + timeout_s
    problem = "the server did not become healthy"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{address}/health", timeout=5) as response:  # noqa: S310 - loopback
                if json.loads(response.read()).get("status") == "ok":
                    request = urllib.request.Request(f"{address}/v1/models", headers={"Authorization": f"Bearer {api_key}"})
                    with urllib.request.urlopen(request, timeout=5) as models:  # noqa: S310 - loopback
                        ids = [entry.get("id") for entry in json.loads(models.read()).get("data", [])]
                    return None if model in ids else f"the server serves {ids}, not {model}"
        except (urllib.error.URLError, OSError, ValueError) as exc:  # 503 while loading, refused before bind
            problem = f"the server did not become healthy ({exc})"
        time.sleep(0.2)
    return problem


# -- the process-wide servers, one per configuration ------------------------------------------

_servers: dict[ServerConfig, LocalModelServer] = {}
_servers_lock = threading.Lock()


def server_config(settings: Any) -> ServerConfig:
    """The server configuration that ``settings`` (a :class:`tutor.settings.Settings`) describes."""
    return ServerConfig(
        model=get_packaged_model(settings.local_model),
        models_dir=settings.data_dir / "models",
        log_path=settings.data_dir / "logs" / "local-llm.log",
        port=settings.local_port,
        context_tokens=settings.local_context_tokens,
        threads=settings.local_threads,
        start_timeout_s=settings.local_start_timeout_s,
    )


def shared_server(config: ServerConfig) -> LocalModelServer:
    """The process's one server for ``config`` (created, not started)."""
    with _servers_lock:
        server = _servers.get(config)
        if server is None:
            server = _servers[config] = LocalModelServer(config)
        return server


def local_endpoint(settings: Any) -> LocalEndpoint:
    """Start (once per process) the local model that ``settings`` names and return its endpoint.

    Cheap once running: call it again after a connection error and a dead server is
    restarted on the same port with the same key.
    """
    return shared_server(server_config(settings)).start()


def stop_local_servers() -> None:
    with _servers_lock:
        servers = list(_servers.values())
    for server in servers:
        server.stop()


atexit.register(stop_local_servers)


# -- the child process ------------------------------------------------------------------------


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:  # re-parented: the tutor process is gone
            os._exit(0)


def _child_main() -> None:  # pragma: no cover - runs in the server process; covered by the end-to-end test
    config = json.loads(sys.stdin.buffer.readline())
    status = os.dup(1)  # the status line goes to the parent's pipe ...
    os.dup2(2, 1)  # ... and anything native code prints goes to the log, never filling that pipe

    def report(message: dict[str, Any]) -> None:
        os.write(status, json.dumps(message).encode() + b"\n")
        os.close(status)

    threading.Thread(target=_watch_parent, args=(config["parent_pid"],), daemon=True).start()
    try:
        import xllamacpp as xlc

        params = xlc.CommonParams()
        params.model.path = config["model_path"]
        params.model_alias = {config["alias"]}
        params.hostnames = [config["host"]]
        params.port = config["port"]
        params.api_keys = [config["api_key"]]
        params.n_ctx = config["n_ctx"]
        params.n_parallel = 1
        params.n_predict = config["n_predict"]
        params.cpuparams.n_threads = config["threads"]
        params.cpuparams_batch.n_threads = config["threads"]
        params.cache_prompt = True
        params.n_cache_reuse = 256
        params.cache_ram_mib = config["cache_ram_mib"]
        params.offline = True
        params.ui = False
        params.endpoint_slots = False
        params.endpoint_props = False
        params.endpoint_metrics = False
        params.cors_origins = f"http://{config['host']}"
        params.verbosity = 2  # warnings and errors
        server = xlc.Server(params)
    except BaseException as exc:  # report every failure to the parent, then exit
        report({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        os._exit(1)
    report({"ready": True, "address": server.listening_address, "pid": os.getpid()})
    while sys.stdin.buffer.read(4096):  # until the parent closes the pipe or dies
        pass
    os._exit(0)  # skip interpreter teardown: the native server threads end with the process


if __name__ == "__main__":
    _child_main()
