"""The one litellm client: real HTTP against the scripted server, every fault mapped, deadlines that hold."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from app.llm import (
    LLMClient,
    LLMConfig,
    LLMEmptyResponse,
    LLMRateLimited,
    LLMRejected,
    LLMServerError,
    LLMStreamBroken,
    LLMTimeout,
    LLMUnreachable,
    ReplyCache,
    track,
)
from app.llm.telemetry import merge_usage
from tests.app.llm.conftest import MODEL, llm_settings
from tests.llm_server import Reply, ScriptedLLM, refused_url

HI = [{"role": "user", "content": "hi"}]


def client(base: str, **kw: object) -> LLMClient:
    cfg = {"model": MODEL, "role": "judge", "api_base": base, "api_key": "k", "timeout": 2.0, "retries": 0,
           "backoff": 0.05, **kw}
    return LLMClient(LLMConfig(**cfg))  # type: ignore[arg-type]


def test_complete_returns_text_and_records_usage(scripted: ScriptedLLM) -> None:
    scripted.enqueue(Reply.text("hello there"))
    with track() as trace:
        done = client(scripted.base_url).complete(HI)
    assert done.text == "hello there" and done.finish_reason == "stop"
    assert (done.prompt_tokens, done.completion_tokens) == (50, 20) and done.latency_ms > 0
    usage = trace.usage()
    assert usage["calls"] == 1 and usage["total_tokens"] == 70 and usage["by_role"]["judge"]["calls"] == 1
    assert scripted.requests[0]["messages"] == HI


def test_streamed_completion_is_collected(scripted: ScriptedLLM) -> None:
    scripted.enqueue(Reply.stream("one two three four five six seven"))
    done = client(scripted.base_url).complete(HI, stream=True)
    assert done.text == "one two three four five six seven"
    assert scripted.requests[0]["stream"] is True and done.completion_tokens == 20


def test_cost_is_recorded_when_litellm_knows_the_model(scripted: ScriptedLLM) -> None:
    scripted.enqueue(Reply.text("priced"))
    done = client(scripted.base_url, model="openai/gpt-4o-mini").complete(HI)
    assert done.cost_usd is not None and done.cost_usd > 0


def test_unknown_model_cost_is_none_not_an_error(scripted: ScriptedLLM) -> None:
    scripted.enqueue(Reply.text("free"))
    with track() as trace:
        done = client(scripted.base_url).complete(HI)
    assert done.cost_usd is None and trace.usage()["cost_known"] is False


def test_judge_settings_send_temperature_zero_and_the_seed(scripted: ScriptedLLM, tmp_path: Path) -> None:
    s = llm_settings(tmp_path, scripted.base_url, llm_temperature=0.9, llm_seed=11)
    scripted.enqueue(Reply.text("a"), Reply.text("b"))
    LLMClient(LLMConfig.from_settings(s, "judge")).complete(HI)
    LLMClient(LLMConfig.from_settings(s, "interviewer")).complete(HI)
    judge, interviewer = scripted.requests
    assert judge["temperature"] == 0 and judge["seed"] == 11
    assert interviewer["temperature"] == 0.9 and "seed" not in interviewer
    assert judge["max_tokens"] == s.llm_max_tokens and judge["model"] == "scripted"


def test_role_models_fall_back_to_llm_model(tmp_path: Path) -> None:
    s = llm_settings(tmp_path, "http://x", judge_model="openai/judge-model")
    assert LLMConfig.from_settings(s, "judge").model == "openai/judge-model"
    assert LLMConfig.from_settings(s, "answerer").model == MODEL
    assert "test-key" not in repr(LLMConfig.from_settings(s, "judge"))


@pytest.mark.parametrize(("reply", "error"), [
    (Reply.error(429), LLMRateLimited),
    (Reply.error(500), LLMServerError),
    (Reply.error(503), LLMServerError),
    (Reply.error(401), LLMRejected),
    (Reply.raw('{"id": "x", "choi'), LLMServerError),
    (Reply.text(""), LLMEmptyResponse),
])
def test_faults_map_to_llm_errors(scripted: ScriptedLLM, reply: Reply, error: type[Exception]) -> None:
    scripted.enqueue(reply)
    with pytest.raises(error):
        client(scripted.base_url).complete(HI)


def test_a_stream_cut_mid_way_is_broken_not_short(scripted: ScriptedLLM) -> None:
    scripted.enqueue(Reply.broken_stream("one two three four five six seven eight nine", break_after=2))
    with pytest.raises(LLMStreamBroken):
        client(scripted.base_url).complete(HI, stream=True)


def test_a_stream_without_a_finish_reason_is_broken(scripted: ScriptedLLM) -> None:
    scripted.enqueue(Reply.stream("looks complete", finish_reason=None))
    with pytest.raises(LLMStreamBroken):
        client(scripted.base_url).complete(HI, stream=True)


def test_an_empty_stream_is_empty(scripted: ScriptedLLM) -> None:
    scripted.enqueue(Reply.stream(""))
    with pytest.raises(LLMEmptyResponse):
        client(scripted.base_url).complete(HI, stream=True)


def test_refused_connection_is_unreachable() -> None:
    t0 = time.monotonic()
    c = client(refused_url(), retries=2)
    with pytest.raises(LLMUnreachable):
        c.complete(HI)
    assert time.monotonic() - t0 < 2.0
    assert c.telemetry.stats()["errors"]["judge:unreachable"] == 3  # the first try and two retries


def test_retries_recover_from_a_429(scripted: ScriptedLLM) -> None:
    scripted.enqueue(Reply.error(429), Reply.error(503), Reply.text("third time"))
    assert client(scripted.base_url, retries=2).complete(HI).text == "third time"
    assert len(scripted.requests) == 3


def test_rejections_are_not_retried(scripted: ScriptedLLM) -> None:
    scripted.enqueue(Reply.error(400), Reply.text("never asked"))
    with pytest.raises(LLMRejected):
        client(scripted.base_url, retries=3).complete(HI)
    assert len(scripted.requests) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_a_dead_provider_never_holds_past_the_timeout(scripted: ScriptedLLM, stream: bool) -> None:
    scripted.enqueue(*[Reply.slow(30) for _ in range(5)])
    t0 = time.monotonic()
    with pytest.raises(LLMTimeout):
        client(scripted.base_url, timeout=1.0, retries=4).complete(HI, stream=stream)
    assert time.monotonic() - t0 < 1.6


def test_retries_share_one_deadline(scripted: ScriptedLLM) -> None:
    # Each 500 comes back after 0.4s; with a 1s budget the third try must not start.
    scripted.enqueue(*[Reply.slow(0.4, Reply.error(500)) for _ in range(6)])
    t0 = time.monotonic()
    with pytest.raises((LLMServerError, LLMTimeout)):
        client(scripted.base_url, timeout=1.0, retries=5).complete(HI)
    assert time.monotonic() - t0 < 1.6 and len(scripted.requests) <= 3


def test_mock_response_unit_path() -> None:
    """litellm's own mock_response: no server at all, for the smallest unit tests."""
    c = LLMClient(LLMConfig(model="openai/gpt-4o-mini", role="answerer", mock_response="mocked [1]"))
    assert c.complete(HI).text == "mocked [1]"
    assert c.complete(HI, stream=True).text == "mocked [1]"
    assert c.totals.usage()["calls"] == 2


