"""The dynamic embedding batcher: concurrent callers share one encode call, get their own rows, and see errors.

No test asserts a duration. Batches are lined up deterministically: a gated embedder holds the worker inside its
first call while the other callers queue (`pending()` says when they have), then releases it.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from rag.batcher import BatchingEmbedder
from rag.errors import EmbedderUnavailable
from tests.fakes import HashEmbedder


class GatedEmbedder(HashEmbedder):
    """Records every call's size; the first call blocks until `release` is set (so callers can pile up)."""

    def __init__(self, fail_on: str | None = None) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail_on = fail_on

    def embed(self, texts: list[str]) -> np.ndarray:
        first = not self.calls
        out = super().embed(texts)
        if first:
            self.entered.set()
            assert self.release.wait(10)
        if self.fail_on is not None and self.fail_on in texts:
            raise RuntimeError("model exploded")
        return out


def _wait_pending(b: BatchingEmbedder, n: int) -> None:
    for _ in range(10_000):
        if b.pending() >= n:
            return
        threading.Event().wait(0.001)
    raise AssertionError(f"only {b.pending()} requests queued")


def _line_up(inner: GatedEmbedder, b: BatchingEmbedder, requests: list[list[str]]) -> list[object]:
    """One blocking first call, then `requests` queued behind it; returns each request's result or error."""
    pool = ThreadPoolExecutor(len(requests) + 1)
    first = pool.submit(b.embed, ["warm-up text"])
    assert inner.entered.wait(10)
    futures = [pool.submit(b.embed, r) for r in requests]
    _wait_pending(b, len(requests))
    inner.release.set()
    first.result(10)
    out: list[object] = []
    for f in futures:
        try:
            out.append(f.result(10))
        except Exception as exc:
            out.append(exc)
    pool.shutdown()
    return out


def test_concurrent_callers_share_one_encode_call_and_get_their_own_rows() -> None:
    inner = GatedEmbedder()
    b = BatchingEmbedder(inner, wait_ms=0, max_batch=64)
    requests = [[f"sentence {i} about retrieval", f"another {i} on evaluation"] for i in range(5)]
    results = _line_up(inner, b, requests)
    assert [len(c) for c in inner.calls] == [1, 10]  # the warm-up alone, then all five callers in one call
    reference = HashEmbedder()
    for req, got in zip(requests, results):
        assert isinstance(got, np.ndarray)
        np.testing.assert_array_equal(got, reference.embed(req))


def test_max_batch_splits_the_queue_without_splitting_a_request() -> None:
    inner = GatedEmbedder()
    b = BatchingEmbedder(inner, wait_ms=0, max_batch=4)
    requests = [["a1", "a2", "a3"], ["b1", "b2"], ["c1"], ["d1", "d2", "d3", "d4", "d5"]]
    _line_up(inner, b, requests)
    # a (3) fits; b (2) would pass 4, so a goes alone; then b + c (3); d (5) is larger than max and goes alone.
    assert [len(c) for c in inner.calls] == [1, 3, 3, 5]


def test_identical_texts_in_a_batch_are_embedded_once() -> None:
    inner = GatedEmbedder()
    b = BatchingEmbedder(inner, wait_ms=0, max_batch=64)
    results = _line_up(inner, b, [["same text", "x"], ["same text"], ["x", "same text"]])
    assert [len(c) for c in inner.calls] == [1, 2]
    assert all(isinstance(r, np.ndarray) for r in results)
    np.testing.assert_array_equal(results[0][0], results[1][0])  # type: ignore[index]


def test_an_error_reaches_every_caller_of_the_batch_and_the_worker_carries_on() -> None:
    inner = GatedEmbedder(fail_on="poison")
    b = BatchingEmbedder(inner, wait_ms=0, max_batch=64)
    results = _line_up(inner, b, [["fine"], ["poison"], ["also fine"]])
    assert all(isinstance(r, RuntimeError) and "exploded" in str(r) for r in results)
    assert b.embed(["after the failure"]).shape == (1, inner.dim)  # the next batch is served


def test_empty_input_and_passthrough_identity() -> None:
    inner = HashEmbedder()
    b = BatchingEmbedder(inner)
    assert b.embed([]).shape == (0, inner.dim) and not inner.calls
    assert (b.name, b.version, b.dim) == (inner.name, inner.version, inner.dim)
    np.testing.assert_array_equal(b.embed(["one text"]), inner.embed(["one text"]))


def test_observer_sees_callers_and_texts_per_batch() -> None:
    inner = GatedEmbedder()
    seen: list[tuple[int, int]] = []
    b = BatchingEmbedder(inner, wait_ms=0, max_batch=64, observer=lambda c, n, s: seen.append((c, n)))
    _line_up(inner, b, [["p"], ["q", "r"], ["s"]])
    assert seen == [(1, 1), (3, 4)]


def test_closed_batcher_refuses_new_work() -> None:
    b = BatchingEmbedder(HashEmbedder())
    b.embed(["started"])
    b.close()
    with pytest.raises(EmbedderUnavailable):
        b.embed(["too late"])
