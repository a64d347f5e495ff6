"""Reports: a summary table for the terminal, and Markdown plus one self-contained HTML file with plots."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never a window
import matplotlib.pyplot as plt  # noqa: E402

from evals.analysis import BANDS  # noqa: E402
from evals.record import RunRecord  # noqa: E402

KEY_METRICS = ["gold.band_qwk", "gold.band_exact", "gold.criterion_qwk", "gold.criterion_kappa",
               "gold.score_pearson", "gold.adversarial.pass_rate", "score.pearson", "score.qwk"]


def _get(metrics: dict[str, Any], dotted: str) -> float | None:
    cur: Any = metrics
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur if isinstance(cur, (int, float)) and not isinstance(cur, bool) else None


def summary_table(rec: RunRecord) -> str:
    m = rec.metrics
    rows = [f"{rec.dataset['name']}: {rec.dataset['n']} items, grader {rec.grader.get('kind')} "
            f"({rec.grader.get('version', '')}), {m['speed']['seconds']} s, {m['speed']['answers_per_s']} answers/s",
            "", "| metric | value | 95% CI |", "|---|---|---|"]
    g = m.get("gold", {})
    for k in ("band_qwk", "band_exact", "criterion_qwk", "criterion_kappa", "criterion_exact", "criterion_within1",
              "score_pearson", "score_spearman", "score_mae"):
        if k in g:
            rows.append(f"| {k} | {g[k]} | {g.get('ci', {}).get(k, '')} |")
    if "adversarial" in g:
        a = g["adversarial"]
        rows.append(f"| adversarial pass rate | {a['pass_rate']} ({a['n']} items) | |")
        rows += [f"| - {k} | {v['pass_rate']} ({v['n']}) | |" for k, v in a["by_kind"].items()]
    s = m.get("score", {})
    for k in ("pearson", "spearman", "qwk", "mae", "exact", "within1"):
        if k in s:
            rows.append(f"| score {k} | {s[k]} | {s.get('ci', {}).get(k, '')} |")
    lab = m.get("label", {})
    for split, v in lab.get("splits", {}).items():
        rows.append(f"| {split} accuracy / macro-F1 / weighted-F1 | {v['accuracy']} / {v['macro_f1']} / "
                    f"{v['weighted_f1']} (n={v['n']}) | {v.get('ci_accuracy', '')} |")
        for kind, kv in v.get("by_kind", {}).items():
            rows.append(f"| - {kind} | {kv['accuracy']} / {kv['macro_f1']} / {kv['weighted_f1']} (n={kv['n']}) | |")
    if "length_bias" in g or "length_bias" in s:
        lb = g.get("length_bias") or s.get("length_bias")
        rows.append(f"| length bias (Spearman with words): predicted / human | {lb['pred_vs_words']} / "
                    f"{lb['human_vs_words']} | |")
    c = m["consistency"]
    rows.append(f"| consistency over {c['repeats']} repeat(s): max spread | {c['max_spread']} | |")
    return "\n".join(rows)


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _confusion(rec: RunRecord) -> bytes | None:
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


def _scatter(rec: RunRecord) -> bytes | None:
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
    return 100 * sum(levels.values()) / (3 * len(levels))


def _kappa_bars(rec: RunRecord) -> bytes | None:
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


def _history(hist: list[dict[str, Any]]) -> bytes | None:
    if len(hist) < 2:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for key in ("gold.band_qwk", "gold.criterion_qwk", "gold.adversarial.pass_rate", "score.pearson"):
        ys = [_get(h["metrics"], key) for h in hist]
        if any(y is not None for y in ys):
            ax.plot(range(len(hist)), [y if y is not None else float("nan") for y in ys], marker="o", label=key)
    ax.set_xticks(range(len(hist)), [h["created_at"][5:16] for h in hist], rotation=30, ha="right", fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7)
    ax.set_title("Metrics over run history")
    return _png(fig)


def _side_by_side(recs: list[RunRecord]) -> bytes | None:
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


def write_report(recs: list[RunRecord], hist: list[dict[str, Any]], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    stem = recs[0].run_id if len(recs) == 1 else f"{recs[0].run_id}-vs-{len(recs) - 1}"
    plots = [("confusion", _confusion(recs[0])), ("scatter", _scatter(recs[0])), ("kappa", _kappa_bars(recs[0])),
             ("history", _history(hist)), ("side_by_side", _side_by_side(recs))]
    plots = [(n, p) for n, p in plots if p]
    md = [f"# Grader evaluation: {recs[0].dataset['name']}", ""]
    body = ["<h1>Grader evaluation: " + html.escape(str(recs[0].dataset["name"])) + "</h1>"]
    for r in recs:
        table = summary_table(r)
        md += [f"## Run {r.run_id}", "", f"Grader: `{r.grader}`", "", table, ""]
        body += [f"<h2>Run {html.escape(r.run_id)}</h2>", f"<p><code>{html.escape(str(r.grader))}</code></p>",
                 "<pre>" + html.escape(table) + "</pre>"]
    for name, png in plots:
        (out / f"{stem}-{name}.png").write_bytes(png)
        md += [f"![{name}]({stem}-{name}.png)", ""]
        body.append(f'<figure><img alt="{name}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
                    f"<figcaption>{name.replace('_', ' ')}</figcaption></figure>")
    md_path, html_path = out / f"{stem}.md", out / f"{stem}.html"
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")
    html_path.write_text("<!doctype html><html lang=en><meta charset=utf-8><title>casewise eval report</title>"
                         "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem}"
                         "pre{background:#f6f8fa;padding:1rem;overflow:auto}img{max-width:100%}</style>"
                         + "".join(body) + "</html>\n", encoding="utf-8")
    return md_path, html_path
