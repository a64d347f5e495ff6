"""Agreement metrics, each a named function in a small registry, computed by scikit-learn and scipy.

The registry (as in inspect_ai's `@metric`) names every metric once, so a report or a test can look one up by
name; `analysis.py` picks the ones that fit each kind of label. The functions only adapt the libraries to the
harness's conventions: NaN where a metric is undefined (too few items, a constant rater), and kappa 1.0 when two
constant raters agree (sklearn divides by zero there).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
from scipy import stats
from sklearn import metrics as skm

MetricFn = Callable[..., Any]
REGISTRY: dict[str, MetricFn] = {}
F = TypeVar("F", bound=MetricFn)


def metric(name: str) -> Callable[[F], F]:
    """Register a metric function under `name` (unique); the function keeps its own signature for callers."""
    def wrap(fn: F) -> F:
        if name in REGISTRY:
            raise ValueError(f"metric {name!r} is registered twice")
        REGISTRY[name] = fn
        return fn
    return wrap


@metric("confusion")
def confusion(y_true: Sequence[int], y_pred: Sequence[int], n: int) -> np.ndarray:
    if len(y_true) == 0:
        return np.zeros((n, n), dtype=np.int64)
    return np.asarray(skm.confusion_matrix(np.asarray(y_true, int), np.asarray(y_pred, int), labels=list(range(n))))


@metric("kappa")
def cohen_kappa(y_true: Sequence[int], y_pred: Sequence[int], n: int, weights: str | None = None) -> float:
    """Cohen's kappa; `weights="quadratic"` gives QWK. Returns 1.0 when both raters are constant and agree."""
    if len(y_true) == 0:
        return float("nan")
    a, b = np.asarray(y_true, int), np.asarray(y_pred, int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns, then returns NaN, when kappa is undefined
        k = skm.cohen_kappa_score(a, b, labels=list(range(n)), weights=weights)
    if np.isnan(k):  # chance agreement is total: both raters constant
        return 1.0 if np.array_equal(a, b) else 0.0
    return float(k)


REGISTRY["qwk"] = lambda y_true, y_pred, n: cohen_kappa(y_true, y_pred, n, "quadratic")


@metric("exact")
def exact(y_true: Sequence[Any], y_pred: Sequence[Any]) -> float:
    return float(skm.accuracy_score(list(y_true), list(y_pred))) if len(y_true) else float("nan")


REGISTRY["accuracy"] = exact


@metric("within1")
def within1(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred)) <= 1)) if len(y_true) else float("nan")


@metric("mae")
def mae(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    return float(skm.mean_absolute_error(y_true, y_pred)) if len(y_true) else float("nan")


def _constant(a: np.ndarray) -> bool:
    return bool(np.ptp(a) == 0) if len(a) else True


@metric("pearson")
def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    a, b = np.asarray(x, float), np.asarray(y, float)
    if len(a) < 2 or _constant(a) or _constant(b):
        return float("nan")
    return float(stats.pearsonr(a, b).statistic)


@metric("spearman")
def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    a, b = np.asarray(x, float), np.asarray(y, float)
    if len(a) < 2 or _constant(a) or _constant(b):
        return float("nan")
    return float(stats.spearmanr(a, b).statistic)


def f1_scores(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    """Accuracy, macro-F1 and support-weighted F1 over the labels that occur in y_true."""
    if not len(y_true):
        return {"accuracy": float("nan"), "macro_f1": float("nan"), "weighted_f1": float("nan")}
    labels = sorted(set(y_true))
    yt, yp = list(y_true), list(y_pred)
    return {"accuracy": exact(yt, yp),
            "macro_f1": float(skm.f1_score(yt, yp, labels=labels, average="macro", zero_division=0)),
            "weighted_f1": float(skm.f1_score(yt, yp, labels=labels, average="weighted", zero_division=0))}


REGISTRY["macro_f1"] = lambda y_true, y_pred: f1_scores(y_true, y_pred)["macro_f1"]
REGISTRY["weighted_f1"] = lambda y_true, y_pred: f1_scores(y_true, y_pred)["weighted_f1"]


def bootstrap_ci(fn: Callable[[np.ndarray], float], n_items: int, resamples: int = 1000,
                 seed: int = 7) -> tuple[float, float]:
    """95% percentile interval of `fn(indices)` over bootstrap resamples of the items (fixed seed: reproducible).

    scipy's bootstrap resamples the item indices; `fn` computes the metric on those items, so paired data (human
    and predicted labels of the same items) stay paired. Resamples where the metric is undefined are skipped.
    """
    if n_items < 2:
        return (float("nan"), float("nan"))

    def statistic(idx: np.ndarray) -> float:
        v = fn(idx.astype(int))
        return float("nan") if v is None else float(v)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.bootstrap((np.arange(n_items),), statistic, n_resamples=resamples, vectorized=False,
                              method="percentile", confidence_level=0.95, random_state=np.random.default_rng(seed))
    dist = np.asarray(res.bootstrap_distribution, float)
    dist = dist[~np.isnan(dist)]
    if not len(dist):
        return (float("nan"), float("nan"))
    lo, hi = np.percentile(dist, [2.5, 97.5])
    return (float(lo), float(hi))
