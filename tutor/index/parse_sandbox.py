"""Parse an uploaded file in a child process with a memory and a time limit.

Why: the loaders (pypdf, python-docx/lxml, PyYAML) run on bytes that anyone with an
instructor account can upload. A hostile or merely broken file can make a parser loop
for minutes, inflate a compressed stream into gigabytes or crash in C code. In the app's
process that would freeze or kill the server for every student; in a child it costs one
file, which is reported as failed with a plain reason while the rest of the batch goes on.

How: :class:`SandboxedParser` runs :func:`tutor.content.loaders.load_document` (pure, and
unchanged) in a child process:

* The child lowers ``RLIMIT_AS`` (address space, the whole process: about 0.2 GB is the
  interpreter and the loader libraries) to ``memory_mb`` before it touches the data, so a
  runaway allocation fails there with ``MemoryError`` (or kills the child) instead of
  growing the server. Core dumps are off (``RLIMIT_CORE`` 0).
* After ``timeout_s`` the child is killed.
* The answer comes back as a pickle: the :class:`~tutor.domain.LoadedDocument` (a frozen
  pydantic model), or the loader's :class:`~tutor.errors.DocumentError` as (class, reason,
  detail), because the exception's own pickling would lose its ``source`` and ``reason``.
  A timeout, a memory-limit hit, a crash or an unexpected exception in a loader all become
  a DocumentError with a reason a person can act on.

The process design, and why:

* A **parse server** (this module run as ``python -m tutor.index.parse_sandbox``) is started
  once, on the first parse, and imports the loaders. For every file it ``os.fork()``s a
  child that sets the limits, parses and writes its answer to a pipe; the server enforces
  the time limit, reaps the child with ``wait4`` (which also gives the child's peak RSS,
  even for a child that was killed) and replies to the app. Forking the single-threaded
  server is safe; forking the app would not be (Streamlit runs scripts on threads, and a
  lock held by another thread at fork time stays locked in the child), and the app's
  Chroma client, embedding model and caches have no business in a parser's memory.
* Not ``multiprocessing``: its "forkserver" and "spawn" start methods re-run the main
  module in every child, and under Streamlit ``__main__`` *is the page script*
  (``streamlit_app.py``), so each parse would run the app. Not one ``python`` process per
  file either: that pays the imports (~0.2 s CPU) per file.
* A fresh child per file needs no recycling logic: a parse that leaked, fragmented or
  corrupted memory is gone with its process, and the limit always measures one file.
  Overhead measured on the development machine (2 cores shared with other work): 4-18 ms
  per file over parsing in-process (a small PDF: 8 ms in-process, 26 ms sandboxed), against
  160 ms per file for the whole ingest of the malformed corpus
  (``python -m tests.hardening.malformed_figures`` prints both).
* The protocol runs on two dedicated pipes (not stdin/stdout, which a library could
  print to); the server exits when its request pipe closes, so it never outlives the app,
  and it runs in its own session, so killing its process group takes any child with it.

Thread safety: each call borrows a server of its own from a small pool (one per concurrent
parse, started on demand, kept while healthy), so Streamlit's script threads and the CLI
may parse at once.

Trust: the sandbox limits resources, it is not a security boundary against code execution
inside the parser (no seccomp); the app unpickles what the child sends.

Tests may inject another loader (a function importable by the child, given as
``"module:function"``) to exercise the limits, and may hand the Ingestor an in-process
parse function where they deliberately want no child at all.
"""

from __future__ import annotations

import importlib
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from tutor.domain import LoadedDocument
from tutor.errors import DocumentError
from tutor.index.sandbox_frames import read_frame, readable, write_all, write_frame

ParseFunction = Callable[[bytes, str], LoadedDocument]
"""Bytes and source name in, a LoadedDocument out, DocumentError for a bad file."""

DEFAULT_LOADER = "tutor.content.loaders:load_document"

TIMEOUT_REASON = "the file took too long to read (over {seconds:g} s) and was skipped"
MEMORY_REASON = (
    "reading the file needed more than {megabytes} MB of memory and was stopped "
    "(a damaged file or a compression bomb?)"
)
CRASH_REASON = "the file could not be read: the reader stopped unexpectedly"
LOADER_FAILED_REASON = "the file could not be read: the reader failed on it ({error})"
NESTED_REASON = "the file is damaged or not what its extension says (structures nested too deeply)"

_SERVER_GRACE_S = 10.0  # how much longer than the time limit the app waits for the server itself


