"""Grading many items with any grader, and accounting for each one: who graded it, how long it took, what it cost.

Two paths, chosen by the grader:
- the embedded grader (no model) grades in batches through `grade_many`, which is much faster; each item's
  latency is then the batch's time divided by its size;
- an LLM grader grades item by item, `concurrency` items in flight, each inside its own telemetry trace, so the
  tokens, cost, latency and any fallback are known per item. 429s are retried by the client with backoff (and
  the provider's Retry-After) inside each item's deadline.
Identical (rubric, answer) pairs are graded once per pass and share the grade; the cost goes to the first.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Protocol

from tqdm import tqdm

from app.grading import Scorecard
from app.grading.rubric import GradingRubric
from app.llm import telemetry
from evals.record import Accounting

BATCH = 64
DEFAULT_LLM_CONCURRENCY = 4


class BatchGrader(Protocol):
    @property
    def fingerprint(self) -> dict[str, Any]: ...

    def grade(self, rubric: GradingRubric, answer: str) -> Scorecard: ...


@dataclass
class Graded:
    card: Scorecard
    cost: Accounting
    versions: dict[str, list[str]] = field(default_factory=dict)  # provider model names / system fingerprints


def is_llm(grader: BatchGrader) -> bool:
    """A grader that calls a model (the judge, the ensemble): graded per item, with accounting per item."""
    fp = grader.fingerprint
    return bool(fp.get("model")) or fp.get("kind") in ("llm", "ensemble")


def grader_used(card: Scorecard) -> str:
    g = card.grader or {}
    kind, model = str(g.get("kind") or "unknown"), g.get("model")
    return f"{kind}:{model}" if model else kind


def _account(card: Scorecard, trace: telemetry.Trace | None, latency_ms: float) -> Accounting:
    if trace is None:
        return Accounting(grader=grader_used(card), latency_ms=round(latency_ms, 2), cost_usd=0.0)  # no provider
    u = trace.usage()
    live_costs = [c.cost_usd for c in trace.calls if not c.cached]
    cost = None if any(c is None for c in live_costs) else round(sum(c or 0.0 for c in live_costs), 8)
    return Accounting(grader=grader_used(card), latency_ms=round(latency_ms, 2), calls=u["calls"] - u["cached_calls"],
                      cached_calls=u["cached_calls"], prompt_tokens=u["prompt_tokens"],
                      completion_tokens=u["completion_tokens"], cost_usd=cost)


def _grade_one(grader: BatchGrader, rubric: GradingRubric, answer: str) -> Graded:
    with telemetry.track() as trace:
        t0 = time.perf_counter()
        card = grader.grade(rubric, answer)
        ms = (time.perf_counter() - t0) * 1000
    if card.degraded and not card.degraded_reason and trace.reason:
        card = card.model_copy(update={"degraded_reason": trace.reason})
    return Graded(card, _account(card, trace, ms), trace.versions())


def _key(rubric: GradingRubric, answer: str) -> tuple[str, str]:
    return rubric.content_hash(), answer


def grade_pairs(grader: BatchGrader, pairs: list[tuple[GradingRubric, str]], *, concurrency: int | None = None,
                desc: str = "grading", quiet: bool = False) -> list[Graded]:
    """Grade every (rubric, answer) pair, in order; see the module docstring for the two paths."""
    many = getattr(grader, "grade_many", None)
    if many is not None and not is_llm(grader) and concurrency is None:
        return _batched(many, pairs, desc, quiet)
    workers = max(1, concurrency or DEFAULT_LLM_CONCURRENCY)
    first: dict[tuple[str, str], int] = {}
    for i, (rubric, answer) in enumerate(pairs):
        first.setdefault(_key(rubric, answer), i)
    done: dict[int, Graded] = {}
    with tqdm(total=len(pairs), desc=desc, unit="answer", disable=quiet) as bar, \
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eval-grade") as pool:
        futures = {pool.submit(_grade_one, grader, *pairs[i]): i for i in first.values()}
        for fut in as_completed(futures):
            done[futures[fut]] = fut.result()
            bar.update(1)
        bar.update(len(pairs) - len(first))
    out = []
    for i, (rubric, answer) in enumerate(pairs):
        j = first[_key(rubric, answer)]
        g = done[j]
        out.append(g if i == j else Graded(g.card, Accounting(grader=g.cost.grader, latency_ms=g.cost.latency_ms,
                                                              cost_usd=0.0)))
    return out


def _batched(many: Any, pairs: list[tuple[GradingRubric, str]], desc: str, quiet: bool) -> list[Graded]:
    out: list[Graded] = []
    with tqdm(total=len(pairs), desc=desc, unit="answer", disable=quiet) as bar:
        for start in range(0, len(pairs), BATCH):
            chunk = pairs[start:start + BATCH]
            t0 = time.perf_counter()
            cards = many(chunk)
            per = (time.perf_counter() - t0) * 1000 / max(len(chunk), 1)
            out += [Graded(c, _account(c, None, per)) for c in cards]
            bar.update(len(chunk))
    return out
