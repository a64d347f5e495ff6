"""Metrics for a run, chosen by label type: gold levels/bands, scores on a scale, or labels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from evals.items import EvalItem
from evals.metrics import (
    bootstrap_ci,
    cohen_kappa,
    confusion,
    exact,
    f1_scores,
    mae,
    pearson,
    spearman,
    within1,
)
from evals.record import ItemResult, Prediction

BANDS = ["below_bar", "approaching", "meets_bar", "strong"]


def _r(x: float) -> float | None:
    return None if x is None or np.isnan(x) else round(float(x), 4)


def expectation_met(expected: dict[str, Any] | None, pred: Prediction) -> bool | None:
    if not expected:
        return None
    if expected.get("abstain"):
        return pred.abstained
    if "max_band" in expected:
        return pred.abstained or (pred.band is not None and BANDS.index(pred.band) <= BANDS.index(expected["max_band"]))
    return None


def _pred_band(p: Prediction) -> int:
    return 0 if p.abstained or p.band is None else BANDS.index(p.band)


def gold_metrics(items: list[EvalItem], results: list[ItemResult], resamples: int) -> dict[str, Any]:
    pairs = [(it, r) for it, r in zip(items, results) if it.band is not None and it.expected is None]
    out: dict[str, Any] = {"n": len(pairs), "abstained": sum(r.pred.abstained for _, r in pairs)}
    if pairs:
        hb = [BANDS.index(it.band) for it, _ in pairs]  # type: ignore[arg-type]
        pb = [_pred_band(r.pred) for _, r in pairs]
        hs = [it.human_score or 0.0 for it, _ in pairs]
        ps = [r.pred.score or 0.0 for _, r in pairs]
        out["band_qwk"] = _r(cohen_kappa(hb, pb, 4, "quadratic"))
        out["band_exact"] = _r(exact(hb, pb))
        out["band_confusion"] = confusion(hb, pb, 4).tolist()
        out["score_pearson"], out["score_spearman"] = _r(pearson(hs, ps)), _r(spearman(hs, ps))
        out["score_mae"] = _r(mae(hs, ps))
        out["ci"] = {
            "band_qwk": _ci(lambda idx: cohen_kappa([hb[i] for i in idx], [pb[i] for i in idx], 4, "quadratic"),
                            len(hb), resamples),
            "score_pearson": _ci(lambda idx: pearson([hs[i] for i in idx], [ps[i] for i in idx]), len(hs), resamples),
            "score_spearman": _ci(lambda idx: spearman([hs[i] for i in idx], [ps[i] for i in idx]), len(hs),
                                  resamples),
        }
        crit_h: list[int] = []
        crit_p: list[int] = []
        by_comp: dict[str, tuple[list[int], list[int]]] = {}
        for it, r in pairs:
            if r.pred.abstained or not it.levels:
                continue
            for cid, lvl in it.levels.items():
                crit_h.append(lvl)
                crit_p.append(r.pred.levels.get(cid, 0))
                comp = it.competencies.get(cid, cid)
                by_comp.setdefault(comp, ([], []))
                by_comp[comp][0].append(lvl)
                by_comp[comp][1].append(r.pred.levels.get(cid, 0))
        out["criterion_qwk"] = _r(cohen_kappa(crit_h, crit_p, 4, "quadratic"))
        out["criterion_kappa"] = _r(cohen_kappa(crit_h, crit_p, 4))
        out["criterion_exact"], out["criterion_within1"] = _r(exact(crit_h, crit_p)), _r(within1(crit_h, crit_p))
        out["ci"]["criterion_qwk"] = _ci(lambda idx: cohen_kappa([crit_h[i] for i in idx], [crit_p[i] for i in idx],
                                                                 4, "quadratic"), len(crit_h), resamples)
        out["kappa_by_competency"] = {c: _r(cohen_kappa(h, p, 4)) for c, (h, p) in sorted(by_comp.items())}
        out["slices"] = _slices(pairs)
        words = [r.words for _, r in pairs]
        out["length_bias"] = {"pred_vs_words": _r(spearman(ps, words)), "human_vs_words": _r(spearman(hs, words))}
    adv = [(it, r) for it, r in zip(items, results) if it.expected]
    if adv:
        kinds: dict[str, list[bool]] = {}
        for it, r in adv:
            kinds.setdefault(it.kind, []).append(bool(r.passed))
        passed = [float(bool(r.passed)) for _, r in adv]
        out["adversarial"] = {"n": len(adv), "pass_rate": _r(float(np.mean(passed))),
                              "ci": _ci(lambda idx: float(np.mean([passed[i] for i in idx])), len(passed), resamples),
                              "by_kind": {k: {"n": len(v), "pass_rate": _r(float(np.mean(v)))}
                                          for k, v in sorted(kinds.items())}}
    return out


def _ci(fn: Callable[[np.ndarray], float], n: int, resamples: int) -> list[float | None]:
    lo, hi = bootstrap_ci(fn, n, resamples)
    return [_r(lo), _r(hi)]


def _slices(pairs: list[tuple[EvalItem, ItemResult]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for attr in ("qtype", "level", "kind", "source"):
        groups: dict[str, list[tuple[int, int]]] = {}
        for it, r in pairs:
            key = getattr(it, attr) or "-"
            groups.setdefault(key, []).append((BANDS.index(it.band), _pred_band(r.pred)))  # type: ignore[arg-type]
        out[attr] = {k: {"n": len(v), "band_exact": _r(exact([a for a, _ in v], [b for _, b in v])),
                         "band_qwk": _r(cohen_kappa([a for a, _ in v], [b for _, b in v], 4, "quadratic"))}
                     for k, v in sorted(groups.items())}
    return out


def _exact_on(yt: list[str], yp: list[str]) -> Callable[[np.ndarray], float]:
    """Exact agreement on a bootstrap resample's indices (a closure, so each split keeps its own lists)."""
    return lambda idx: exact([yt[i] for i in idx], [yp[i] for i in idx])


