"""Fitting the embedded grader's global parameters on the gold calib split, and reporting on test.

Only global parameters are fitted (one weight per feature, a bias and three cut points), never anything per
question, so the grader carries over to rubrics it has not seen. External benchmarks are never used here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.content import band_for, overall_score
from app.grading.embedded import PARAMS_FILE, EmbeddedGrader, Params, Screened, screen
from app.grading.features import FEATURES, CriterionFeatures
from evals.analysis import BANDS
from evals.items import EvalItem
from evals.metrics import cohen_kappa, exact, within1

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


@dataclass(frozen=True)
class Agreement:
    n_answers: int
    n_criteria: int
    criterion_qwk: float
    criterion_kappa: float
    criterion_exact: float
    criterion_within1: float
    band_qwk: float
    band_exact: float
    abstained: int
    per_competency_kappa: dict[str, float]


def agreement(grader: EmbeddedGrader, rows: list[Row], abstained: dict[str, str | None]) -> Agreement:
    pred = _levels(grader, rows, grader.params)
    human = [r.human for r in rows]
    by_item: dict[str, dict[str, int]] = {}
    items: dict[str, EvalItem] = {}
    for r, p in zip(rows, pred):
        by_item.setdefault(r.item.id, {})[r.criterion_id] = p
        items[r.item.id] = r.item
    hb, pb = [], []
    for iid, levels in by_item.items():
        it = items[iid]
        hb.append(BANDS.index(it.band or 'below_bar'))
        pb.append(BANDS.index(band_for(overall_score(levels, it.rubric.weights)).value))
    comp: dict[str, tuple[list[int], list[int]]] = {}
    for r, p in zip(rows, pred):
        c = r.item.competencies.get(r.criterion_id, r.criterion_id)
        comp.setdefault(c, ([], []))[0].append(r.human)
        comp[c][1].append(p)
    return Agreement(
        n_answers=len(by_item), n_criteria=len(rows),
        criterion_qwk=cohen_kappa(human, pred, 4, "quadratic"), criterion_kappa=cohen_kappa(human, pred, 4),
        criterion_exact=exact(human, pred), criterion_within1=within1(human, pred),
        band_qwk=cohen_kappa(hb, pb, 4, "quadratic"), band_exact=exact(hb, pb),
        abstained=sum(v is not None for v in abstained.values()),
        per_competency_kappa={c: round(cohen_kappa(h, p, 4), 3) for c, (h, p) in sorted(comp.items())})
