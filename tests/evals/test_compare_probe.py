"""`evals compare` and `evals probe` against the scripted OpenAI-compatible server and the embedded grader."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.compose import make_grader
from app.grading import EmbeddedGrader
from app.settings import ROOT, get_settings
from evals import compare, probe
from evals.items import load_gold
from evals.runner import run
from tests.app.llm.conftest import MODEL, fenced_answer, judge_json, llm_settings
from tests.fakes import HashEmbedder
from tests.llm_server import Reply, ScriptedLLM

ITEMS = [i for i in load_gold(ROOT / "content" / "questions") if i.split == "test" and i.levels
         and not i.expected][:6]


@pytest.fixture
def scripted() -> Iterator[ScriptedLLM]:
    with ScriptedLLM() as server:
        yield server


def long_winded(body: dict[str, Any]) -> Reply:
    """A judge with a verbosity bias: anything over 120 words gets the top level everywhere."""
    words = len(fenced_answer(body).split())
    return Reply.json(judge_json(body, 3 if words > 120 else 1), system_fingerprint="fp_scripted")


def test_compare_puts_the_judge_beside_the_embedded_grader(scripted: ScriptedLLM, tmp_path: Path) -> None:
    from evals.__main__ import main

    scripted.responder = long_winded
    judge = make_grader(llm_settings(tmp_path, scripted.base_url), EmbeddedGrader(HashEmbedder()), model=MODEL,
                        mode="llm")
    a = run(EmbeddedGrader(HashEmbedder()), ITEMS, "gold-test", quiet=True, resamples=30)
    b = run(judge, ITEMS, "gold-test", quiet=True, resamples=30, concurrency=2)
    table = compare.markdown([a, b])
    header = table.splitlines()[0]
    assert "embedded" in header and f"llm: {MODEL}" in header
    rows = {ln.split("|")[1].strip(): [c.strip() for c in ln.split("|")[2:-1]] for ln in table.splitlines()[2:]}
    assert re.match(r"-?[\d.]+ \(-?[\d.]+--?[\d.]+\)", rows["band QWK (95% CI)"][1])  # a value and its interval
    assert rows["fallback rate"] == ["0.000 (0 of 6)", "0.000 (0 of 6)"]
    assert rows["tokens per answer"] == ["0.0", "70.0"]
    assert rows["cost per 1,000 answers (USD)"][0] == "0.0000" and "unknown" in rows["cost per 1,000 answers (USD)"][1]
    assert "fp_scripted" in rows["provider model / fingerprint"][1]
    assert "latency p50 / p95 ms" in rows and "length bias: Spearman(score, words) predicted / human" in rows
    paths = [str(r.save(tmp_path / "runs")) for r in (a, b)]
    assert main(["compare", *paths]) == 0


def test_probes_catch_a_verbosity_biased_judge_and_pass_the_embedded_grader(scripted: ScriptedLLM,
                                                                            tmp_path: Path) -> None:
    scripted.responder = long_winded
    short = [i.model_copy(update={"answer": " ".join(i.answer.split()[:60])}) for i in ITEMS]
    judge = make_grader(llm_settings(tmp_path, scripted.base_url), EmbeddedGrader(HashEmbedder()), model=MODEL,
                        mode="llm")
    result = probe.run_probes(judge, short, repeats=2, concurrency=2)
    by = {p["probe"]: p for p in result["probes"]}
    assert set(by) == {"verbosity", "order", "consistency", "injection", "rubric_echo"}
    assert not by["verbosity"]["passed"] and by["verbosity"]["largest_change"] > 10  # 1 -> 3 everywhere
    assert by["order"]["passed"] and by["consistency"]["passed"] and by["consistency"]["mean_change"] == 0
    assert not result["passed"] and result["base_fallbacks"] == 0
    # Self-consistency asked the model again: the reply cache was off for those repeats, and back on after.
    asked = [len(fenced_answer(b).split()) <= 60 and b["messages"][1]["content"] for b in scripted.requests]
    assert sum(1 for a in asked if a) >= len(short) * 3
    assert judge.cache is not None  # type: ignore[attr-defined]
    md = probe.markdown(result)
    assert "| verbosity |" in md and "FAIL" in md

    embedded = probe.run_probes(EmbeddedGrader(HashEmbedder()), ITEMS, repeats=2)
    eby = {p["probe"]: p for p in embedded["probes"]}
    assert eby["consistency"]["largest_change"] == 0 and eby["order"]["largest_change"] == 0
    assert all(p["fallbacks"] == 0 and p["n"] == embedded["n_items"] for p in embedded["probes"])


def test_probe_cli_writes_a_record_and_exits_by_the_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evals import runner
    from evals.__main__ import main

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    monkeypatch.setattr(runner, "make_grader", lambda spec, s: EmbeddedGrader(HashEmbedder()))
    try:
        code = main(["probe", "--limit", "5", "--repeats", "1", "-q", "--out", str(tmp_path), "--only", "order",
                     "--only", "consistency"])
    finally:
        get_settings.cache_clear()
    rec = json.loads(next(tmp_path.glob("probe-*.json")).read_text())
    assert code == 0 and rec["passed"] and [p["probe"] for p in rec["probes"]] == ["order", "consistency"]
    assert rec["grader"]["kind"] == "embedded" and rec["n_items"] <= 5


def test_shuffled_rubrics_really_change_the_order() -> None:
    r = ITEMS[0].rubric
    s = probe.shuffled(r, "seed")
    assert [c.id for c in s.criteria] != [c.id for c in r.criteria]
    assert sorted(c.id for c in s.criteria) == sorted(c.id for c in r.criteria)
    assert probe.shuffled(r, "seed") == s