@dataclass
class SandboxStats:
    """Counts over one parser's lifetime (the figures script reads them)."""

    parses: int = 0
    timeouts: int = 0
    memory_kills: int = 0
    crashes: int = 0
    peak_child_rss_kb: int = 0  # largest peak RSS of any parse child, killed ones included


class SandboxedParser:
    """A ``ParseFunction`` that runs the loader in a limited child process (see module doc)."""

    def __init__(self, timeout_s: float = 60.0, memory_mb: int = 1024, *, loader: str = DEFAULT_LOADER):
        if timeout_s <= 0 or memory_mb <= 0:
            raise ValueError("timeout_s and memory_mb must be positive")
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.loader = loader
        self.stats = SandboxStats()
        self._lock = threading.Lock()
        self._idle: list[_ParseServer] = []
        # A parser dropped without close() (a test's Services, say) stops its servers with it.
        weakref.finalize(self, _stop_servers, self._idle, self._lock)

    def __call__(self, data: bytes, source: str) -> LoadedDocument:
        return self.parse(data, source)

    def parse(self, data: bytes, source: str) -> LoadedDocument:
        """Load ``data`` as ``source`` in a child; raise DocumentError for any failure."""
        request = pickle.dumps((self.loader, data, source, self.memory_mb, self.timeout_s), protocol=5)
        server = self._borrow()
        healthy = False
        try:
            reply = server.ask(request, self.timeout_s + _SERVER_GRACE_S)
            healthy = reply is not None
        finally:
            self._give_back(server, healthy)
        return self._outcome(reply, source)

    def close(self) -> None:
        """Stop the idle parse servers (they also stop when the parser is dropped or the app exits)."""
        _stop_servers(self._idle, self._lock)

    # -- the pool ------------------------------------------------------------------
    def _borrow(self) -> _ParseServer:
        with self._lock:
            while self._idle:
                server = self._idle.pop()
                if server.alive():
                    return server
                server.stop()
        return _ParseServer()

    def _give_back(self, server: _ParseServer, healthy: bool) -> None:
        if not healthy:
            server.stop()
            return
        with self._lock:
            self._idle.append(server)

    # -- interpreting what came back -------------------------------------------------
    def _outcome(self, reply: tuple | None, source: str) -> LoadedDocument:
        self._count(parses=1)
        if reply is None:  # the server itself stopped answering or died: stopped above
            self._count(crashes=1)
            raise DocumentError(source, CRASH_REASON, detail="the parse server did not answer")
        if reply[0] == "timeout":
            self._peak(reply[1])
            self._count(timeouts=1)
            raise DocumentError(source, TIMEOUT_REASON.format(seconds=self.timeout_s))
        _, payload, exitcode, rss_kb = reply
        self._peak(rss_kb)
        message = _unpickle(payload)
        if message is None:  # no (complete) answer: the child died
            if exitcode == -signal.SIGKILL:  # not sent by us, so the kernel's OOM killer
                self._count(memory_kills=1)
                raise DocumentError(source, MEMORY_REASON.format(megabytes=self.memory_mb), detail="killed")
            self._count(crashes=1)
            raise DocumentError(source, CRASH_REASON, detail=f"child exit code {exitcode}")
        kind = message[0]
        if kind == "ok":
            return message[1]
        if kind == "document_error":
            _, module, name, reason, detail = message
            raise _rebuild_document_error(module, name, source, reason, detail)
        if kind == "memory":
            self._count(memory_kills=1)
            raise DocumentError(source, MEMORY_REASON.format(megabytes=self.memory_mb))
        self._count(crashes=1)  # "exception": a loader raised something that is not a DocumentError
        raise DocumentError(source, LOADER_FAILED_REASON.format(error=message[1]), detail=message[2])

    def _count(self, **increments: int) -> None:
        with self._lock:
            for key, value in increments.items():
                setattr(self.stats, key, getattr(self.stats, key) + value)

    def _peak(self, rss_kb: int) -> None:
        with self._lock:
            self.stats.peak_child_rss_kb = max(self.stats.peak_child_rss_kb, rss_kb)


def _stop_servers(idle: list[_ParseServer], lock: threading.Lock) -> None:
    with lock:
        servers = idle[:]
        idle.clear()
    for server in servers:
        server.stop()


def _unpickle(payload: bytes) -> tuple | None:
    if not payload:
        return None
    try:
        message = pickle.loads(payload)
    except Exception:  # cut short: the child died while writing
        return None
    return message if isinstance(message, tuple) and message else None


def _rebuild_document_error(module: str, name: str, source: str, reason: str, detail: str | None) -> DocumentError:
    """The loader's DocumentError subclass with its source and reason (pickling would lose both)."""
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        cls = DocumentError
    if not (isinstance(cls, type) and issubclass(cls, DocumentError)):
        cls = DocumentError
    error = cls.__new__(cls)
    DocumentError.__init__(error, source, reason, detail=detail)
    return error


