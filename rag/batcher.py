"""A dynamic batcher in front of an Embedder: concurrent callers share forward passes.

Under load the embedder used to run one small forward pass per request (a lock kept concurrent passes from
thrashing the cores), so 50 candidates queued behind each other. Here every caller's texts go into one queue;
a single worker thread takes whatever has arrived, waits up to `wait_ms` for more (never past `max_batch`
texts), makes one `embed` call for all of it, and hands each caller its own rows. Under load the queue fills
while the model is busy, so batches form even with `wait_ms=0`; alone, a caller pays at most `wait_ms` extra.

Identical texts within a batch are embedded once. An error from the model reaches every caller of that batch,
and the worker carries on with the next one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rag.embedder import Embedder
from rag.errors import EmbedderUnavailable

log = logging.getLogger(__name__)

# (callers in the batch, distinct texts embedded, seconds the embed call took): for metrics, owned by the app.
BatchObserver = Callable[[int, int, float], None]


@dataclass(eq=False)
class _Request:
    texts: list[str]
    done: threading.Event = field(default_factory=threading.Event)
    result: np.ndarray | None = None
    error: BaseException | None = None


class BatchingEmbedder:
    """An Embedder that merges concurrent `embed` calls into batched calls to `inner`."""

    def __init__(self, inner: Embedder, wait_ms: float = 2.0, max_batch: int = 256,
                 observer: BatchObserver | None = None) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.inner = inner
        self.name, self.version, self.dim = inner.name, inner.version, inner.dim
        self.wait = max(wait_ms, 0.0) / 1000.0
        self.max_batch = max_batch
        self.observer = observer
        self._queue: deque[_Request] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._worker: threading.Thread | None = None

    # -- callers ---------------------------------------------------------------------------------------------
    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        req = _Request(list(texts))
        with self._cond:
            if self._closed:
                raise EmbedderUnavailable("the embedding batcher is closed")
            self._queue.append(req)
            self._ensure_worker()
            self._cond.notify_all()
        req.done.wait()
        if req.error is not None:
            raise req.error
        assert req.result is not None
        return req.result

    def pending(self) -> int:
        """Requests queued and not yet taken by the worker (tests use it to line up a batch deterministically)."""
        with self._cond:
            return len(self._queue)

    def close(self) -> None:
        """Finish what is queued, then stop the worker; later calls raise EmbedderUnavailable."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=30)

    # -- the worker ------------------------------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._run, name="embed-batcher", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            self._serve(batch)

    def _take(self) -> list[_Request] | None:
        """The next batch: the oldest request plus whatever arrives within the wait, up to max_batch texts.

        A single request larger than max_batch is served alone rather than split (the model batches inside).
        """
        with self._cond:
            while not self._queue:
                if self._closed:
                    return None
                self._cond.wait()
            batch = [self._queue.popleft()]
            size = len(batch[0].texts)
            deadline = time.monotonic() + self.wait
            while size < self.max_batch:
                if self._queue:
                    if size + len(self._queue[0].texts) > self.max_batch:
                        break
                    nxt = self._queue.popleft()
                    batch.append(nxt)
                    size += len(nxt.texts)
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    break
                self._cond.wait(remaining)
            return batch

    def _serve(self, batch: list[_Request]) -> None:
        unique = list(dict.fromkeys(t for r in batch for t in r.texts))
        row = {t: i for i, t in enumerate(unique)}
        t0 = time.perf_counter()
        try:
            vecs = np.asarray(self.inner.embed(unique), dtype=np.float32)
            if vecs.shape[0] != len(unique):
                raise EmbedderUnavailable(f"the embedder returned {vecs.shape[0]} rows for {len(unique)} texts")
        except BaseException as exc:  # every caller of this batch gets the error; the worker lives on
            for r in batch:
                r.error = exc
                r.done.set()
            return
        elapsed = time.perf_counter() - t0
        for r in batch:
            r.result = vecs[[row[t] for t in r.texts]]
            r.done.set()
        if self.observer is not None:
            try:
                self.observer(len(batch), len(unique), elapsed)
            except Exception:  # metrics must never fail an embedding
                log.warning("embedding batch observer failed", exc_info=True)