def test_reply_cache_round_trip_and_keys(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path / "c.sqlite")
    c = LLMClient(LLMConfig(model="openai/x", role="judge", temperature=0.0, seed=7, mock_response="x"))
    key = c.cache_key(HI)
    assert key == c.cache_key(HI) and key != c.cache_key(HI, seed=8) and key != c.cache_key(HI, temperature=0.5)
    assert key != LLMClient(LLMConfig(model="openai/y", role="judge", seed=7)).cache_key(HI)
    assert cache.get(key) is None
    cache.put(key, "openai/x", '{"a": 1}', 10, 5)
    hit = cache.get(key)
    assert hit is not None and hit.text == '{"a": 1}' and len(ReplyCache(tmp_path / "c.sqlite")) == 1
    with track() as trace:
        replay = c.replay(hit)
    assert replay.cached and trace.usage()["cached_calls"] == 1 and trace.usage()["cost_usd"] == 0


def test_merge_usage_accumulates_into_a_new_dict(scripted: ScriptedLLM) -> None:
    scripted.enqueue(Reply.text("a"), Reply.text("b"))
    with track() as t1:
        client(scripted.base_url).complete(HI)
    with track() as t2:
        client(scripted.base_url, role="interviewer").complete(HI)
    first = merge_usage({}, t1)
    second = merge_usage(first, t2)
    assert second is not first and first["calls"] == 1
    assert second["calls"] == 2 and second["total_tokens"] == 140
    assert set(second["by_role"]) == {"judge", "interviewer"}


