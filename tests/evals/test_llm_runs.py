"""Eval runs of the LLM judge against the scripted OpenAI-compatible server: a mix of good replies, malformed
JSON, timeouts and 429s, and what the run record says about each item, the fallback rate and validity."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.compose import make_grader
from app.grading import EmbeddedGrader
from app.settings import ROOT, Settings, get_settings
from evals.drift import compare
from evals.items import EvalItem, load_gold
from evals.runner import metric_blocks, run
from tests.app.llm.conftest import MODEL, fenced_answer, judge_json, llm_settings
from tests.fakes import HashEmbedder
from tests.llm_server import Reply, ScriptedLLM

GOLD = load_gold(ROOT / "content" / "questions")
ITEMS = [i for i in GOLD if i.split == "test" and i.levels and not i.expected][:20]
BAD = {"malformed": ITEMS[1:3], "timeout": ITEMS[5:7], "429": ITEMS[10:12]}


@pytest.fixture
def scripted() -> Iterator[ScriptedLLM]:
    with ScriptedLLM() as server:
        yield server


def _key(text: str) -> str:
    return " ".join(text.split())[:80]


def mixed(items: list[EvalItem], bad: dict[str, list[EvalItem]], **reply: Any) -> Callable[[dict[str, Any]], Reply]:
    """A judge that answers each item by its answer text: good JSON, except the scripted faults."""
    kind = {_key(it.answer): k for k, its in bad.items() for it in its}
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def respond(body: dict[str, Any]) -> Reply:
        key = _key(fenced_answer(body))
        with lock:
            seen[key] += 1
            n = seen[key]
        k = kind.get(key)
        if k == "malformed":
            return Reply.malformed()  # the first reply and the repair
        if k == "timeout":
            return Reply.timeout(10)
        if k == "429" and n == 1:
            return Reply.rate_limited(retry_after=0.1)
        return Reply.json(judge_json(body, 2), **reply)

    return respond


def judge(settings: Settings) -> Any:
    return make_grader(settings, EmbeddedGrader(HashEmbedder()), model=MODEL, mode="llm")


def settings_for(tmp_path: Path, server: ScriptedLLM, **kw: Any) -> Settings:
    return llm_settings(tmp_path, server.base_url, llm_timeout=3.0, llm_retries=2, **kw)


def test_every_item_says_who_graded_it_and_what_it_cost(scripted: ScriptedLLM, tmp_path: Path) -> None:
    scripted.responder = mixed(ITEMS, BAD)
    rec = run(judge(settings_for(tmp_path, scripted)), ITEMS, "gold-test", quiet=True, resamples=50, concurrency=4)
    by_id = {r.id: r for r in rec.items}
    for it in BAD["malformed"] + BAD["timeout"]:
        r = by_id[it.id]
        assert r.pred.degraded and r.cost.grader == "embedded"
        assert r.pred.degraded_reason == ("judge: malformed_output" if it in BAD["malformed"] else "judge: timeout")
    for it in BAD["malformed"]:
        assert by_id[it.id].cost.calls == 2  # the reply and its repair were both paid for
    good = [r for r in rec.items if not r.pred.degraded]
    assert len(good) == 16 and all(r.cost.grader == f"llm:{MODEL}" for r in good)
    assert all(r.cost.prompt_tokens == 50 and r.cost.completion_tokens == 20 and r.cost.latency_ms > 0
               for r in good)
    assert all(r.cost.cost_usd is None for r in good)  # the scripted model has no price in litellm's map
    acc = rec.metrics["accounting"]
    assert (acc["fallbacks"], acc["judge_items"], acc["fallback_rate"]) == (4, 20, 0.2)
    assert acc["fallback_reasons"] == {"judge: malformed_output": 2, "judge: timeout": 2}
    assert acc["cost_known"] is False and acc["cost_per_1000_usd"] is None
    # The 429s were waited out and retried, not counted as fallbacks.
    assert all(not by_id[it.id].pred.degraded for it in BAD["429"])
    assert not rec.valid and "4 of 20" in (rec.invalid_reason or "")


def test_metrics_on_judged_items_only_sit_beside_all_items(scripted: ScriptedLLM, tmp_path: Path) -> None:
    scripted.responder = mixed(ITEMS, BAD)
    rec = run(judge(settings_for(tmp_path, scripted)), ITEMS, "gold-test", quiet=True, resamples=50, concurrency=4)
    judged = [(it, r) for it, r in zip(ITEMS, rec.items) if not r.pred.degraded]
    expected = metric_blocks([it for it, _ in judged], [r for _, r in judged], 50)
    assert rec.metrics["judged_only"]["n"] == 16
    assert rec.metrics["judged_only"]["gold"]["band_qwk"] == expected["gold"]["band_qwk"]
    assert rec.metrics["judged_only"]["gold"]["n"] == 16 and rec.metrics["gold"]["n"] == 20
    # With every level at 2 the judge's scores are constant: all-item figures differ from the judged-only ones.
    assert rec.metrics["judged_only"]["gold"]["score_mae"] != rec.metrics["gold"]["score_mae"]


def test_an_invalid_run_exits_non_zero_and_the_drift_gate_refuses_it(scripted: ScriptedLLM, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from evals import runner
    from evals.__main__ import EXIT_INVALID, main

    scripted.responder = mixed(ITEMS, BAD)
    data = tmp_path / "items.jsonl"
    data.write_text("".join(_external_line(it) + "\n" for it in ITEMS), encoding="utf-8")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    monkeypatch.setattr(runner, "make_grader", lambda spec, s: judge(settings_for(tmp_path, scripted)))
    try:
        out = tmp_path / "runs"
        args = ["run", "--grader", f"llm:{MODEL}", "--dataset", str(data), "-q", "--resamples", "20",
                "--out", str(out)]
        assert main(args) == EXIT_INVALID
        assert main([*args, "--max-fallback", "0.5"]) == 0
    finally:
        get_settings.cache_clear()
    from evals.record import RunRecord

    invalid, valid = sorted((RunRecord.load(p) for p in out.glob("*.json")), key=lambda r: r.valid)
    assert not invalid.valid and valid.valid
    rep = compare(invalid, valid)
    assert not rep.ok and any("invalid" in f for f in rep.failures)
    bad = next(p for p in out.glob("*.json") if not RunRecord.load(p).valid)
    with pytest.raises(SystemExit, match="invalid"):
        main(["baseline", "update", "--reason", "never", "--run", str(bad), "--name", "must-not-be-written"])
    assert not (ROOT / "evals" / "baselines" / "must-not-be-written.json").exists()


def _external_line(it: EvalItem) -> str:
    import json

    return json.dumps({"id": it.id, "question": it.rubric.question, "answer": it.answer,
                       "rubric": [{"id": c.id, "description": c.description} for c in it.rubric.criteria],
                       "score": it.human_score, "scale_min": 0, "scale_max": 100})


def test_a_repeated_run_is_free_from_the_judge_cache(scripted: ScriptedLLM, tmp_path: Path) -> None:
    scripted.responder = mixed(ITEMS, {})
    s = settings_for(tmp_path, scripted)
    first = run(judge(s), ITEMS, "gold-test", quiet=True, resamples=20, concurrency=4)
    asked = len(scripted.requests)
    assert asked == len(ITEMS) and first.metrics["accounting"]["calls"] == len(ITEMS)
    again = run(judge(s), ITEMS, "gold-test", quiet=True, resamples=20, concurrency=4)
    acc = again.metrics["accounting"]
    assert len(scripted.requests) == asked  # nothing reached the provider
    assert acc["calls"] == 0 and acc["cached_calls"] == len(ITEMS) and acc["cost_usd"] == 0
    assert [r.pred.score for r in again.items] == [r.pred.score for r in first.items]


def test_concurrency_bounds_the_calls_in_flight(scripted: ScriptedLLM, tmp_path: Path) -> None:
    def slow_ok(body: dict[str, Any]) -> Reply:
        return Reply.slow(0.15, Reply.json(judge_json(body, 2)))

    scripted.responder = slow_ok
    rec = run(judge(settings_for(tmp_path, scripted, llm_cache=False)), ITEMS[:12], "gold-test", quiet=True,
              resamples=20, concurrency=3)
    assert rec.valid and 2 <= scripted.max_in_flight <= 3


def test_the_provider_version_is_recorded_and_drift_between_runs_is_reported(scripted: ScriptedLLM,
                                                                             tmp_path: Path) -> None:
    items = ITEMS[:4]
    s = settings_for(tmp_path, scripted, llm_cache=False)
    scripted.responder = mixed(items, {}, system_fingerprint="fp_one")
    before = run(judge(s), items, "gold-test", quiet=True, resamples=20)
    scripted.responder = mixed(items, {}, system_fingerprint="fp_two")
    after = run(judge(s), items, "gold-test", quiet=True, resamples=20)
    assert before.grader["provider"]["system_fingerprints"] == ["fp_one"]
    assert before.grader["model"] == MODEL
    rep = compare(after, before)
    assert any("provider drift" in n and "fp_one" in n and "fp_two" in n for n in rep.notes)
