"""Shared fixtures: real SQLite files, a real Chroma and the real embedding model.

The embedding model is loaded once per test session (0.5 s, 23 MB); every test
gets its own data folder, so tests never share a database or an index.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.markdown_files import write_markdown
from tutor.index.embeddings import MiniLMOnnxEmbedder
from tutor.services import Services, build_services
from tutor.settings import PROJECT_ROOT, Settings

BUNDLED_CURRICULUM = PROJECT_ROOT / "content" / "curriculum"


@pytest.fixture(scope="session")
def embedder() -> MiniLMOnnxEmbedder:
    model = MiniLMOnnxEmbedder()
    model.load()
    return model


@pytest.fixture
def mini_curriculum(tmp_path: Path) -> Path:
    """Three short documents in two modules: enough to tell retrieval right from wrong."""
    folder = tmp_path / "curriculum"
    write_markdown(folder, "cardiology/heart-failure.md", """
        # Heart failure
        ## Natriuretic peptides
        B-type natriuretic peptide (BNP) is released by stretched ventricular muscle. A normal BNP
        makes heart failure unlikely in a breathless patient, so it is used to rule the diagnosis out.
        ## Loop diuretics
        Furosemide relieves congestion in acute heart failure; monitor potassium and creatinine.
        """, title="Heart failure", module="Cardiology", topic="Heart failure")
    write_markdown(folder, "renal/hyperkalaemia.md", """
        # Hyperkalaemia
        ## ECG changes
        Peaked T waves, a widened QRS complex and loss of P waves appear as potassium rises.
        ## Emergency treatment
        Calcium gluconate stabilises the cardiac membrane; insulin with glucose shifts potassium into cells.
        """, title="Hyperkalaemia", module="Renal")
    write_markdown(folder, "renal/aki.md", """
        # Acute kidney injury
        ## Staging
        Stage 1 is a creatinine rise of 1.5 to 1.9 times baseline or urine output below 0.5 ml/kg/h for 6 hours.
        """, title="Acute kidney injury", module="Renal")
    return folder


@pytest.fixture
def settings(tmp_path: Path, mini_curriculum: Path) -> Settings:
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
