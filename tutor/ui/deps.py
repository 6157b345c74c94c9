"""The process-wide Services bundle for the app, built once per data folder.

``st.cache_resource`` holds only this thread-safe bundle; nothing per learner is
cached here. The cache is keyed by the settings, so tests that point
``TUTOR_DATA_DIR`` somewhere else get their own bundle.
"""

from __future__ import annotations

import functools
import gc
import os
import threading

import streamlit as st

from tutor.services import Services, build_services
from tutor.settings import Settings, load_settings

_bootstrap_lock = threading.Lock()


@st.cache_resource(show_spinner="Loading the curriculum index and the embedding model…")
def _services_for(key: str, _settings: Settings) -> Services:
    # Cached per settings (``key``); the underscore keeps the secrets in ``_settings`` out of the hash.
    services = build_services(_settings)
    services.load_bundled_questions()  # once per process; unchanged files change nothing
    services.load_bundled_cases()
    if _settings.jobs_run_in_app:  # the embedded index has one writer: this process runs its jobs
        services.start_job_worker()
    # Everything loaded so far (models, libraries, the services) lives as long as the process:
    # keep it out of the cyclic collector's scans, which otherwise walk it on every full pass.
    gc.freeze()
    return services


def get_services() -> Services:
    _through_the_app()
    settings = _settings_for(_environment())
    return _services_for(settings.model_dump_json(), settings)


def warm_up() -> Services:
    """Build this process's services, load its models and import the pages' modules, before serving.

    Outside a Streamlit session (``tutor.ui.serve`` calls it before the server starts): it fills
    the same cached entry that :func:`get_services` reads, so the first session finds it built.
    """
    import importlib
    import logging
    import pkgutil

    import tutor.ui

    # Streamlit warns once that there is no session yet: expected here, before the server starts.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    settings = _settings_for(_environment())
    services = _services_for(settings.model_dump_json(), settings)
    load = getattr(services.embedder, "load", None)
    if load is not None:
        load()
    if services.judge is not None:
        services.judge.load()
    for module in pkgutil.iter_modules(tutor.ui.__path__, "tutor.ui."):
        if module.name != __name__ and not module.name.endswith(".serve"):
            importlib.import_module(module.name)
    gc.freeze()  # the models and modules loaded here live as long as the process, like the services
    return services


def _environment() -> tuple:
    """What the settings are read from: the TUTOR_ variables and the .env file's state."""
    try:
        dotenv = os.stat(".env").st_mtime_ns
    except OSError:
        dotenv = None
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("TUTOR_"))), dotenv


@functools.lru_cache(maxsize=8)
def _settings_for(environment: tuple) -> Settings:
    # Parsing the settings costs ~1.5 ms on every click otherwise (measured with py-spy under load).
    return load_settings()


_THROUGH_THE_APP = "tutor.through_app"  # this session's runs start in streamlit_app.py


def entered_through_the_app() -> None:
    """Called first thing by ``streamlit_app.py``: this session's pages run inside the app's navigation."""
    st.session_state[_THROUGH_THE_APP] = True


def _through_the_app() -> None:
    """Run every page through ``streamlit_app.py`` (sign-in, roles), even as a fresh process's first request.

    Until ``st.navigation`` has been called once in a process, Streamlit serves a
    ``pages/`` folder the old way: a first request for ``/library`` (a reload after the
    app restarted, or a student moved to another app process by the load balancer)
    runs ``pages/library.py`` on its own, without the app's sign-in, and showed an empty
    page. Such a run is the only one in which a page asks for the services before the
    app marked the session; switching Streamlit's flag the way ``st.navigation`` itself
    does and running again sends the request through the app.
    """
    if st.session_state.get(_THROUGH_THE_APP):
        return
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()


def ensure_library(services: Services) -> None:
    """Index the bundled curriculum on first start, with a progress bar."""
    if not services.library_is_empty():
        return
    with _bootstrap_lock:  # two first visitors must not both index the bundle
        if not services.library_is_empty() or not services.settings.content_dir.is_dir():
            return
        with st.status("Setting up: indexing the bundled curriculum (first start only)…", expanded=True) as status:
            bar = st.progress(0.0)
            report = services.ingest_bundled_content(lambda fraction, message: bar.progress(min(fraction, 1.0), text=message))
            status.update(
                label=f"Indexed {len(report.added)} documents ({report.chunks_added} passages).",
                state="complete" if report.ok else "error",
                expanded=False,
            )
