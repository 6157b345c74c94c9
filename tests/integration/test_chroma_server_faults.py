"""A Chroma server that is down, stalled or comes back: clear messages, nothing half-written, recovery.

Each test starts its own real ``chroma run`` on loopback (the session's shared server must
not be stopped under other tests) and talks to it through the app's own services.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.accounts import DR_LEE
from tests.chroma_server import ChromaServer, free_port
from tests.engines import require
from tutor.errors import ConfigurationError, IndexUnavailable
from tutor.index.chroma_client import SERVER_AWAY, SERVER_REFUSED
from tutor.index.ingest import index_gaps
from tutor.services import build_services
from tutor.settings import Settings, load_settings

NOTE = b"---\ntitle: Sepsis\n---\n# Sepsis\n\n## Fluids\n\nGive 30 mL/kg of crystalloid within three hours for sepsis-induced hypotension.\n"


@pytest.fixture
def server(tmp_path: Path):
    with ChromaServer(tmp_path / "chroma-server") as running:
        yield running


def _settings(tmp_path: Path, url: str, mini_curriculum: Path, **extra) -> Settings:
    return Settings(data_dir=tmp_path / "app", content_dir=mini_curriculum, chroma_url=url, **extra)


def test_a_server_that_goes_away_gives_a_clear_message_and_search_recovers_when_it_returns(
        tmp_path, server, embedder, mini_curriculum):
    services = build_services(_settings(tmp_path, server.url, mini_curriculum), embedder=embedder)
    services.ingest_bundled_content()
    assert services.search("treatment of high potassium").hits

    server.stop()
    with pytest.raises(IndexUnavailable) as away:
        services.search("treatment of high potassium")
    assert away.value.user_message == SERVER_AWAY and server.url in str(away.value)

    server.start()
    assert services.search("treatment of high potassium").hits[0].source == "renal/hyperkalaemia.md"


def test_an_app_started_while_the_server_is_down_serves_once_it_is_up(tmp_path, embedder, mini_curriculum):
    port = free_port()
    services = build_services(_settings(tmp_path, f"http://127.0.0.1:{port}", mini_curriculum), embedder=embedder)
    with pytest.raises(IndexUnavailable) as away:
        services.search("potassium")
    assert away.value.user_message == SERVER_AWAY

    with ChromaServer(tmp_path / "late-server", port=port):
        report = services.ingest_bundled_content()
        assert report.ok and services.index.count() == services.registry.count_chunks() > 0
        assert services.search("treatment of high potassium").hits


def test_an_upload_while_the_server_is_down_is_reported_and_leaves_nothing_half_written(
        tmp_path, server, embedder, mini_curriculum):
    services = build_services(_settings(tmp_path, server.url, mini_curriculum), embedder=embedder)
    services.ingest_bundled_content()
    before = services.registry.chunk_ids()

    server.stop()
    with pytest.raises(IndexUnavailable) as away:
        services.ingest_uploads(DR_LEE, [("sepsis.md", NOTE)])
    assert away.value.user_message == SERVER_AWAY
    assert services.registry.chunk_ids() == before  # the registry never names a passage the index lacks

    server.start()
    again = services.ingest_uploads(DR_LEE, [("sepsis.md", NOTE)])
    assert again.added == ("sepsis.md",) and index_gaps(services.index, services.registry) == (set(), set())
    assert services.search("how much fluid in septic shock").hits[0].source == "sepsis.md"


def test_a_stalled_server_times_out_with_the_same_message(tmp_path, embedder, mini_curriculum):
    with socket.socket() as silent:  # accepts connections into its backlog, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        services = build_services(_settings(tmp_path, url, mini_curriculum, chroma_timeout_s=0.5), embedder=embedder)
        started = time.monotonic()
        with pytest.raises(IndexUnavailable) as stalled:
            services.search("potassium")
        waited = time.monotonic() - started
    assert stalled.value.user_message == SERVER_AWAY and "Timeout" in str(stalled.value)
    assert waited < 30  # bounded by the setting, not Chroma's default of waiting forever


@pytest.mark.parametrize("url", ["localhost:8000", "chroma://db:8000", "http://db:8000/api/v2"])
def test_a_malformed_server_url_is_a_configuration_error(tmp_path, url, monkeypatch):
    monkeypatch.setenv("TUTOR_CHROMA_URL", url)
    with pytest.raises(ConfigurationError) as refused:
        load_settings()
    assert "TUTOR_CHROMA_URL" in refused.value.user_message and "http://10.0.0.5:8000" in refused.value.user_message


def test_a_token_checking_proxy_lets_the_tutors_token_through_and_refuses_others(tmp_path, server, embedder,
                                                                                mini_curriculum):
    """Chroma 1.x ignores its own auth settings; the documented set-up is a proxy that checks a token."""
    haproxy = require("haproxy", "haproxy")
    port = free_port()
    config = tmp_path / "proxy.cfg"
    config.write_text(f"""\
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend chroma
    bind 127.0.0.1:{port}
    http-request deny deny_status 401 unless {{ req.hdr(x-chroma-token) -m str s3cret-token }}
    default_backend chroma
backend chroma
    server chroma 127.0.0.1:{server.port}
""")
    proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _until_listening(port)
        allowed = build_services(_settings(tmp_path, url, mini_curriculum, chroma_token="s3cret-token",
                                           chroma_token_header="X-Chroma-Token"), embedder=embedder)
        assert allowed.ingest_bundled_content().ok and allowed.search("treatment of high potassium").hits

        refused = build_services(_settings(tmp_path / "other", url, mini_curriculum, chroma_token="wrong",
                                           chroma_token_header="X-Chroma-Token"), embedder=embedder)
        with pytest.raises(IndexUnavailable) as denied:
            refused.search("treatment of high potassium")
        assert denied.value.user_message == SERVER_REFUSED
    finally:
        proxy.terminate()
        proxy.wait(10)


def _until_listening(port: int) -> None:
    deadline = time.monotonic() + 15
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert time.monotonic() < deadline, "the proxy did not start"
        time.sleep(0.05)
