"""The tables of a run, as data: the terminal summary, the Markdown report and the HTML report all render these.

Every cell is plain text. Renderers escape it (HTML) or neutralise pipes (Markdown); answer excerpts and rubric
text are untrusted and never become markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evals.record import RunRecord


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""


def fmt(v: Any, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def fmt_ci(ci: Any) -> str:
    if isinstance(ci, list) and len(ci) == 2 and None not in ci:
        return f"{fmt(ci[0])}-{fmt(ci[1])}"
    return ""


GOLD_ROWS = [("band QWK", "band_qwk"), ("band exact", "band_exact"), ("criterion QWK", "criterion_qwk"),
             ("criterion κ", "criterion_kappa"), ("criterion exact", "criterion_exact"),
             ("criterion within 1", "criterion_within1"), ("score Pearson", "score_pearson"),
             ("score Spearman", "score_spearman"), ("score MAE (points)", "score_mae")]
SCORE_ROWS = [("score Pearson", "pearson"), ("score Spearman", "spearman"), ("score QWK", "qwk"),
              ("score MAE", "mae"), ("score exact", "exact"), ("score within 1", "within1")]


def metrics_table(rec: RunRecord) -> Table:
    """Headline metrics on all items, beside the same on the items the judge itself graded (when any fell back)."""
    m, j = rec.metrics, rec.metrics.get("judged_only")
    header = ["metric", "all items", "95% CI"] + (["judged items only", "95% CI"] if j else [])
    t = Table("Agreement with the human labels", header)

    def add(label: str, block: str, key: str) -> None:
        b = m.get(block) or {}
        if b.get(key) is None:  # not defined for this dataset (e.g. criterion metrics without criterion labels)
            return
        row = [label, fmt(b[key]), fmt_ci((b.get("ci") or {}).get(key))]
        if j:
            jb = j.get(block) or {}
            row += [fmt(jb.get(key)), fmt_ci((jb.get("ci") or {}).get(key))]
        t.rows.append(row)

    for label, key in GOLD_ROWS:
        add(label, "gold", key)
    for label, key in SCORE_ROWS:
        add(label + (" (on the item scale)" if "gold" in m else ""), "score", key)
    adv = (m.get("gold") or {}).get("adversarial")
    if adv:
        row = ["adversarial pass rate", f"{fmt(adv['pass_rate'])} ({adv['n']} items)", fmt_ci(adv.get("ci"))]
        ja = ((j or {}).get("gold") or {}).get("adversarial")
        t.rows.append(row + ([f"{fmt(ja['pass_rate'])} ({ja['n']} items)" if ja else "-", ""] if j else []))
    lb = (m.get("gold") or {}).get("length_bias") or (m.get("score") or {}).get("length_bias")
    if lb:
        t.rows.append(["length bias: Spearman(score, words), predicted / human",
                       f"{fmt(lb['pred_vs_words'])} / {fmt(lb['human_vs_words'])}", ""] + (["", ""] if j else []))
    c = m.get("consistency") or {}
    if c:
        t.rows.append([f"largest score spread over {c.get('repeats', 1)} repeat(s)", fmt(c.get("max_spread")), ""]
                      + (["", ""] if j else []))
    if j:
        t.note = "Judged items only: the items whose grade came from the judge itself, not from its fallback."
    return t


def label_table(rec: RunRecord) -> Table | None:
    lab = rec.metrics.get("label") or {}
    if not lab.get("splits"):
        return None
    t = Table("Labels: accuracy and F1 per split", ["split", "answers", "accuracy", "95% CI", "macro-F1",
                                                    "weighted F1"],
              note=f"threshold {lab.get('threshold')} on the score, fixed on: {lab.get('threshold_fitted_on')}")
    for split, v in lab["splits"].items():
        t.rows.append([split, fmt(v["n"]), fmt(v["accuracy"]), fmt_ci(v.get("ci_accuracy")), fmt(v["macro_f1"]),
                       fmt(v["weighted_f1"])])
        for kind, kv in (v.get("by_kind") or {}).items():
            t.rows.append([f"  {split} / {kind}", fmt(kv["n"]), fmt(kv["accuracy"]), "", fmt(kv["macro_f1"]),
                           fmt(kv["weighted_f1"])])
    return t


def accounting_table(rec: RunRecord) -> Table | None:
    a = rec.metrics.get("accounting")
    if not a:
        return None
    reasons = ", ".join(f"{k}: {v}" for k, v in a["fallback_reasons"].items()) or "none"
    graders = ", ".join(f"{k}: {v}" for k, v in a["graders"].items())
    cost = "unknown (no price in litellm's cost map)" if a["cost_usd"] is None else f"{a['cost_usd']:.4f}"
    per_k = "unknown" if a["cost_per_1000_usd"] is None else f"{a['cost_per_1000_usd']:.4f}"
    rows = [["run valid", "yes" if rec.valid else f"NO: {rec.invalid_reason}"],
            ["fallback rate", f"{fmt(a['fallback_rate'])} ({a['fallbacks']} of {a['judge_items']} items)"],
            ["fallback reasons", reasons], ["graded by", graders],
            ["latency p50 / p95 / mean (ms)", f"{fmt(a['latency_ms']['p50'], 1)} / {fmt(a['latency_ms']['p95'], 1)}"
                                              f" / {fmt(a['latency_ms']['mean'], 1)}"],
            ["provider calls (cached)", f"{a['calls']} ({a['cached_calls']})"],
            ["tokens: prompt / completion / per answer", f"{a['prompt_tokens']} / {a['completion_tokens']} / "
                                                         f"{fmt(a['tokens_per_answer'], 1)}"],
            ["cost USD (per 1,000 answers)", f"{cost} ({per_k})"]]
    return Table("Accounting", ["", "value"], rows)


SLICE_NAMES = {"qtype": "question type", "level": "level", "kind": "kind", "source": "dataset"}


def slice_tables(rec: RunRecord) -> list[Table]:
    out = []
    slices = (rec.metrics.get("gold") or {}).get("slices") or {}
    for attr, groups in slices.items():
        if len(groups) < 2 and attr != "source":
            continue
        t = Table(f"By {SLICE_NAMES.get(attr, attr)}", [SLICE_NAMES.get(attr, attr), "answers", "band exact",
                                                        "band QWK"])
        t.rows = [[k, fmt(v["n"]), fmt(v["band_exact"]), fmt(v["band_qwk"])] for k, v in groups.items()]
        out.append(t)
    adv = (rec.metrics.get("gold") or {}).get("adversarial")
    if adv:
        t = Table("By adversarial kind", ["adversarial kind", "answers", "pass rate"])
        t.rows = [[k, fmt(v["n"]), fmt(v["pass_rate"])] for k, v in adv["by_kind"].items()]
        out.append(t)
    return out


def modes_table(rec: RunRecord) -> Table | None:
    cmp = rec.metrics.get("cued_vs_inline")
    if not cmp:
        return None
    t = Table("Cued against inline rubrics", ["metric", "cued (bank rubric)", "inline (as POST /api/grade)",
                                              "gap (inline - cued)", "gap 95% CI"],
              note=f"{cmp['n']} labelled answers and {cmp['adversarial_n']} adversarial ones, graded in both "
                   "modes; the interval is a paired bootstrap over answers.")
    for k, v in cmp["metrics"].items():
        t.rows.append([k.replace("_", " "), fmt(v["cued"]), fmt(v["inline"]), fmt(v["gap"]), fmt_ci(v["gap_ci"])])
    return t


def disagreement_table(rec: RunRecord, limit: int = 10) -> Table | None:
    """The answers the grader disagreed with most (untrusted excerpts: renderers escape them)."""
    rows = []
    for it in rec.items:
        h = it.human
        human = 100 * h["score01"] if "score01" in h else None
        if human is None and h.get("levels") and not h.get("expected"):
            human = 100 * sum(h["levels"].values()) / (3 * len(h["levels"]))
        if human is None or it.pred.score is None:
            continue
        rows.append((abs(it.pred.score - human), it, human))
    if not rows:
        return None
    rows.sort(key=lambda x: -x[0])
    t = Table("Largest disagreements", ["item", "human", "predicted", "graded by", "answer (start)"],
              note="Human scores from levels are unweighted here.")
    t.rows = [[it.id, fmt(human, 0), fmt(it.pred.score, 0), it.cost.grader or "-", it.excerpt[:160]]
              for _, it, human in rows[:limit]]
    return t


def fingerprint_items(fp: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """The grader fingerprint flattened into readable (key, value) pairs."""
    out: list[tuple[str, str]] = []
    for k, v in fp.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out += fingerprint_items(v, key + ".") if v else [(key, "-")]
        elif isinstance(v, list):
            out.append((key, ", ".join(map(str, v)) or "-"))
        else:
            out.append((key, fmt(v) if v != "" else "-"))
    return out


def run_tables(rec: RunRecord) -> list[Table]:
    tables = [metrics_table(rec), label_table(rec), accounting_table(rec), modes_table(rec), *slice_tables(rec),
              disagreement_table(rec)]
    return [t for t in tables if t is not None and t.rows]


def markdown(t: Table) -> str:
    def cell(s: str) -> str:
        return s.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|").replace("\n", " ")

    lines = [f"**{t.title}**", "", "| " + " | ".join(map(cell, t.header)) + " |", "|---" * len(t.header) + "|"]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in t.rows]
    if t.note:
        lines += ["", t.note]
    return "\n".join(lines)
