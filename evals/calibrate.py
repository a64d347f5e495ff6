"""Fitting the embedded grader's global parameters on the gold calib split (reports come from evals.runner).

Only global parameters are fitted (one weight per feature, a bias and three cut points), never anything per
question, so the grader carries over to rubrics it has not seen. External benchmarks are never used here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.grading.embedded import PARAMS_FILE, EmbeddedGrader, Params, Screened, screen
from app.grading.features import FEATURES, CriterionFeatures
from evals.items import EvalItem
from evals.metrics import cohen_kappa

log = logging.getLogger(__name__)


@dataclass
class Row:
    item: EvalItem
    criterion_id: str
    human: int
    feats: CriterionFeatures
    screened: Screened
    capped: bool


def collect(grader: EmbeddedGrader, items: list[EvalItem]) -> tuple[list[Row], dict[str, str | None]]:
    """Features for every (answer, criterion); also which answers the screens abstain on."""
    rows: list[Row] = []
    abstained: dict[str, str | None] = {}
    items = [it for it in items if it.levels is not None and it.expected is None]
    screened = [screen(it.answer, it.rubric.question, it.rubric.reference_answer) for it in items]
    texts = [s.text for sc in screened if not sc.abstain for s in sc.spans]
    vecs = grader.embedder.embed(texts)
    pos = 0
    for it, sc in zip(items, screened):
        abstained[it.id] = sc.abstain
        if sc.abstain:
            continue
        v = vecs[pos:pos + len(sc.spans)]
        pos += len(sc.spans)
        sc, v = grader.on_rubric(it.rubric, sc, v)
        feats = grader.features(it.rubric, sc, v)
        capped = grader.dominated_by_keywords(sc, feats)
        for c, f in zip(it.rubric.criteria, feats):
            rows.append(Row(it, c.id, it.levels[c.id], f, sc, capped))  # type: ignore[index]
    return rows, abstained


def _levels(grader: EmbeddedGrader, rows: list[Row], params: Params) -> list[int]:
    saved = grader.params
    grader.params = params
    try:
        return [grader.level_for(r.feats, r.screened, r.capped) for r in rows]
    finally:
        grader.params = saved


def fit(grader: EmbeddedGrader, rows: list[Row]) -> Params:
    """Least squares for the weights, then cut points chosen to maximise QWK (caps applied) on these rows."""
    x = np.array([r.feats.vector() for r in rows])
    y = np.array([r.human for r in rows], dtype=float)
    a = np.hstack([x, np.ones((len(x), 1))])
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    weights = {f: round(float(w), 6) for f, w in zip(FEATURES, coef[:-1])}
    bias = round(float(coef[-1]), 6)
    z = a @ coef
    grid = np.unique(np.round(np.quantile(z, np.linspace(0.02, 0.98, 49)), 4))
    cuts = [0.5, 1.5, 2.5]
    best = -1.0
    for _ in range(4):
        for k in range(3):
            for g in grid:
                trial = cuts.copy()
                trial[k] = float(g)
                if not (trial[0] < trial[1] < trial[2]):
                    continue
                q = cohen_kappa(y.astype(int), _levels(grader, rows, Params(weights, bias, tuple(trial))), 4,
                                "quadratic")
                if q > best + 1e-9:
                    best, cuts = q, trial
    return Params(weights, bias, (round(cuts[0], 4), round(cuts[1], 4), round(cuts[2], 4)))


def save(params: Params, fitted_on: str, path: Path = PARAMS_FILE) -> None:
    path.write_text(json.dumps({"weights": params.weights, "bias": params.bias, "cuts": list(params.cuts),
                                "fitted_on": fitted_on}, indent=2) + "\n")
