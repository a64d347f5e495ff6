"""Running a grader over a dataset: progress bar, repeats for consistency, metrics, and the run record."""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from tqdm import tqdm

from app.grading import Scorecard
from app.grading.rubric import GradingRubric
from app.settings import Settings
from evals.analysis import expectation_met, gold_metrics, label_metrics, score_metrics
from evals.items import EvalItem, dataset_hash
from evals.record import ItemResult, Prediction, RunRecord, git_sha, new_run_id, now

log = logging.getLogger(__name__)
BATCH = 64


class BatchGrader(Protocol):
    @property
    def fingerprint(self) -> dict[str, Any]: ...

    def grade(self, rubric: GradingRubric, answer: str) -> Scorecard: ...


def make_grader(spec: str, settings: Settings) -> BatchGrader:
    """`embedded`, or `llm:<litellm model>` (the LLM judge)."""
    if spec == "embedded":
        from app.grading import EmbeddedGrader
        from rag.wiring import make_embedder

        return EmbeddedGrader(make_embedder(settings))
    if spec.startswith("llm:") and len(spec) > 4:
        try:
            from app.grading.llm_judge import make_llm_grader
        except ImportError:
            raise SystemExit("error: the LLM judge is not available in this version; use --grader embedded") from None
        return make_llm_grader(spec[4:], settings)  # type: ignore[no-any-return]
    raise SystemExit(f"error: unknown grader {spec!r}; use 'embedded' or 'llm:<model>'")


def _predict(card: Scorecard) -> Prediction:
    return Prediction(abstained=card.abstained, reason=card.reason,
                      score=card.overall.score if card.overall else None,
                      band=card.overall.band if card.overall else None,
                      levels={c.id: c.level for c in card.criteria}, flags=card.flags,
                      degraded=bool(getattr(card, "degraded", False)))


def _grade_all(grader: BatchGrader, items: list[EvalItem], desc: str, quiet: bool) -> list[Scorecard]:
    cards: list[Scorecard] = []
    many = getattr(grader, "grade_many", None)
    with tqdm(total=len(items), desc=desc, unit="answer", disable=quiet) as bar:
        for start in range(0, len(items), BATCH):
            chunk = items[start:start + BATCH]
            if many is not None:
                cards.extend(many([(it.rubric, it.answer) for it in chunk]))
            else:
                cards.extend(grader.grade(it.rubric, it.answer) for it in chunk)
            bar.update(len(chunk))
    return cards


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


def run(grader: BatchGrader, items: list[EvalItem], dataset: str, repeats: int = 1, quiet: bool = False,
        resamples: int = 1000, settings: dict[str, Any] | None = None) -> RunRecord:
    t0 = time.perf_counter()
    passes = [_grade_all(grader, items, f"grading{f' (repeat {k + 1}/{repeats})' if repeats > 1 else ''}", quiet)
              for k in range(max(repeats, 1))]
    seconds = time.perf_counter() - t0
    results = []
    for i, it in enumerate(items):
        scores = [p[i].overall.score if p[i].overall else -1.0 for p in passes]
        pred = _predict(passes[0][i])
        results.append(ItemResult(id=it.id, split=it.split, kind=it.kind, qtype=it.qtype, level=it.level,
                                  words=len(it.answer.split()), human=_human(it), pred=pred,
                                  spread=max(scores) - min(scores), passed=expectation_met(it.expected, pred)))
    metrics: dict[str, Any] = {}
    for name, fn in (("gold", gold_metrics), ("score", score_metrics), ("label", label_metrics)):
        m = fn(items, results, resamples)
        if m:
            metrics[name] = m
    spreads = [r.spread for r in results]
    metrics["consistency"] = {"repeats": repeats, "max_spread": max(spreads, default=0.0),
                              "items_with_spread": sum(s > 0 for s in spreads)}
    metrics["degraded"] = sum(r.pred.degraded for r in results)
    usage = getattr(grader, "usage", None)
    if usage:
        metrics["usage"] = usage if isinstance(usage, dict) else getattr(usage, "__dict__", {})
    metrics["speed"] = {"answers": len(items) * max(repeats, 1), "seconds": round(seconds, 2),
                        "answers_per_s": round(len(items) * max(repeats, 1) / seconds, 1) if seconds else None}
    fp = dict(grader.fingerprint)
    fp.update({"git_sha": git_sha(), "settings": settings or {}})
    return RunRecord(run_id=new_run_id(dataset, str(fp.get("kind", "grader"))), created_at=now(),
                     dataset={"name": dataset, "n": len(items), "hash": dataset_hash(items)}, grader=fp,
                     repeats=repeats, seconds=round(seconds, 2), items=results, metrics=metrics)
