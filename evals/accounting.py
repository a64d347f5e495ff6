"""The run's honest accounting: how many items the judge really graded, what they cost, and whether to trust it.

A judge that falls back to the embedded grader still returns a grade, so its figures look like the judge's. The
summary here counts the fallbacks and their reasons, and a run whose fallback rate is above `max_fallback` is
invalid: its metrics describe the fallback, not the judge.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from evals.record import ItemResult

DEFAULT_MAX_FALLBACK = 0.05


def judge_items(results: list[ItemResult]) -> list[ItemResult]:
    """Items the grader was asked to grade: all but those the shared screens abstained on (those never reach a
    model, so they cannot fall back)."""
    return [r for r in results if r.pred.degraded or not r.pred.abstained]


def summarise(results: list[ItemResult]) -> dict[str, Any]:
    """Fallback rate and reasons, graders used, latency percentiles, tokens and cost (total and per 1,000)."""
    n = len(results)
    eligible = judge_items(results)
    fallbacks = [r for r in results if r.pred.degraded]
    lat = [r.cost.latency_ms for r in results]
    costs = [r.cost.cost_usd for r in results]
    known = all(c is not None for c in costs)
    total_cost = round(sum(c or 0.0 for c in costs), 6)
    prompt = sum(r.cost.prompt_tokens for r in results)
    completion = sum(r.cost.completion_tokens for r in results)
    return {
        "n": n, "judge_items": len(eligible), "fallbacks": len(fallbacks),
        "fallback_rate": round(len(fallbacks) / len(eligible), 4) if eligible else 0.0,
        "fallback_reasons": dict(Counter((r.pred.degraded_reason or "unknown") for r in fallbacks).most_common()),
        "graders": dict(Counter(r.cost.grader for r in results).most_common()),
        "latency_ms": {"p50": _pct(lat, 50), "p95": _pct(lat, 95), "mean": _mean(lat)},
        "calls": sum(r.cost.calls for r in results), "cached_calls": sum(r.cost.cached_calls for r in results),
        "prompt_tokens": prompt, "completion_tokens": completion,
        "tokens_per_answer": round((prompt + completion) / n, 1) if n else 0.0,
        "cost_known": known, "cost_usd": total_cost if known else None,
        "cost_per_1000_usd": round(1000 * total_cost / n, 4) if known and n else None,
    }


def validity(summary: dict[str, Any], max_fallback: float) -> tuple[bool, str | None]:
    rate = float(summary.get("fallback_rate", 0.0))
    if rate > max_fallback + 1e-12:
        reasons = ", ".join(f"{k} {v}" for k, v in summary.get("fallback_reasons", {}).items())
        return False, (f"{summary['fallbacks']} of {summary['judge_items']} items ({rate:.0%}) fell back to the "
                       f"embedded grader ({reasons}); the limit is {max_fallback:.0%} (--max-fallback)")
    return True, None


def _pct(xs: list[float], q: float) -> float | None:
    return round(float(np.percentile(xs, q)), 1) if xs else None


def _mean(xs: list[float]) -> float | None:
    return round(float(np.mean(xs)), 1) if xs else None
