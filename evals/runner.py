"""Running a grader over a dataset: progress bar, repeats for consistency, metrics, and the run record."""

from __future__ import annotations

import logging
import time
from typing import Any

from app.grading import Scorecard
from evals import accounting
from evals.analysis import expectation_met, gold_metrics, label_metrics, score_metrics
from evals.graders import make_grader
from evals.grading import BatchGrader, Graded, grade_pairs, is_llm
from evals.items import EvalItem, dataset_hash
from evals.record import ItemResult, Prediction, RunRecord, git_sha, new_run_id, now

log = logging.getLogger(__name__)
__all__ = ["BatchGrader", "make_grader", "metric_blocks", "run"]


def _predict(card: Scorecard) -> Prediction:
    return Prediction(abstained=card.abstained, reason=card.reason,
                      score=card.overall.score if card.overall else None,
                      band=card.overall.band if card.overall else None,
                      levels={c.id: c.level for c in card.criteria}, flags=card.flags,
                      degraded=bool(card.degraded), degraded_reason=card.degraded_reason)


def _human(it: EvalItem) -> dict[str, Any]:
    h: dict[str, Any] = {}
    for key in ("levels", "band", "label", "expected"):
        if getattr(it, key) is not None:
            h[key] = getattr(it, key)
    if it.score01 is not None:
        h["score01"] = it.score01
    if it.scale is not None:
        h["scale"] = list(it.scale)
    return h


def metric_blocks(items: list[EvalItem], results: list[ItemResult], resamples: int) -> dict[str, Any]:
    """The metrics that fit the labels: gold levels and bands, scores on a scale, labels."""
    out: dict[str, Any] = {}
    for name, fn in (("gold", gold_metrics), ("score", score_metrics), ("label", label_metrics)):
        m = fn(items, results, resamples)
        if m:
            out[name] = m
    return out


def results_for(items: list[EvalItem], passes: list[list[Graded]]) -> list[ItemResult]:
    out = []
    for i, it in enumerate(items):
        overalls = [p[i].card.overall for p in passes]
        scores = [o.score if o is not None else -1.0 for o in overalls]
        first = passes[0][i]
        pred = _predict(first.card)
        out.append(ItemResult(id=it.id, split=it.split, kind=it.kind, qtype=it.qtype, level=it.level,
                              words=len(it.answer.split()), human=_human(it), pred=pred,
                              spread=max(scores) - min(scores), passed=expectation_met(it.expected, pred),
                              source=it.source, excerpt=it.answer[:240], cost=first.cost))
    return out


def grade_passes(grader: BatchGrader, items: list[EvalItem], repeats: int = 1, quiet: bool = False,
                 concurrency: int | None = None, label: str = "grading", workers: int = 1,
                 spec: str | None = None) -> list[list[Graded]]:
    """Every item graded `repeats` times; with `workers` > 1 (and the grader's `spec`), across processes."""
    pairs = [(it.rubric, it.answer) for it in items]
    if workers > 1 and spec is not None and len(pairs) > 1:
        from evals.workers import grade_in_processes

        return [grade_in_processes(spec, pairs, workers, concurrency, quiet,
                                   f"{label}{f' (repeat {k + 1}/{repeats})' if repeats > 1 else ''}")
                for k in range(max(repeats, 1))]
    return [grade_pairs(grader, pairs, concurrency=concurrency, quiet=quiet,
                        desc=f"{label}{f' (repeat {k + 1}/{repeats})' if repeats > 1 else ''}")
            for k in range(max(repeats, 1))]


def provider_versions(passes: list[list[Graded]]) -> dict[str, list[str]]:
    models: set[str] = set()
    fps: set[str] = set()
    for p in passes:
        for g in p:
            models.update(g.versions.get("models", []))
            fps.update(g.versions.get("system_fingerprints", []))
    return {"models": sorted(models), "system_fingerprints": sorted(fps)}


def run(grader: BatchGrader, items: list[EvalItem], dataset: str, repeats: int = 1, quiet: bool = False,
        resamples: int = 1000, settings: dict[str, Any] | None = None, concurrency: int | None = None,
        max_fallback: float = accounting.DEFAULT_MAX_FALLBACK, mode: str = "cued",
        passes: list[list[Graded]] | None = None, workers: int = 1, spec: str | None = None,
        passes_seconds: float | None = None) -> RunRecord:
    """Grade `items` (`repeats` times), compute the metrics and the accounting, and build the run record.

    Metrics are computed on every item, and again on the items the judge itself graded (`judged_only`) when
    any fell back. `passes` lets a caller reuse grades it already has (the inline mode's cued half), with the
    seconds they took in `passes_seconds`, so the speed line reports the grading, not the reuse.
    """
    t0 = time.perf_counter()
    passes = passes or grade_passes(grader, items, repeats, quiet, concurrency, workers=workers, spec=spec)
    seconds = passes_seconds if passes_seconds is not None else time.perf_counter() - t0
    results = results_for(items, passes)
    metrics: dict[str, Any] = metric_blocks(items, results, resamples)
    judged = [(it, r) for it, r in zip(items, results) if not r.pred.degraded]
    if len(judged) < len(results):
        metrics["judged_only"] = metric_blocks([it for it, _ in judged], [r for _, r in judged], resamples)
        metrics["judged_only"]["n"] = len(judged)
    spreads = [r.spread for r in results]
    metrics["consistency"] = {"repeats": repeats, "max_spread": max(spreads, default=0.0),
                              "items_with_spread": sum(s > 0 for s in spreads)}
    metrics["degraded"] = sum(r.pred.degraded for r in results)
    metrics["accounting"] = accounting.summarise(results)
    n_graded = len(items) * max(len(passes), 1)
    metrics["speed"] = {"answers": n_graded, "seconds": round(seconds, 2),
                        "answers_per_s": round(n_graded / seconds, 1) if seconds else None}
    valid, why = accounting.validity(metrics["accounting"], max_fallback)
    fp = dict(grader.fingerprint)
    fp.update({"git_sha": git_sha(), "settings": settings or {}})
    if is_llm(grader):  # what the provider says answered, so provider drift shows between runs
        fp["provider"] = provider_versions(passes)
    if why:
        log.warning("invalid run: %s", why)
    return RunRecord(run_id=new_run_id(dataset, str(fp.get("kind", "grader"))), created_at=now(),
                     dataset={"name": dataset, "n": len(items), "hash": dataset_hash(items)}, grader=fp,
                     repeats=repeats, seconds=round(seconds, 2), items=results, metrics=metrics, mode=mode,
                     valid=valid, invalid_reason=why)
