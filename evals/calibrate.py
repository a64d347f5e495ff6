"""Fitting the embedded grader's global parameters on the gold calib split (reports come from evals.runner).

Only global parameters are fitted (one weight per feature, a bias and three cut points), never anything per
question, so the grader carries over to rubrics it has not seen. Every calib rubric is passed inline, exactly
as `POST /api/grade` receives one (description, weight and level anchors; no cues, probes or guide links), so
the fit cannot lean on signals that only bank rubrics carry. External benchmarks and the foreign-rubric set
are never used here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import cohen_kappa_score

from app.grading.embedded import PARAMS_FILE, Analysis, EmbeddedGrader, Params
from app.grading.features import FEATURES, CriterionFeatures
from app.grading.screen import screen
from evals.items import EvalItem

log = logging.getLogger(__name__)


@dataclass
class Row:
    item: EvalItem
    criterion_id: str
    human: int
    feats: CriterionFeatures
    analysis: Analysis


def collect(grader: EmbeddedGrader, items: list[EvalItem]) -> tuple[list[Row], dict[str, str | None]]:
    """Features for every (answer, criterion); also which answers the screens abstain on."""
    rows: list[Row] = []
    abstained: dict[str, str | None] = {}
    for it in (i for i in items if i.levels is not None and i.expected is None):
        sc = screen(it.answer, it.rubric.question, it.rubric.reference_answer)
        abstained[it.id] = sc.abstain
        if sc.abstain:
            continue
        a = grader.analyse(it.rubric, sc, grader.embed_spans(sc.norm))
        for c, f in zip(it.rubric.criteria, a.features):
            rows.append(Row(it, c.id, it.levels[c.id], f, a))  # type: ignore[index]
    return rows, abstained


def _levels(grader: EmbeddedGrader, rows: list[Row], params: Params) -> list[int]:
    saved = grader.params
    grader.params = params
    try:
        return [grader.level_for(r.feats, r.analysis.screened, r.analysis.capped)[0] for r in rows]
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
    for _ in range(3):
        for k in range(3):
            for g in grid:
                trial = cuts.copy()
                trial[k] = float(g)
                if not (trial[0] < trial[1] < trial[2]):
                    continue
                pred = _levels(grader, rows, Params(weights, bias, (trial[0], trial[1], trial[2])))
                q = float(cohen_kappa_score(y.astype(int), pred, weights="quadratic"))
                if q > best + 1e-9:
                    best, cuts = q, trial
    log.info("fitted on %d criterion labels: QWK %.3f", len(rows), best)
    return Params(weights, bias, (round(cuts[0], 4), round(cuts[1], 4), round(cuts[2], 4)))


def save(params: Params, fitted_on: str, path: Path = PARAMS_FILE) -> None:
    path.write_text(json.dumps({"weights": params.weights, "bias": params.bias, "cuts": list(params.cuts),
                                "fitted_on": fitted_on}, indent=2) + "\n")
