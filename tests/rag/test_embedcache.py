"""The shared sentence-embedding cache and the shared judge reply cache, on a real Redis (issue 14).

Two wrappers with separate clients stand for two replicas: what one embedded or judged, the other reads back
without calling the model. An unreachable Redis degrades to no cache, never to an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from app.llm.cache import ReplyCache, make_reply_cache
from app.settings import Settings
from rag.embedcache import RedisCachedEmbedder
from tests.conftest import REDIS_URL, fresh_redis_prefix
from tests.fakes import HashEmbedder


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from fresh_redis_prefix(request)


def _client() -> object:
    import redis

    return redis.Redis.from_url(REDIS_URL)


def test_a_second_replica_reads_the_first_ones_embeddings(prefix: str) -> None:
    first_model, second_model = HashEmbedder(), HashEmbedder()
    seen: list[tuple[int, int]] = []
    first = RedisCachedEmbedder(first_model, _client(), prefix)  # type: ignore[arg-type]
    second = RedisCachedEmbedder(second_model, _client(), prefix,  # type: ignore[arg-type]
                                 observer=lambda h, m: seen.append((h, m)))
    texts = ["retrieval grounds the answer", "a holdout measures the lift", "retrieval grounds the answer"]
    a = first.embed(texts)
    assert first_model.calls == [["retrieval grounds the answer", "a holdout measures the lift"]]  # deduplicated
    b = second.embed(texts + ["something new"])
    assert second_model.calls == [["something new"]] and seen == [(2, 1)]
    np.testing.assert_array_equal(a, b[:3])
    np.testing.assert_array_equal(b, HashEmbedder().embed(texts + ["something new"]))


def test_another_model_version_never_reads_these_vectors(prefix: str) -> None:
    RedisCachedEmbedder(HashEmbedder(), _client(), prefix).embed(["shared text"])  # type: ignore[arg-type]
    other = HashEmbedder()
    other.version = "2"
    RedisCachedEmbedder(other, _client(), prefix).embed(["shared text"])  # type: ignore[arg-type]
    assert other.calls == [["shared text"]]


def test_an_unreachable_redis_means_no_cache_not_an_error() -> None:
    import redis

    model = HashEmbedder()
    broken = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    emb = RedisCachedEmbedder(model, broken, "x")
    assert emb.embed(["still works"]).shape == (1, model.dim) and model.calls == [["still works"]]
    cache = ReplyCache.redis(broken, "x")
    assert cache.get("k") is None
    cache.put("k", "m", "text")  # logged, not raised


def test_judge_replies_are_shared_through_redis(prefix: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, redis_url=REDIS_URL, redis_prefix=prefix,
                        _env_file=None)  # type: ignore[call-arg]
    one, two = make_reply_cache(settings), make_reply_cache(settings)
    assert one is not None and two is not None and one.shared
    assert two.get("key-1") is None and two.misses == 1
    one.put("key-1", "openai/gpt-x", '{"criteria": []}', 120, 30)
    hit = two.get("key-1")
    assert hit is not None and (hit.text, hit.prompt_tokens, hit.completion_tokens) == ('{"criteria": []}', 120, 30)
    assert two.hits == 1 and len(one) == 1
    assert not (tmp_path / "llm_cache.sqlite").exists()  # nothing on local disk


def test_without_redis_the_judge_cache_stays_on_local_disk(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    cache = make_reply_cache(settings)
    assert cache is not None and not cache.shared
    cache.put("k", "m", "reply")
    assert (tmp_path / "llm_cache.sqlite").exists() and ReplyCache(tmp_path / "llm_cache.sqlite").get("k") is not None
    assert make_reply_cache(Settings(data_dir=tmp_path, llm_cache=False, _env_file=None)) is None  # type: ignore[call-arg]
