"""Agreement metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from evals.metrics import bootstrap_ci, cohen_kappa, exact, f1_scores, mae, pearson, spearman, within1


def test_kappa_perfect_chance_and_quadratic() -> None:
    assert cohen_kappa([0, 1, 2, 3], [0, 1, 2, 3], 4) == 1.0
    # Two raters who disagree exactly as chance would: kappa 0.
    assert cohen_kappa([0, 0, 1, 1], [0, 1, 0, 1], 2) == pytest.approx(0.0)
    # Off by one everywhere is penalised less by QWK than unweighted kappa.
    y, p = [0, 1, 2, 3, 3, 2], [1, 2, 3, 3, 2, 1]
    assert cohen_kappa(y, p, 4, "quadratic") > cohen_kappa(y, p, 4)


def test_correlations_and_errors() -> None:
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [10, 20, 30, 25]) == pytest.approx(0.8)
    assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))
    assert mae([0, 2], [1, 4]) == 1.5 and exact([1, 2], [1, 3]) == 0.5 and within1([0, 3], [1, 1]) == 0.5


def test_f1_scores() -> None:
    m = f1_scores(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert m["accuracy"] == 0.75
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert m["weighted_f1"] == pytest.approx((2 / 3 * 2 + 0.8 * 2) / 4)


def test_bootstrap_interval_brackets_the_estimate_and_is_reproducible() -> None:
    y = [0, 1, 2, 3] * 10
    p = [0, 1, 1, 3] * 10
    fn = lambda idx: exact([y[i] for i in idx], [p[i] for i in idx])  # noqa: E731
    lo, hi = bootstrap_ci(fn, len(y), 300)
    assert lo <= 0.75 <= hi and (lo, hi) == bootstrap_ci(fn, len(y), 300)


def test_the_registry_names_each_metric_and_matches_the_libraries() -> None:
    from scipy import stats
    from sklearn.metrics import cohen_kappa_score

    from evals.metrics import REGISTRY, confusion

    assert {"qwk", "kappa", "exact", "accuracy", "within1", "mae", "pearson", "spearman", "macro_f1",
            "weighted_f1", "confusion"} <= set(REGISTRY)
    y, p = [0, 1, 2, 3, 3, 2, 1], [1, 1, 2, 3, 2, 2, 0]
    assert REGISTRY["qwk"](y, p, 4) == pytest.approx(cohen_kappa_score(y, p, weights="quadratic"))
    assert REGISTRY["spearman"](y, p) == pytest.approx(stats.spearmanr(y, p).statistic)
    assert confusion(y, p, 4).sum() == len(y) and confusion(y, p, 4)[3, 2] == 1
    # Both raters constant and agreeing: kappa is 1, where sklearn alone would give NaN.
    assert cohen_kappa([2, 2, 2], [2, 2, 2], 4, "quadratic") == 1.0
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))
