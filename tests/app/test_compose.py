"""The composition root builds each component kind from Settings: embedded without a model, the LLM version
(wrapping the embedded one as its fallback) with one, all counting into the one Telemetry they are given."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import compose
from app.grading.ensemble import EnsembleGrader
from app.grading.llm_judge import LLMJudge
from app.interview import EmbeddedInterviewer
from app.interview.llm_interviewer import LLMInterviewer
from app.llm import Telemetry
from app.settings import ROOT, Settings
from rag import ExtractiveAnswerer, GuideIndex, build_index
from rag.llm_answerer import LLMAnswerer
from rag.wiring import GuideConfig
from tests.app.llm.conftest import llm_settings
from tests.fakes import HashEmbedder, MemoryStore


@pytest.fixture(scope="module")
def index() -> GuideIndex:
    return build_index(ROOT / "content" / "guide", HashEmbedder(), MemoryStore())


def _llm(tmp_path: Path, **kw: object) -> Settings:
    return llm_settings(tmp_path, "http://127.0.0.1:9/v1", **kw)  # nothing listens: only construction is tested


def test_without_a_model_every_component_is_embedded(settings: Settings, index: GuideIndex) -> None:
    embedded = compose.make_embedded_grader(HashEmbedder(), index)
    assert compose.make_grader(settings, embedded) is embedded
    assert isinstance(compose.make_answerer(settings, index), ExtractiveAnswerer)
    assert isinstance(compose.make_interviewer(settings, HashEmbedder()), EmbeddedInterviewer)
    assert embedded.study is not None  # with the index, criteria link to guide sections


def test_with_a_model_the_llm_components_wrap_the_embedded_ones(tmp_path: Path, index: GuideIndex) -> None:
    counts = Telemetry()
    s = _llm(tmp_path)
    embedded = compose.make_embedded_grader(HashEmbedder(), index)
    judge = compose.make_grader(s, embedded, telemetry=counts)
    assert isinstance(judge, LLMJudge) and judge.fallback is embedded and judge.client.telemetry is counts
    assert isinstance(compose.make_grader(s, embedded, mode="ensemble"), EnsembleGrader)
    assert isinstance(compose.make_grader(_llm(tmp_path, grader_mode="ensemble"), embedded), EnsembleGrader)
    answerer = compose.make_answerer(s, index, counts)
    assert isinstance(answerer, LLMAnswerer) and isinstance(answerer.fallback, ExtractiveAnswerer)
    interviewer = compose.make_interviewer(s, HashEmbedder(), counts)
    assert isinstance(interviewer, LLMInterviewer) and interviewer.client.telemetry is counts


def test_rag_gets_plain_values_from_settings(settings: Settings) -> None:
    s = settings.model_copy(update={"chroma_host": "chroma.internal", "chroma_port": 8001, "chroma_collection": "g2"})
    assert compose.guide_config(s) == GuideConfig(guide_dir=s.guide_dir, embedder_model=s.embedder_model,
                                                  chroma_path=s.data_dir / "chroma", chroma_host="chroma.internal",
                                                  chroma_port=8001, chroma_collection="g2")
