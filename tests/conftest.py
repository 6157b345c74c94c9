"""Shared fixtures: real SQLite files, a real Chroma and the real embedding model.

The embedding model is loaded once per test session (0.5 s, 23 MB); every test
gets its own data folder, so tests never share a database or an index. The whole
session runs without outside network (tests/network.py): only loopback connects.
"""

from __future__ import annotations

import sys
import threading
import traceback
from pathlib import Path

import pytest

from tests.chroma_server import ChromaServer, fresh_collection
from tests.markdown_files import BUNDLED_CURRICULUM, write_mini_curriculum
from tests.network import loopback_only
from tutor.index.embeddings import MiniLMOnnxEmbedder
from tutor.services import Services, build_services
from tutor.settings import Settings


@pytest.fixture(scope="session", autouse=True)
def no_outside_network():
    with loopback_only():
        yield


@pytest.fixture(autouse=True)
def real_main_module():
    """Put back the ``__main__`` module a Streamlit run (AppTest) replaces and never restores.

    Streamlit's script runner installs the page script as ``sys.modules["__main__"]``. A later
    test that starts ``multiprocessing`` "spawn" children would then make every child re-run
    that page script first: it built the app on the default data folder (creating ``data/`` in
    the checkout, indexing the whole curriculum) and, when several children raced to create
    the Chroma index there, died before the test's own code ran.
    """
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


_CHECKOUT_DATA = Path(__file__).resolve().parent.parent / "data"
_data_existed = pytest.StashKey[bool]()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_data_existed] = _CHECKOUT_DATA.exists()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail a run that created the checkout's own ``data/``, and name lingering threads.

    Every test works in a folder of its own; ``data/`` appearing means some code built the
    app on its default data folder (as spawned children re-running a page script once did),
    which on a developer's machine would write into their real library.
    """
    if not session.config.stash.get(_data_existed, True) and _CHECKOUT_DATA.exists():
        sys.__stderr__.write(f"\nThe test run created {_CHECKOUT_DATA}: some code used the default data folder.\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    _report_lingering_threads()


def _report_lingering_threads() -> None:
    """Name any thread a test left running that would keep the pytest process from exiting.

    Python waits for every non-daemon thread before it exits, so one that loops forever
    turns a finished run into a hang with no clue in the output. Their stacks are printed
    here, after the summary, so the end of the log says which test's thread it is.
    """
    lingering = [t for t in threading.enumerate()
                 if t is not threading.main_thread() and not t.daemon
                 # executor workers (ours are named "inference_N") are stopped by Python's own exit hook
                 and not t.name.startswith(("ThreadPoolExecutor", "inference"))]
    for thread in lingering:
        thread.join(timeout=5)
    frames = sys._current_frames()
    for thread in (t for t in lingering if t.is_alive()):
        stack = "".join(traceback.format_stack(frames[thread.ident])) if thread.ident in frames else "(no frame)\n"
        sys.__stderr__.write(f"A thread still runs after the last test, so the process cannot exit: {thread.name}\n{stack}")


@pytest.fixture(scope="session")
def embedder() -> MiniLMOnnxEmbedder:
    model = MiniLMOnnxEmbedder()
    model.load()
    return model


@pytest.fixture
def mini_curriculum(tmp_path: Path) -> Path:
    return write_mini_curriculum(tmp_path / "curriculum")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_chroma_modes`` run on the embedded index and on a ``chroma run`` server."""
    if metafunc.definition.get_closest_marker("both_chroma_modes") and "chroma_mode" in metafunc.fixturenames:
        metafunc.parametrize("chroma_mode", ["embedded", "server"], indirect=True)


@pytest.fixture
def chroma_mode(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "embedded")


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> ChromaServer:
    """One real Chroma server for the session; every test that uses it gets a collection of its own."""
    with ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data") as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, mini_curriculum: Path, chroma_mode: str, request: pytest.FixtureRequest) -> Settings:
    if chroma_mode == "server":
        server = request.getfixturevalue("chroma_server")
        return Settings(data_dir=tmp_path / "data", content_dir=mini_curriculum,
                        chroma_url=server.url, collection=fresh_collection())
    return Settings(data_dir=tmp_path / "data", content_dir=mini_curriculum)


@pytest.fixture
def services(settings: Settings, embedder: MiniLMOnnxEmbedder) -> Services:
    return build_services(settings, embedder=embedder)


@pytest.fixture(scope="session")
def bundled_services(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMOnnxEmbedder) -> Services:
    """The bundled curriculum, ingested once for the whole session (read-only use)."""
    data = tmp_path_factory.mktemp("bundled") / "data"
    services = build_services(Settings(data_dir=data, content_dir=BUNDLED_CURRICULUM), embedder=embedder)
    report = services.ingest_bundled_content()
    assert report.ok, report.failed
    return services
