"""Settings: defaults, environment overrides, and the README table listing every variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.settings import ROOT, Settings


def test_defaults_are_the_embedded_setup(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert s.resolved_database_url == f"sqlite:///{tmp_path / 'casewise.db'}"
    assert s.resolved_chroma_path == tmp_path / "chroma"
    assert not s.uses_llm and not s.chroma_host


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("CHROMA_HOST", "chroma.local")
    monkeypatch.setenv("CHROMA_PATH", "")
    monkeypatch.setenv("LLM_MODEL", "ollama/llama3")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.resolved_database_url == "postgresql://u@h/db"
    assert s.chroma_host == "chroma.local" and s.chroma_path is None and s.uses_llm


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, re.M))
    assert documented == {name.upper() for name in Settings.model_fields}