def score_metrics(items: list[EvalItem], results: list[ItemResult], resamples: int) -> dict[str, Any]:
    """Scored external data: predicted 0-100 mapped onto the item's scale and compared with the human score."""
    pairs = [(it, r) for it, r in zip(items, results) if it.score01 is not None and it.scale]
    if not pairs:
        return {}
    lo, hi = pairs[0][1].human.get("scale", [0, 1])
    human = [lo + (it.score01 or 0.0) * (hi - lo) for it, _ in pairs]  # pairs hold only scored items
    pred = [lo + (r.pred.score or 0.0) / 100 * (hi - lo) for _, r in pairs]
    hr, pr = [int(round(x)) for x in human], [int(round(x)) for x in pred]
    n_cls = int(round(hi - lo)) + 1
    h0, p0 = [x - int(round(lo)) for x in hr], [x - int(round(lo)) for x in pr]
    words = [r.words for _, r in pairs]
    return {"n": len(pairs), "abstained": sum(r.pred.abstained for _, r in pairs),
            "pearson": _r(pearson(human, pred)), "spearman": _r(spearman(human, pred)),
            "qwk": _r(cohen_kappa(h0, p0, n_cls, "quadratic")), "mae": _r(mae(human, pred)),
            "exact": _r(exact(hr, pr)), "within1": _r(within1(hr, pr)),
            "confusion": confusion(h0, p0, n_cls).tolist(),
            "ci": {"pearson": _ci(lambda idx: pearson([human[i] for i in idx], [pred[i] for i in idx]), len(human),
                                  resamples)},
            "length_bias": {"pred_vs_words": _r(spearman(pred, words)), "human_vs_words": _r(spearman(human, words))}}


def label_metrics(items: list[EvalItem], results: list[ItemResult], resamples: int) -> dict[str, Any]:
    """Labelled external data (e.g. correct/incorrect): a score threshold, fixed on the `train` split if any."""
    pairs = [(it, r) for it, r in zip(items, results) if it.label is not None]
    if not pairs:
        return {}
    labels = sorted({str(it.label) for it, _ in pairs})
    if len(labels) != 2:
        return {"n": len(pairs), "note": "only binary labels are scored"}
    means = {lab: np.mean([r.pred.score or 0.0 for it, r in pairs if it.label == lab]) for lab in labels}
    pos = "correct" if "correct" in labels else max(labels, key=lambda lab: means[lab])
    neg = next(lab for lab in labels if lab != pos)
    train = [(it, r) for it, r in pairs if it.split == "train"]
    threshold, fitted_on = 50.0, "default"
    if train:
        cands = sorted({r.pred.score or 0.0 for _, r in train})
        cuts = [(a + b) / 2 for a, b in zip(cands, cands[1:])] or [50.0]
        threshold = max(cuts, key=lambda t: sum(((r.pred.score or 0.0) >= t) == (it.label == pos)
                                                 for it, r in train))
        fitted_on = "train"
    out: dict[str, Any] = {"n": len(pairs), "positive": pos, "threshold": round(threshold, 2),
                           "threshold_fitted_on": fitted_on, "splits": {}}
    for split in sorted({it.split for it, _ in pairs}):
        if split == "train" and fitted_on == "train":
            continue
        sub = [(it, r) for it, r in pairs if it.split == split]
        yt = [str(it.label) for it, _ in sub]
        yp = [pos if (r.pred.score or 0.0) >= threshold else neg for _, r in sub]
        m: dict[str, Any] = dict(f1_scores(yt, yp))
        m["ci_accuracy"] = _ci(_exact_on(yt, yp), len(sub), resamples)
        m["n"] = len(sub)
        m["confusion"] = [[sum(t == a and p == b for t, p in zip(yt, yp)) for b in (neg, pos)] for a in (neg, pos)]
        kinds = sorted({it.kind for it, _ in sub})
        if len(kinds) > 1:  # e.g. SemEval's two corpora, reported separately as published
            m["by_kind"] = {}
            for k in kinds:
                idx = [i for i, (it, _) in enumerate(sub) if it.kind == k]
                km = f1_scores([yt[i] for i in idx], [yp[i] for i in idx])
                m["by_kind"][k] = {**{a: _r(b) for a, b in km.items()}, "n": len(idx)}
        out["splits"][split] = {k: (_r(v) if isinstance(v, float) else v) for k, v in m.items()}
    return out
