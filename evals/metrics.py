"""Agreement metrics between predicted and human labels."""

from __future__ import annotations

from collections.abc import Sequence

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


def exact(y_true: Sequence[int], y_pred: Sequence[int]) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred))) if len(y_true) else float("nan")


def within1(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred)) <= 1)) if len(y_true) else float("nan")
