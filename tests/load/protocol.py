"""A browser tab without a browser: Streamlit's own protocol over a WebSocket, for load tests.

A real browser per simulated student would need more than this machine has (a Chromium
tab takes a core's worth of rendering at times); the server cannot tell this client from
one: it fetches the page over HTTP (through HAProxy, keeping its sticky cookie), opens
``/_stcore/stream``, sends ``rerun_script`` back-messages with widget states and reads the
forward-messages of each run until the script finished, keeping the latest element at
each place of the page. :meth:`StreamlitTab.type`, :meth:`click` and :meth:`choose` find
a widget by its label and build the widget state the browser would send for that
interaction (a widget not touched keeps its default, as for a student who did not touch
it).
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from http.cookies import SimpleCookie

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.WidgetStates_pb2 import WidgetState

RERUN_EARLY = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN


class ProtocolError(RuntimeError):
    """The server closed the connection, showed an exception, or a run did not end in time."""


class StreamlitTab:
    def __init__(self, base_url: str, *, timeout_s: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.cookies: dict[str, str] = {}
        self.pages: dict[str, str] = {}  # url path ("quiz") -> page script hash
        self.page_hash = ""
        self.query_string = ""  # st.query_params, as the browser's address bar keeps them
        self._socket = None
        self._cache: dict[str, ForwardMsg] = {}
        self._pending: dict[str, WidgetState] = {}
        self.elements: dict[tuple[int, ...], Element] = {}  # the page after the last run, by place

    # -- interactions (sent with the next rerun) -------------------------------------
    def widgets(self, kind: str) -> list:
        """The widgets of one kind ("button", "radio", ...) on the page, in page order (their protos)."""
        return [getattr(e, kind) for _, e in sorted(self.elements.items()) if e.WhichOneof("type") == kind]

    def _widget(self, kinds: tuple[str, ...], label: str) -> tuple[str, object]:
        for kind in kinds:
            for widget in self.widgets(kind):
                if label in (getattr(widget, "label", None), getattr(widget, "placeholder", None)) or (
                        kind == "chat_input" and label == "*"):
                    return kind, widget
        raise ProtocolError(f"no {'/'.join(kinds)} {label!r} on the page; it shows: {self.text()[:300]!r}")

    def type(self, label: str, text: str) -> None:
        """Type into a text input, text area or chat input (by label or placeholder; "*": the chat input)."""
        kind, widget = self._widget(("text_input", "text_area", "chat_input"), label)
        state = WidgetState(id=widget.id)
        if kind == "chat_input":
            state.chat_input_value.data = text
        else:
            state.string_value = text
        self._pending[widget.id] = state

    def click(self, label: str) -> None:
        _, widget = self._widget(("button",), label)
        self._pending[widget.id] = WidgetState(id=widget.id, trigger_value=True)

    def choose(self, label: str, option: str) -> None:
        _, widget = self._widget(("radio",), label)
        self._pending[widget.id] = WidgetState(id=widget.id, string_value=option)

    def buttons(self) -> list[str]:
        return [button.label for button in self.widgets("button")]

    async def open(self) -> float:
        """Load the page as a browser does (HTML, then the WebSocket and the first run); seconds taken."""
        started = time.perf_counter()
        await asyncio.to_thread(self._fetch_page)
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        ws_url = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self._socket = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=2**26,
                                                additional_headers={"Cookie": cookie} if cookie else None,
                                                open_timeout=self.timeout_s)
        await self.rerun()
        return time.perf_counter() - started

    def _fetch_page(self) -> None:
        request = urllib.request.Request(self.base_url + "/", headers={"Cookie": "; ".join(
            f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {})
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                parsed = SimpleCookie(header)
                self.cookies.update({name: morsel.value for name, morsel in parsed.items()})

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
            self._socket = None

    async def rerun(self, page: str | None = None, *, widgets: bool = True) -> float:
        """One interaction: send the widget states of :meth:`type`/:meth:`click`/:meth:`choose` (or open
        ``page``) and wait until the script run it starts has finished; seconds taken."""
        message = BackMsg()
        state = message.rerun_script
        if widgets:
            state.widget_states.widgets.extend(self._pending.values())
        self._pending = {}
        if page is not None:
            self.page_hash = self.pages[page]
            self.query_string = ""
        state.page_script_hash = self.page_hash
        state.query_string = self.query_string
        started = time.perf_counter()
        try:
            await self._socket.send(message.SerializeToString())
        except websockets.ConnectionClosed as exc:
            raise ProtocolError(f"the server closed the connection: {exc}") from exc
        await asyncio.wait_for(self._until_finished(), self.timeout_s)
        return time.perf_counter() - started

    async def _until_finished(self) -> None:
        elements: dict[tuple[int, ...], Element] = {}
        while True:
            try:
                raw = await self._socket.recv()
            except websockets.ConnectionClosed as exc:
                raise ProtocolError(f"the server closed the connection: {exc}") from exc
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            if msg.ref_hash:  # a message this session was sent before: the client keeps them
                cached = ForwardMsg()
                cached.CopyFrom(self._cache[msg.ref_hash])
                cached.metadata.CopyFrom(msg.metadata)
                msg = cached
            elif msg.hash:
                self._cache[msg.hash] = msg
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                elements = {}
            elif kind == "navigation":
                self.pages = {page.url_pathname: page.page_script_hash for page in msg.navigation.app_pages}
                self.page_hash = msg.navigation.page_script_hash
            elif kind == "delta":
                _apply(elements, msg)
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "script_finished" and msg.script_finished != RERUN_EARLY:
                self.elements = elements
                if raised := self.widgets("exception"):
                    raise ProtocolError(f"the page raised: {raised[0].message}")
                return

    def text(self) -> str:
        """Everything the page shows as text (markdown, captions, alerts), for assertions."""
        parts = []
        for _, element in sorted(self.elements.items()):
            kind = element.WhichOneof("type")
            if kind in ("markdown", "text", "heading"):
                parts.append(getattr(element, kind).body)
            elif kind == "alert":
                parts.append(element.alert.body)
        return "\n".join(parts)


def _apply(elements: dict[tuple[int, ...], Element], msg: ForwardMsg) -> None:
    """Put a delta's element at its place; a new block there replaces whatever was inside it."""
    path = tuple(msg.metadata.delta_path)
    kind = msg.delta.WhichOneof("type")
    if kind == "new_element":
        elements[path] = msg.delta.new_element
    elif kind == "add_block":
        for place in [p for p in elements if p[:len(path)] == path]:
            del elements[place]