class _ParseServer:
    """The app's handle on one parse server process and its two pipes."""

    def __init__(self) -> None:
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        environment = dict(os.environ)
        # The server must import what the app imports (the tutor package, a test's loader).
        environment["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tutor.index.parse_sandbox", str(request_read), str(reply_write)],
                pass_fds=(request_read, reply_write), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # pypdf prints about every damaged file; the reply says what matters
                env=environment, start_new_session=True,
            )
        finally:
            os.close(request_read)
            os.close(reply_write)
        self.requests = request_write
        self.replies = reply_read

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, request: bytes, wait_s: float) -> tuple | None:
        """Send one request; the reply, or None when the server died or did not answer in time."""
        try:
            write_frame(self.requests, request)
            reply = read_frame(self.replies, time.monotonic() + wait_s)
        except OSError:
            return None
        if reply is None:
            return None
        try:
            return pickle.loads(reply)
        except Exception:
            return None

    def stop(self) -> None:
        for fd in (self.requests, self.replies):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # the server and any parse child
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass


# -- the parse server (runs as `python -m tutor.index.parse_sandbox REQUEST_FD REPLY_FD`) ----
def serve(request_fd: int, reply_fd: int) -> None:
    """Answer requests until the app closes the request pipe. Single-threaded, so fork is safe."""
    import logging

    importlib.import_module(DEFAULT_LOADER.partition(":")[0])  # preloaded once, shared by every child
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files make pypdf warn a lot
    _warm_up()
    while True:
        request = read_frame(request_fd, None)
        if request is None:
            return
        loader, data, source, memory_mb, timeout_s = pickle.loads(request)
        reply = _parse_in_child(loader, data, source, memory_mb, timeout_s)
        write_frame(reply_fd, pickle.dumps(reply, protocol=5))


_WARM_UP_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n4 0 obj<</Length 38>>stream\nBT /F1 12 Tf 20 100 Td (warm up) Tj ET\n"
    b"endstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\nstartxref\n0\n%%EOF\n"
)


def _warm_up() -> None:
    """Parse a tiny PDF once, so the lazy imports and tables of pypdf are loaded before any fork."""
    from tutor.content.loaders import load_document

    try:
        load_document(_WARM_UP_PDF, "warm-up.pdf")
    except Exception:  # only a speed-up
        pass


def _parse_in_child(loader: str, data: bytes, source: str, memory_mb: int, timeout_s: float) -> tuple:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(write_end, loader, data, source, memory_mb)
    os.close(write_end)
    deadline = time.monotonic() + timeout_s
    parts: list[bytes] = []
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not readable(read_end, left):
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            break
        part = os.read(read_end, 1 << 20)
        if not part:
            break
        parts.append(part)
    os.close(read_end)
    _, status, usage = os.wait4(pid, 0)
    if timed_out:
        return ("timeout", usage.ru_maxrss)
    return ("done", b"".join(parts), os.waitstatus_to_exitcode(status), usage.ru_maxrss)


def _child(write_end: int, loader: str, data: bytes, source: str, memory_mb: int) -> None:
    """Set the limits, load, write the answer, exit without running any cleanup of the server's."""
    code = 0
    try:
        _limit_resources(memory_mb)
        try:
            payload = pickle.dumps(_load(loader, data, source), protocol=5)
        except MemoryError:
            payload = pickle.dumps(("memory",))
        del data
        write_all(write_end, payload)
    except BaseException:  # even writing the answer failed: the parent sees no answer
        code = 1
    finally:
        os._exit(code)


def _load(loader: str, data: bytes, source: str) -> tuple:
    module_name, _, function_name = loader.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    try:
        document = function(data, source)
    except DocumentError as exc:
        detail = str(exc)
        return ("document_error", type(exc).__module__, type(exc).__qualname__, exc.reason,
                None if detail == exc.user_message else detail[:2000])
    except MemoryError:
        raise
    except RecursionError as exc:
        return ("document_error", "tutor.errors", "MalformedDocument", NESTED_REASON, repr(exc)[:2000])
    except Exception as exc:  # a loader bug: the file still gets a reason, the detail keeps the cause
        return ("exception", type(exc).__name__, repr(exc)[:2000])
    return ("ok", document)


def _limit_resources(memory_mb: int) -> None:
    import resource

    for which, value in ((resource.RLIMIT_AS, memory_mb * 1024 * 1024), (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass  # a lower hard limit is already in force


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
