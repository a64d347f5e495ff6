"""Inline mode: the gold set graded with each bank rubric exactly as POST /api/grade would receive it.

A bank rubric carries cues, probes and guide sections that a rubric written by someone else never has. Inline
mode keeps only what the stateless endpoint accepts (each criterion's id, description, weight and level anchors,
plus the reference answer), so the gap between the two modes measures how much the grader leans on the cues.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from app.grading.inline import from_inline
from app.grading.rubric import GradingRubric
from evals.analysis import BANDS
from evals.items import EvalItem
from evals.metrics import bootstrap_ci, cohen_kappa, pearson, spearman
from evals.record import ItemResult


def inline_rubric(rubric: GradingRubric) -> GradingRubric:
    """The rubric as a JSON request body would carry it: no cues, probes, guide sections or names."""
    body = [{"id": c.id, "description": c.description, "weight": c.weight,
             "levels": {str(k): v for k, v in sorted(c.levels.items())}} for c in rubric.criteria]
    return from_inline(rubric.question, body, rubric.reference_answer)


def without_reference(items: list[EvalItem]) -> list[EvalItem]:
    """Each rubric with its reference answer removed: rubric-only grading, as a request with no reference_answer.

    A bank rubric first takes its inline form (cues and probes are not part of a request); an inline rubric keeps
    its criteria, anchors and scale. Reference-only rubrics (short-answer benchmarks) have nothing left to grade by
    and are left out.
    """
    out = []
    for it in items:
        r = inline_rubric(it.rubric) if it.rubric.question_id else it.rubric
        if any(c.cues for c in r.criteria):  # a reference-only rubric: its one criterion is the reference
            continue
        out.append(it.model_copy(update={"rubric": r.model_copy(update={"reference_answer": None})}))
    return out


def to_inline(items: list[EvalItem]) -> list[EvalItem]:
    return [it.model_copy(update={"rubric": inline_rubric(it.rubric)}) for it in items]


def _band(r: ItemResult) -> int:
    return 0 if r.pred.abstained or r.pred.band is None else BANDS.index(r.pred.band)


MetricOnIdx = Callable[[str, str, Any], float]


def _gap(metric: MetricOnIdx, name: str) -> Callable[[np.ndarray], float]:
    """inline minus cued on one bootstrap resample of the items: the paired difference the interval is about."""
    return lambda idx: metric(name, "inline", idx) - metric(name, "cued", idx)


def compare_modes(items: list[EvalItem], cued: list[ItemResult], inline: list[ItemResult],
                  resamples: int) -> dict[str, Any]:
    """Headline metrics in both modes on the same items, with the gap (inline - cued) and its paired 95% interval
    (the same bootstrap resample of items is scored in both modes)."""
    genuine = [i for i, it in enumerate(items) if it.band is not None and it.expected is None]
    hb = [BANDS.index(items[i].band) for i in genuine]  # type: ignore[arg-type]
    hs = [items[i].human_score or 0.0 for i in genuine]
    pb = {m: [_band(rs[i]) for i in genuine] for m, rs in (("cued", cued), ("inline", inline))}
    ps = {m: [rs[i].pred.score or 0.0 for i in genuine] for m, rs in (("cued", cued), ("inline", inline))}
    adv = [i for i, it in enumerate(items) if it.expected]
    passed = {m: [float(bool(rs[i].passed)) for i in adv] for m, rs in (("cued", cued), ("inline", inline))}

    def metric(name: str, mode: str, idx: Any) -> float:
        if name == "band_qwk":
            return cohen_kappa([hb[i] for i in idx], [pb[mode][i] for i in idx], 4, "quadratic")
        if name == "score_pearson":
            return pearson([hs[i] for i in idx], [ps[mode][i] for i in idx])
        if name == "score_spearman":
            return spearman([hs[i] for i in idx], [ps[mode][i] for i in idx])
        return float(np.mean([passed[mode][i] for i in idx])) if len(idx) else float("nan")

    out: dict[str, Any] = {"n": len(genuine), "adversarial_n": len(adv), "metrics": {}}
    for name in ("band_qwk", "score_pearson", "score_spearman", "adversarial_pass_rate"):
        n = len(adv) if name == "adversarial_pass_rate" else len(genuine)
        if n == 0:
            continue
        full = np.arange(n)
        c, i = metric(name, "cued", full), metric(name, "inline", full)
        lo, hi = bootstrap_ci(_gap(metric, name), n, resamples)
        out["metrics"][name] = {"cued": _r(c), "inline": _r(i), "gap": _r(i - c), "gap_ci": [_r(lo), _r(hi)]}
    return out


def _r(x: float) -> float | None:
    return None if x is None or np.isnan(x) else round(float(x), 4)


def run_inline(grader: Any, items: list[EvalItem], dataset: str, repeats: int = 1, **opts: Any) -> Any:
    """Grade `items` in both modes. The record holds the inline grades and metrics; `metrics.cued` holds the cued
    mode's, and `metrics.cued_vs_inline` the headline metrics side by side with the gap and its interval."""
    from evals.runner import grade_passes, metric_blocks, results_for, run

    quiet, concurrency = opts.get("quiet", False), opts.get("concurrency")
    resamples = opts.get("resamples", 1000)
    cued_passes = grade_passes(grader, items, repeats, quiet, concurrency, label="grading (cued)")
    inline_items = to_inline(items)
    t0 = time.perf_counter()
    inline_passes = grade_passes(grader, inline_items, repeats, quiet, concurrency, label="grading (inline)")
    rec = run(grader, inline_items, f"{dataset}-inline", repeats=repeats, mode="inline", passes=inline_passes,
              passes_seconds=time.perf_counter() - t0, **opts)
    cued = results_for(items, cued_passes)
    rec.metrics["cued"] = metric_blocks(items, cued, resamples)
    rec.metrics["cued_vs_inline"] = compare_modes(items, cued, rec.items, resamples)
    return rec
