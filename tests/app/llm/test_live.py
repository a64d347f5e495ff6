"""Optional: the LLM mode against a real endpoint. Skipped unless CASEWISE_LIVE_LLM_MODEL is set.

    CASEWISE_LIVE_LLM_MODEL=openai/qwen2.5-7b-instruct CASEWISE_LIVE_LLM_API_BASE=http://127.0.0.1:8080/v1 \\
        make test PYTEST_ARGS="tests/app/llm/test_live.py"

CASEWISE_LIVE_LLM_API_KEY is passed as the key when set; otherwise the provider's usual variable applies.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.compose import make_grader
from app.content import QuestionBank
from app.grading import EmbeddedGrader, from_question
from app.interview import EmbeddedInterviewer
from app.interview.llm_interviewer import LLMInterviewer
from app.llm import LLMClient, LLMConfig
from app.settings import ROOT, Settings
from tests.fakes import HashEmbedder

MODEL = os.environ.get("CASEWISE_LIVE_LLM_MODEL", "")
pytestmark = pytest.mark.skipif(not MODEL, reason="set CASEWISE_LIVE_LLM_MODEL to run against a real endpoint")

ANSWER = ("I would build reply drafts for support agents, who review every draft before sending. Drafts are "
          "grounded with retrieval over each customer's help centre and past tickets. I'd measure acceptance rate "
          "and handle time against a holdout, and roll out in shadow mode to a few customers first.")


@pytest.fixture
def live_settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, content_dir=ROOT / "content", llm_model=MODEL,  # type: ignore[call-arg]
                    llm_api_base=os.environ.get("CASEWISE_LIVE_LLM_API_BASE", ""),
                    llm_api_key=os.environ.get("CASEWISE_LIVE_LLM_API_KEY") or None, llm_timeout=120, llm_retries=2)


def test_live_completion(live_settings: Settings) -> None:
    done = LLMClient(LLMConfig.from_settings(live_settings, "interviewer")).complete(
        [{"role": "user", "content": "Reply with the single word: ready"}], stream=True)
    assert done.text.strip()


def test_live_judge_and_interviewer(live_settings: Settings, bank: QuestionBank) -> None:
    q = bank.get("support-reply-drafts")
    assert q is not None
    judge = make_grader(live_settings, EmbeddedGrader(HashEmbedder()), model=MODEL, mode="llm")
    card = judge.grade(from_question(q), ANSWER)
    assert not card.degraded, card.degraded_reason
    assert all(e in ANSWER for c in card.criteria for e in c.evidence)
    iv = LLMInterviewer(LLMClient(LLMConfig.from_settings(live_settings, "interviewer")),
                        EmbeddedInterviewer(HashEmbedder()))
    assert q.prompt in iv.opening(q)
