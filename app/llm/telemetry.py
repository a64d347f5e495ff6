"""Usage accounting and fault counting for LLM calls.

Two views of the same events:
- a per-request `Trace`, opened with `track()` around a piece of work (an interview turn, a grade). Every call
  and every fallback inside it is recorded there, so the service can add usage to the session and mark the
  response degraded. It lives in a context variable, which the client carries into its event loop.
- counters (`Telemetry.stats()`), exposed on /readyz and /metrics, so an operator can see how often the provider
  failed. They live on the runtime object (app/runtime.py), not in module globals.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallRecord:
    role: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    latency_ms: float = 0.0
    cached: bool = False
    system_fingerprint: str | None = None  # the provider's own build id for the model, where it sends one


@dataclass(frozen=True)
class Degradation:
    component: str
    reason: str
    detail: str = ""


def _blank() -> dict[str, Any]:
    return {"calls": 0, "cached_calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0,
            "cost_usd": 0.0, "cost_known": True, "latency_ms": 0.0}


def _add(into: dict[str, Any], c: CallRecord) -> None:
    into["calls"] += 1
    into["cached_calls"] += int(c.cached)
    into["prompt_tokens"] += c.prompt_tokens
    into["completion_tokens"] += c.completion_tokens
    into["total_tokens"] += c.prompt_tokens + c.completion_tokens
    if c.cost_usd is None and not c.cached:
        into["cost_known"] = False
    into["cost_usd"] = round(into["cost_usd"] + (c.cost_usd or 0.0), 8)
    into["latency_ms"] = round(into["latency_ms"] + c.latency_ms, 1)


@dataclass
class Trace:
    """What the LLM did during one piece of work."""

    calls: list[CallRecord] = field(default_factory=list)
    degraded: list[Degradation] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, call: CallRecord) -> None:
        with self._lock:
            self.calls.append(call)

    def fell_back(self, event: Degradation) -> None:
        with self._lock:
            self.degraded.append(event)

    @property
    def is_degraded(self) -> bool:
        return bool(self.degraded)

    @property
    def reason(self) -> str | None:
        """One line for the response: the first fallback's component and reason."""
        if not self.degraded:
            return None
        first = self.degraded[0]
        return f"{first.component}: {first.reason}"

    def usage(self) -> dict[str, Any]:
        """Totals, plus the same totals per role (interviewer, judge, answerer)."""
        total = _blank()
        by_role: dict[str, dict[str, Any]] = {}
        for c in self.calls:
            _add(total, c)
            _add(by_role.setdefault(c.role, _blank()), c)
        return {**total, "by_role": by_role}

    def versions(self) -> dict[str, list[str]]:
        """The model names and system fingerprints the provider reported on live (not cached) calls.

        The model string we send is a name; what answers it can change behind the name. These are what an eval
        run records so that drift between two runs can be traced to the provider."""
        live = [c for c in self.calls if not c.cached]
        return {"models": sorted({c.model for c in live if c.model}),
                "system_fingerprints": sorted({c.system_fingerprint for c in live if c.system_fingerprint})}


_TRACE: ContextVar[Trace | None] = ContextVar("casewise_llm_trace", default=None)


def current() -> Trace | None:
    return _TRACE.get()


@contextmanager
def track() -> Iterator[Trace]:
    """Collect the LLM calls and fallbacks of the work inside the block (nested blocks record into both)."""
    outer = _TRACE.get()
    trace = Trace()
    token = _TRACE.set(trace)
    try:
        yield trace
    finally:
        _TRACE.reset(token)
        if outer is not None:
            for c in trace.calls:
                outer.record(c)
            for d in trace.degraded:
                outer.fell_back(d)


@contextmanager
def use(trace: Trace | None) -> Iterator[None]:
    """Make `trace` current (used by the client to carry the caller's trace into its event loop)."""
    token = _TRACE.set(trace)
    try:
        yield
    finally:
        _TRACE.reset(token)


# -- counters ------------------------------------------------------------------------------------------------

class Telemetry:
    """Call, error and fallback counts, exposed on /readyz and /metrics so an operator can see how often the
    provider failed. One lives on the app's Runtime and is handed to every LLM client the composition root builds;
    a client built alone gets its own, so tests read their client's counts and need no reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()
        self._degraded: Counter[str] = Counter()

    def record_call(self, call: CallRecord) -> None:
        """Count a completion and note it on the current trace."""
        with self._lock:
            self._calls[call.role] += 1
            if call.cached:
                self._calls["cached"] += 1
        trace = _TRACE.get()
        if trace is not None:
            trace.record(call)

    def record_error(self, role: str, reason: str) -> None:
        with self._lock:
            self._errors[f"{role}:{reason}"] += 1

    def degraded(self, component: str, reason: str, detail: str = "") -> Degradation:
        """An LLM component fell back to its embedded twin: log it, count it, and note it on the current trace."""
        event = Degradation(component, reason, detail[:300])
        log.warning("LLM %s degraded to the embedded fallback: %s%s", component, reason,
                    f" ({detail})" if detail else "")
        with self._lock:
            self._degraded[f"{component}:{reason}"] += 1
        trace = _TRACE.get()
        if trace is not None:
            trace.fell_back(event)
        return event

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"calls": dict(self._calls), "errors": dict(self._errors), "degraded": dict(self._degraded),
                    "degraded_total": sum(self._degraded.values())}


def merge_usage(stored: dict[str, Any] | None, trace: Trace, limit: int = 50) -> dict[str, Any]:
    """A session's usage after one more piece of work: a new dict (JSON columns only save reassignment)."""
    out: dict[str, Any] = {**_blank(), "by_role": {}, "degraded_events": []}
    old = dict(stored or {})
    new = trace.usage()
    for key in ("calls", "cached_calls", "prompt_tokens", "completion_tokens", "total_tokens"):
        out[key] = int(old.get(key, 0)) + new[key]
    out["cost_usd"] = round(float(old.get("cost_usd", 0.0)) + new["cost_usd"], 8)
    out["cost_known"] = bool(old.get("cost_known", True)) and new["cost_known"]
    out["latency_ms"] = round(float(old.get("latency_ms", 0.0)) + new["latency_ms"], 1)
    roles = {r: dict(v) for r, v in (old.get("by_role") or {}).items()}
    for role, v in new["by_role"].items():
        prev = roles.get(role) or _blank()
        merged = {k: prev.get(k, 0) + v[k] for k in ("calls", "cached_calls", "prompt_tokens", "completion_tokens",
                                                    "total_tokens")}
        merged["cost_usd"] = round(float(prev.get("cost_usd", 0.0)) + v["cost_usd"], 8)
        merged["cost_known"] = bool(prev.get("cost_known", True)) and v["cost_known"]
        merged["latency_ms"] = round(float(prev.get("latency_ms", 0.0)) + v["latency_ms"], 1)
        roles[role] = merged
    out["by_role"] = roles
    events = list(old.get("degraded_events") or [])
    events += [{"component": d.component, "reason": d.reason} for d in trace.degraded]
    out["degraded_events"] = events[-limit:]
    return out
