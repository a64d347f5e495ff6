"""Prometheus metrics (prometheus_client), owned by the runtime rather than module globals.

Each `Metrics` has its own registry, so two apps in one test process never share counters. With several worker
processes, set PROMETHEUS_MULTIPROC_DIR (an empty, writable directory) in the environment before start-up:
prometheus_client then keeps every value in files there and `/metrics` on any worker reports the sum over all of
them (`python -m app --workers N` empties the directory before the workers start). LLM calls and fallbacks are
read from app.llm's process counters at scrape time, so in multi-worker mode they cover the answering worker
only; every other series is exact across workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Requests span 1 ms (health) to seconds (grading under load); buckets follow.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class _LLMCollector(Collector):
    """LLM calls and fallbacks from the runtime's LLM counters (`Telemetry.stats()`), read at scrape time."""

    def __init__(self, stats: dict[str, Any]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        calls = CounterMetricFamily("casewise_llm_calls", "LLM completions by role ('cached': served from the "
                                    "judge reply cache)", labels=["role"])
        for role, n in self.stats.get("calls", {}).items():
            calls.add_metric([str(role)], float(n))
        yield calls
        falls = CounterMetricFamily("casewise_llm_fallbacks", "Times an embedded component answered instead of "
                                    "the LLM, by component and reason", labels=["component", "reason"])
        for key, n in self.stats.get("degraded", {}).items():
            component, _, reason = str(key).partition(":")
            falls.add_metric([component, reason], float(n))
        yield falls


class Metrics:
    """Every series the app exposes on /metrics."""

    def __init__(self, multiproc_dir: Path | None = None,
                 llm: Callable[[], dict[str, Any]] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiproc_dir = multiproc_dir
        r = self.registry
        self.request_seconds = Histogram("casewise_http_request_duration_seconds",
                                         "HTTP request latency by route template", ["method", "route", "status"],
                                         buckets=LATENCY_BUCKETS, registry=r)
        self.requests = Counter("casewise_http_requests", "HTTP requests by route template and status",
                                ["method", "route", "status"], registry=r)
        self.grading_seconds = Histogram("casewise_grading_duration_seconds",
                                         "Grading requests (interview grades, stateless grades, disputes), "
                                         "end to end, successful ones", ["kind"], buckets=LATENCY_BUCKETS,
                                         registry=r)
        self.embed_seconds = Histogram("casewise_embedding_batch_duration_seconds",
                                       "One forward pass of the embedding model (a batch)", buckets=LATENCY_BUCKETS,
                                       registry=r)
        self.embed_batch_texts = Histogram("casewise_embedding_batch_texts", "Distinct texts per forward pass",
                                           buckets=BATCH_BUCKETS, registry=r)
        self.embed_batch_callers = Histogram("casewise_embedding_batch_callers", "Callers merged into one pass",
                                             buckets=BATCH_BUCKETS, registry=r)
        self.cache = Counter("casewise_cache_lookups", "Cache lookups by cache and result", ["cache", "result"],
                             registry=r)
        self.rate_limited = Counter("casewise_rate_limited", "Requests refused by a rate limit", ["scope"],
                                    registry=r)

    # -- hooks handed to lower layers (rag/ takes plain callables, never this class) -----------------------------
    def observe_batch(self, callers: int, texts: int, seconds: float) -> None:
        self.embed_seconds.observe(seconds)
        self.embed_batch_texts.observe(texts)
        self.embed_batch_callers.observe(callers)

    def observe_cache(self, cache: str, hits: int, misses: int) -> None:
        if hits:
            self.cache.labels(cache, "hit").inc(hits)
        if misses:
            self.cache.labels(cache, "miss").inc(misses)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.request_seconds.labels(*labels).observe(seconds)
        self.requests.labels(*labels).inc()
        kind = grading_kind(method, route)
        if kind and 200 <= status < 300:
            self.grading_seconds.labels(kind).observe(seconds)

    # -- exposition ----------------------------------------------------------------------------------------------
    def render(self, multiproc_dir: Path | None = None, llm_stats: dict[str, Any] | None = None) -> bytes:
        """The exposition text: this registry, or every worker's files in `multiproc_dir`, plus the LLM counts."""
        if multiproc_dir is not None:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=str(multiproc_dir))  # type: ignore[no-untyped-call]
        else:
            registry = self.registry
        out = generate_latest(registry)
        if llm_stats is not None:
            extra = CollectorRegistry()
            extra.register(_LLMCollector(llm_stats))
            out += generate_latest(extra)
        return bytes(out)


def grading_kind(method: str, route: str) -> str | None:
    """Which grading a route template is, if any: the requests whose latency is the grading latency."""
    if method != "POST":
        return None
    if route == "/api/grade":
        return "stateless"
    if route.endswith("/grade"):
        return "interview"
    if route.endswith("/disputes"):
        return "dispute"
    return None
