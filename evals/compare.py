"""Side by side: one column per run, so a user can pick a grader on agreement, robustness, speed and cost.

`python -m evals compare RUN RUN ...` prints the table as Markdown; the HTML report renders the same rows.
Rows that no run has are left out; a run without a figure shows "-".
"""

from __future__ import annotations

from typing import Any

from evals.record import RunRecord

Row = tuple[str, list[str]]


def _get(metrics: dict[str, Any], dotted: str) -> Any:
    cur: Any = metrics
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _num(v: Any, digits: int = 3) -> str:
    return "-" if v is None else f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _with_ci(m: dict[str, Any], block: str, key: str) -> str | None:
    v = _get(m, f"{block}.{key}")
    if v is None:
        return None
    ci = _get(m, f"{block}.ci.{key}")
    if isinstance(ci, list) and len(ci) == 2 and None not in ci:
        return f"{_num(v)} ({_num(ci[0])}-{_num(ci[1])})"
    return _num(v)


def column_name(rec: RunRecord) -> str:
    g = rec.grader
    who = str(g.get("model") or g.get("version") or g.get("kind") or "grader")
    return f"{g.get('kind', 'grader')}: {who}" + (f" [{rec.mode}]" if rec.mode != "cued" else "")


AGREEMENT = [
    ("band QWK", "gold", "band_qwk"), ("criterion QWK", "gold", "criterion_qwk"),
    ("score Pearson", "gold", "score_pearson"), ("score Spearman", "gold", "score_spearman"),
    ("score Pearson (external)", "score", "pearson"), ("score QWK (external)", "score", "qwk"),
]


def rows(recs: list[RunRecord]) -> list[Row]:
    """The comparison table's rows: (label, one cell per run)."""
    out: list[Row] = [("dataset", [f"{r.dataset['name']} ({r.dataset['n']} items)" for r in recs])]
    out.append(("valid", ["yes" if r.valid else f"NO: {r.invalid_reason}" for r in recs]))
    for label, block, key in AGREEMENT:
        cells = [_with_ci(r.metrics, block, key) for r in recs]
        if any(c is not None for c in cells):
            out.append((label + " (95% CI)", [c or "-" for c in cells]))
        judged = [_with_ci(r.metrics, f"judged_only.{block}", key) for r in recs]
        if any(c is not None for c in judged):
            out.append((f"{label}, judged items only", [c or "= all items" for c in judged]))
    splits = sorted({s for r in recs for s in (_get(r.metrics, "label.splits") or {})})
    for s in splits:
        out.append((f"{s}: accuracy / weighted F1", [
            "-" if _get(r.metrics, f"label.splits.{s}") is None else
            f"{_num(_get(r.metrics, f'label.splits.{s}.accuracy'))} / "
            f"{_num(_get(r.metrics, f'label.splits.{s}.weighted_f1'))}" for r in recs]))
    adv = [_get(r.metrics, "gold.adversarial") for r in recs]
    if any(adv):
        out.append(("adversarial pass rate", ["-" if not a else f"{_num(a['pass_rate'])} (n={a['n']})" for a in adv]))
    lb = [_get(r.metrics, "gold.length_bias") or _get(r.metrics, "score.length_bias") for r in recs]
    if any(lb):
        out.append(("length bias: Spearman(score, words) predicted / human",
                    ["-" if not x else f"{_num(x['pred_vs_words'])} / {_num(x['human_vs_words'])}" for x in lb]))
    acc = [r.metrics.get("accounting") or {} for r in recs]
    out.append(("fallback rate", ["-" if not a else f"{_num(a['fallback_rate'])} ({a['fallbacks']} of "
                                  f"{a['judge_items']})" for a in acc]))
    out.append(("latency p50 / p95 ms", ["-" if not a else f"{_num(a['latency_ms']['p50'], 1)} / "
                                         f"{_num(a['latency_ms']['p95'], 1)}" for a in acc]))
    out.append(("tokens per answer", ["-" if not a else _num(a["tokens_per_answer"], 1) for a in acc]))
    out.append(("cost per 1,000 answers (USD)", ["-" if not a else "unknown (no price in litellm's map)"
                                                 if a["cost_per_1000_usd"] is None else
                                                 f"{a['cost_per_1000_usd']:.4f}" for a in acc]))
    prov = [(r.grader.get("provider") or {}) for r in recs]
    if any(p.get("models") or p.get("system_fingerprints") for p in prov):
        out.append(("provider model / fingerprint", [", ".join((p.get("models") or []) +
                                                                (p.get("system_fingerprints") or [])) or "-"
                                                      for p in prov]))
    return out


def markdown(recs: list[RunRecord]) -> str:
    head = "| | " + " | ".join(column_name(r) for r in recs) + " |"
    lines = [head, "|---" * (len(recs) + 1) + "|"]
    lines += ["| " + label + " | " + " | ".join(c.replace("|", "/") for c in cells) + " |"
              for label, cells in rows(recs)]
    return "\n".join(lines)
