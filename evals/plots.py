"""The report's plots, as PNG bytes (embedded in the HTML as data: URLs, written beside the Markdown)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never a window
import matplotlib.pyplot as plt  # noqa: E402

from evals.analysis import BANDS  # noqa: E402
from evals.record import RunRecord  # noqa: E402

KEY_METRICS = ["gold.band_qwk", "gold.band_exact", "gold.criterion_qwk", "gold.criterion_kappa",
               "gold.score_pearson", "gold.adversarial.pass_rate", "score.pearson", "score.qwk"]
HISTORY_METRICS = ["gold.band_qwk", "gold.criterion_qwk", "gold.score_pearson", "gold.adversarial.pass_rate",
                   "score.pearson", "score.spearman", "accounting.fallback_rate"]


def _get(metrics: dict[str, Any], dotted: str) -> float | None:
    cur: Any = metrics
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur if isinstance(cur, (int, float)) and not isinstance(cur, bool) else None


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def confusion(rec: RunRecord) -> bytes | None:
    cm = rec.metrics.get("gold", {}).get("band_confusion") or rec.metrics.get("score", {}).get("confusion")
    if not cm:
        return None
    labels = BANDS if "band_confusion" in rec.metrics.get("gold", {}) else [str(i) for i in range(len(cm))]
    fig, ax = plt.subplots(figsize=(4.6, 4))
    ax.imshow(cm, cmap="Blues")
    top = max(max(row) for row in cm) or 1
    for i, row in enumerate(cm):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > top / 2 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("human")
    ax.set_title(f"Confusion: {rec.dataset['name']}")
    return _png(fig)


def scatter(rec: RunRecord) -> bytes | None:
    pts: list[tuple[float, float]] = []
    for it in rec.items:
        h = it.human
        human = _human_score(h) if "levels" in h and not h.get("expected") else (
            100 * h["score01"] if "score01" in h else None)
        if human is not None:
            pts.append((human, it.pred.score or 0.0))
    if not pts:
        return None
    fig, ax = plt.subplots(figsize=(4.6, 4))
    ax.scatter([a for a, _ in pts], [b for _, b in pts], s=14, alpha=0.6)
    ax.plot([0, 100], [0, 100], color="grey", linewidth=1, linestyle="--")
    ax.set_xlabel("human score (0-100)")
    ax.set_ylabel("predicted score (0-100)")
    ax.set_title("Predicted vs human")
    return _png(fig)


def _human_score(h: dict[str, Any]) -> float | None:
    levels = h.get("levels")
    if not levels:
        return None
    # Unweighted (the record keeps levels, not weights): close enough to place a point on a scatter plot.
    return 100 * float(sum(levels.values())) / (3 * len(levels))


def kappa_bars(rec: RunRecord) -> bytes | None:
    kb = rec.metrics.get("gold", {}).get("kappa_by_competency")
    if not kb:
        return None
    names, vals = list(kb), [v or 0.0 for v in kb.values()]
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.barh(names, vals, color="#3b6ea8")
    ax.set_xlim(-0.2, 1)
    ax.set_xlabel("Cohen's κ (criterion levels)")
    ax.set_title("Agreement per competency")
    return _png(fig)


def history_plots(hist: list[dict[str, Any]]) -> list[tuple[str, bytes]]:
    """One small plot per headline metric across the run history (runs of the same dataset, oldest first).
    Invalid runs (too many judge fallbacks) are left out: their figures are the fallback's."""
    hist = [h for h in hist if h["metrics"].get("valid", True)]
    if len(hist) < 2:
        return []
    out = []
    for key in HISTORY_METRICS:
        ys = [_get(h["metrics"], key) for h in hist]
        if sum(y is not None for y in ys) < 2:
            continue
        fig, ax = plt.subplots(figsize=(4.2, 2.6))
        ax.plot(range(len(hist)), [y if y is not None else float("nan") for y in ys], marker="o")
        ax.set_xticks(range(len(hist)), [h["created_at"][5:16] for h in hist], rotation=30, ha="right",
                      fontsize=6)
        ax.set_ylim(0, 1.05)
        ax.set_title(key, fontsize=9)
        out.append((f"history {key}", _png(fig)))
    return out


def side_by_side(recs: list[RunRecord]) -> bytes | None:
    if len(recs) < 2:
        return None
    keys = [k for k in KEY_METRICS if all(_get(r.metrics, k) is not None for r in recs)]
    if not keys:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.6))
    width = 0.8 / len(recs)
    for n, r in enumerate(recs):
        ax.bar([i + n * width for i in range(len(keys))], [_get(r.metrics, k) or 0 for k in keys], width,
               label=f"{r.grader.get('kind')} {r.run_id[:15]}")
    ax.set_xticks([i + width * (len(recs) - 1) / 2 for i in range(len(keys))], keys, rotation=25, ha="right",
                  fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7)
    ax.set_title("Side by side")
    return _png(fig)
