"""Agreement metrics between predicted and human labels, with bootstrap confidence intervals."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def confusion(y_true: Sequence[int], y_pred: Sequence[int], n: int) -> np.ndarray:
    m = np.zeros((n, n), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        m[int(t), int(p)] += 1
    return m


def cohen_kappa(y_true: Sequence[int], y_pred: Sequence[int], n: int, weights: str | None = None) -> float:
    """Cohen's kappa; `weights="quadratic"` gives QWK. Returns 1.0 when both raters are constant and agree."""
    if len(y_true) == 0:
        return float("nan")
    obs = confusion(y_true, y_pred, n).astype(float)
    total = obs.sum()
    exp = np.outer(obs.sum(axis=1), obs.sum(axis=0)) / total
    i, j = np.indices((n, n))
    w = ((i - j) ** 2) / ((n - 1) ** 2) if weights == "quadratic" else (i != j).astype(float)
    denom = (w * exp).sum()
    if denom == 0:
        return 1.0 if (w * obs).sum() == 0 else 0.0
    return float(1 - (w * obs).sum() / denom)


def exact(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred))) if len(y_true) else float("nan")


def within1(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred)) <= 1)) if len(y_true) else float("nan")


def mae(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    if not len(y_true):
        return float("nan")
    return float(np.mean(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float))))


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    a, b = np.asarray(x, float), np.asarray(y, float)
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), float)
    ranks[order] = np.arange(len(x), dtype=float)
    for v in np.unique(x):  # average ranks for ties
        idx = x == v
        ranks[idx] = ranks[idx].mean()
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    return pearson(_ranks(np.asarray(x, float)), _ranks(np.asarray(y, float)))


def f1_scores(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    """Accuracy, macro-F1 and support-weighted F1 over the labels that occur in y_true."""
    labels = sorted(set(y_true))
    f1s, supports = [], []
    for lab in labels:
        tp = sum(t == lab and p == lab for t, p in zip(y_true, y_pred))
        fp = sum(t != lab and p == lab for t, p in zip(y_true, y_pred))
        fn = sum(t == lab and p != lab for t, p in zip(y_true, y_pred))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
        supports.append(tp + fn)
    total = sum(supports)
    return {"accuracy": exact(list(y_true), list(y_pred)) if y_true else float("nan"),
            "macro_f1": float(np.mean(f1s)) if f1s else float("nan"),
            "weighted_f1": float(sum(f * s for f, s in zip(f1s, supports)) / total) if total else float("nan")}


def bootstrap_ci(fn: Callable[[np.ndarray], float], n_items: int, resamples: int = 1000,
                 seed: int = 7) -> tuple[float, float]:
    """95% percentile interval of `fn(indices)` over bootstrap resamples of the items (fixed seed: reproducible)."""
    if n_items < 2:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(resamples):
        v = fn(rng.integers(0, n_items, n_items))
        if not np.isnan(v):
            vals.append(v)
    if not vals:
        return (float("nan"), float("nan"))
    lo, hi = np.percentile(vals, [2.5, 97.5])
    return (float(lo), float(hi))
