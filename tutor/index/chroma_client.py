"""Which Chroma the tutor talks to: the embedded folder or a ``chroma run`` server.

One process may own an embedded Chroma folder (``PersistentClient``): Chroma's local
mode is not process-safe, so a second process would not see new vectors or would
damage the HNSW files. Several app processes and the ingest worker therefore share
a Chroma server, chosen by ``TUTOR_CHROMA_URL``. Nothing above this module knows
which one it got; both hold the vectors the tutor computed (the server never embeds).

Chroma's HTTP client waits forever by default, and a server that is down or stalled
surfaces as ``httpx`` errors deep inside search or ingest. :class:`ChromaLink` opens
the client on first use (so the app starts, and recovers, while the server is away),
gives every request a timeout, and turns transport failures into one
:class:`~tutor.errors.IndexUnavailable` with a message a student can act on.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import chromadb
import httpx
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import AuthorizationError, ChromaAuthError
from pydantic import SecretStr

from tutor.errors import IndexUnavailable

SERVER_AWAY = ("The curriculum index server is not answering just now, so search and answers are paused. "
               "Nothing was lost: try again in a minute, or ask an instructor to check `tutor doctor`.")
SERVER_REFUSED = ("The curriculum index server refused the tutor's credentials, so search and answers are paused. "
                  "An operator should check TUTOR_CHROMA_TOKEN (and `tutor doctor`).")


class ChromaLink:
    """A lazily opened Chroma client plus the place it points at (for messages and `tutor doctor`)."""

    def __init__(self, *, path: Path | None = None, url: str | None = None, token: SecretStr | None = None,
                 token_header: str = "Authorization", timeout_s: float = 10.0):
        if (path is None) == (url is None):
            raise ValueError("give either an embedded path or a server url")
        self.path, self.url = path, url
        self._headers = _token_headers(token, token_header)
        self._timeout = timeout_s
        self._client: ClientAPI | None = None
        self._lock = threading.Lock()
        if url is not None:
            self._host, self._port, self._ssl = _split_url(url)

    @property
    def remote(self) -> bool:
        return self.url is not None

    @property
    def location(self) -> str:
        return self.url if self.url is not None else str(self.path)

    def client(self) -> ClientAPI:
        with self._lock:
            if self._client is None:
                self._client = self._open()
            return self._client

    def _open(self) -> ClientAPI:
        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.path is not None:
            return chromadb.PersistentClient(path=str(self.path), settings=settings)
        with self.guard():
            # Chroma's own client has no timeout: a stalled server would hang its constructor.
            scheme = "https" if self._ssl else "http"
            httpx.get(f"{scheme}://{self._host}:{self._port}/api/v2/heartbeat", headers=self._headers,
                      timeout=self._timeout).raise_for_status()
            client = chromadb.HttpClient(host=self._host, port=self._port, ssl=self._ssl,
                                         headers=dict(self._headers), settings=settings)
        session = getattr(getattr(client, "_server", None), "_session", None)
        if isinstance(session, httpx.Client):  # every later request gets the same limit
            session.timeout = httpx.Timeout(self._timeout)
        return client

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Turn a server that is down, stalled or refusing us into IndexUnavailable."""
        if not self.remote:
            yield
            return
        try:
            yield
        except (ChromaAuthError, AuthorizationError) as exc:
            raise IndexUnavailable(SERVER_REFUSED, detail=f"Chroma server {self.url}: {exc}") from exc
        except httpx.HTTPStatusError as exc:
            refused = exc.response.status_code in (401, 403)
            raise IndexUnavailable(SERVER_REFUSED if refused else SERVER_AWAY,
                                   detail=f"Chroma server {self.url}: {exc}") from exc
        except (httpx.HTTPError, ConnectionError, TimeoutError) as exc:
            raise IndexUnavailable(SERVER_AWAY, detail=f"Chroma server {self.url}: {type(exc).__name__}: {exc}") from exc
        except ValueError as exc:  # HttpClient's "Could not connect to a Chroma server"
            if "connect" not in str(exc).lower():
                raise
            raise IndexUnavailable(SERVER_AWAY, detail=f"Chroma server {self.url}: {exc}") from exc


def chroma_link(settings) -> ChromaLink:
    """The Chroma the settings name: a server where TUTOR_CHROMA_URL is set, else the data folder."""
    if settings.chroma_url:
        return ChromaLink(url=settings.chroma_url, token=settings.chroma_token,
                          token_header=settings.chroma_token_header, timeout_s=settings.chroma_timeout_s)
    return ChromaLink(path=settings.chroma_dir)


def _split_url(url: str) -> tuple[str, int, bool]:
    """Host, port and TLS of a URL the settings already checked (scheme, host, port, no path)."""
    parts = urlsplit(url)
    ssl = parts.scheme == "https"
    return parts.hostname, parts.port or (443 if ssl else 8000), ssl


def _token_headers(token: SecretStr | None, header: str) -> dict[str, str]:
    if token is None or not token.get_secret_value():
        return {}
    value = token.get_secret_value()
    return {header: f"Bearer {value}" if header.lower() == "authorization" else value}
