"""The app pointed at a temporary data folder, a small curriculum and the mini question bank."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.question_files import MINI_BANK_YAML


@pytest.fixture
def data_dir(tmp_path: Path, mini_curriculum: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Environment set as an operator would; returns the data folder (nothing created in it yet)."""
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "mini.yaml").write_text(MINI_BANK_YAML, encoding="utf-8")
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUTOR_CONTENT_DIR", str(mini_curriculum))
    monkeypatch.setenv("TUTOR_QUESTIONS_DIR", str(bank))
    monkeypatch.setenv("TUTOR_CASES_DIR", str(tmp_path / "no-cases"))
    return tmp_path / "data"