def test_client_refuses_to_block_its_own_loop() -> None:

    c = LLMClient(LLMConfig(model="openai/x", mock_response="x"))

    async def inner() -> None:
        c.complete(HI)

    with pytest.raises(RuntimeError, match="running event loop"):
        c.run(_call_on_loop(inner))


async def _call_on_loop(fn: Callable[[], Awaitable[None]]) -> None:
    await fn()


def test_a_429_waits_for_its_retry_after_then_succeeds(scripted: ScriptedLLM) -> None:
    scripted.enqueue(Reply.rate_limited(retry_after=0.4), Reply.text("after the wait"))
    t0 = time.monotonic()
    done = client(scripted.base_url, retries=2, timeout=3.0).complete(HI)
    assert done.text == "after the wait" and len(scripted.requests) == 2
    assert time.monotonic() - t0 >= 0.4  # the provider's pacing, not our 0.05 s backoff


def test_a_retry_after_past_the_deadline_gives_up_at_once(scripted: ScriptedLLM) -> None:
    scripted.enqueue(Reply.rate_limited(retry_after=30), Reply.text("never asked"))
    t0 = time.monotonic()
    with pytest.raises(LLMRateLimited) as info:
        client(scripted.base_url, retries=3, timeout=2.0).complete(HI)
    assert info.value.retry_after == 30 and len(scripted.requests) == 1 and time.monotonic() - t0 < 1.5


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    import random

    from app.llm import LLMServerError as Server
    from app.llm.client import backoff_wait

    rng = random.Random(1)
    waits = [backoff_wait(0.1, k, Server("x"), rng) for k in range(4)]
    assert all(0.1 * 2 ** k <= w <= 0.125 * 2 ** k for k, w in enumerate(waits))
    assert backoff_wait(0.1, 0, LLMRateLimited("x", retry_after=2.0), rng) == 2.0


def test_the_provider_model_version_and_fingerprint_are_recorded(scripted: ScriptedLLM) -> None:
    scripted.enqueue(Reply.text("v1", model="scripted-2026-01", system_fingerprint="fp_abc"),
                     Reply.text("v2", model="scripted-2026-02", system_fingerprint="fp_def"))
    with track() as trace:
        first = client(scripted.base_url).complete(HI)
        client(scripted.base_url).complete(HI)
    assert first.system_fingerprint == "fp_abc" and "2026-01" in first.model
    versions = trace.versions()
    assert versions["system_fingerprints"] == ["fp_abc", "fp_def"]
    assert [m for m in versions["models"] if "2026" in m] == versions["models"] and len(versions["models"]) == 2


def test_after_a_429_every_concurrent_call_of_the_client_holds_off(scripted: ScriptedLLM) -> None:
    import asyncio

    scripted.enqueue(Reply.rate_limited(retry_after=0.5), Reply.text("a"), Reply.text("b"))
    c = client(scripted.base_url, retries=2, timeout=3.0)

    async def both() -> list[str]:
        first = asyncio.create_task(c.acomplete(HI))
        await asyncio.sleep(0.2)  # the 429 has arrived by now; the second call starts inside the pause
        second = asyncio.create_task(c.acomplete(HI))
        return [d.text for d in await asyncio.gather(first, second)]

    t0 = time.monotonic()
    assert sorted(c.run(both())) == ["a", "b"]
    later = [t - t0 for t in scripted.request_times[1:]]
    assert len(later) == 2 and min(later) >= 0.45  # neither call went out before the provider's Retry-After
