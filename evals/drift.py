"""Drift: compare a run with a committed baseline and fail when agreement moved more than the tolerances."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.record import RunRecord

# Largest allowed drop (baseline - run) per metric; band_changed_share is the largest share of items whose band
# may change. Defaults are a little wider than the bootstrap intervals' half-width on the gold test split.
DEFAULT_TOLERANCES: dict[str, float] = {
    "gold.band_qwk": 0.05,
    "gold.criterion_qwk": 0.05,
    "gold.score_pearson": 0.05,
    "gold.adversarial.pass_rate": 0.0,
    "score.pearson": 0.03,
    "label.accuracy": 0.03,
    "band_changed_share": 0.10,
}


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[key] = float(v)
    return out


@dataclass
class DriftReport:
    deltas: list[tuple[str, float, float, float, float | None]] = field(default_factory=list)  # key, base, run, d, tol
    band_changes: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    flipped: list[tuple[str, str, int, int]] = field(default_factory=list)
    compared: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _tolerance_for(key: str, tolerances: dict[str, float]) -> float | None:
    if key in tolerances:
        return tolerances[key]
    if key.startswith("label.splits.") and key.endswith(".accuracy"):
        return tolerances.get("label.accuracy")
    return None


def compare(run: RunRecord, baseline: RunRecord, tolerances: dict[str, float] | None = None) -> DriftReport:
    tol = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    rep = DriftReport()
    for role, rec in (("run", run), ("baseline", baseline)):
        if not rec.valid:
            rep.failures.append(f"the {role} {rec.run_id} is invalid and cannot be compared: {rec.invalid_reason}")
    rep.notes += provider_changes(baseline.grader, run.grader)
    if run.dataset.get("hash") != baseline.dataset.get("hash"):
        rep.notes.append("the dataset changed since the baseline; only items present in both are compared")
    a, b = flatten(baseline.metrics), flatten(run.metrics)
    for key in sorted(set(a) & set(b)):
        if ".ci." in key or "confusion" in key or ".slices." in key or key.endswith(".n") \
                or key.startswith(("speed.", "consistency.", "usage.", "accounting.", "judged_only.", "cued.",
                                   "cued_vs_inline.")):
            continue
        t = _tolerance_for(key, tol)
        rep.deltas.append((key, a[key], b[key], b[key] - a[key], t))
        if t is not None and a[key] - b[key] > t + 1e-9:
            rep.failures.append(f"{key} fell from {a[key]:.3f} to {b[key]:.3f} (tolerance {t})")
    base_items = {i.id: i for i in baseline.items}
    for it in run.items:
        old = base_items.get(it.id)
        if old is None:
            continue
        rep.compared += 1
        if old.pred.band != it.pred.band or old.pred.abstained != it.pred.abstained:
            rep.band_changes.append((it.id, "abstained" if old.pred.abstained else old.pred.band,
                                     "abstained" if it.pred.abstained else it.pred.band))
        for cid, lvl in it.pred.levels.items():
            if cid in old.pred.levels and old.pred.levels[cid] != lvl:
                rep.flipped.append((it.id, cid, old.pred.levels[cid], lvl))
    share = len(rep.band_changes) / rep.compared if rep.compared else 0.0
    if share > tol["band_changed_share"] + 1e-9:
        rep.failures.append(f"{len(rep.band_changes)} of {rep.compared} items changed band ({share:.0%} > "
                            f"{tol['band_changed_share']:.0%})")
    return rep


def provider_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed in the model behind the grader between two fingerprints: the model string we asked for, and
    the model versions and system fingerprints the provider reported answering with (provider drift)."""
    notes = []
    if before.get("model") != after.get("model"):
        notes.append(f"the grader's model changed: {before.get('model')!r} -> {after.get('model')!r}")
    b, a = before.get("provider") or {}, after.get("provider") or {}
    for key, label in (("models", "model version"), ("system_fingerprints", "system fingerprint")):
        old, new = sorted(b.get(key) or []), sorted(a.get(key) or [])
        if old and new and old != new:
            notes.append(f"provider drift: the {label} reported by the provider changed: {old} -> {new}")
    return notes


def ci_of(rec: RunRecord, key: str) -> list[float | None] | None:
    """The bootstrap interval stored for a metric like 'gold.band_qwk', if any."""
    section, _, name = key.partition(".")
    block = rec.metrics.get(section)
    ci = block.get("ci") if isinstance(block, dict) else None
    return ci.get(name) if isinstance(ci, dict) else None


def format_report(rep: DriftReport, run: RunRecord, baseline: RunRecord) -> str:
    lines = [f"drift: run {run.run_id} vs baseline {baseline.run_id} ({rep.compared} items compared)"]
    lines += [f"note: {n}" for n in rep.notes]
    lines += ["", "| metric | baseline | run | delta | tolerance | baseline 95% CI | run 95% CI |",
              "|---|---|---|---|---|---|---|"]
    for key, base, new, d, t in rep.deltas:
        lines.append(f"| {key} | {base:.3f} | {new:.3f} | {d:+.3f} | {'-' if t is None else t} | "
                     f"{ci_of(baseline, key) or '-'} | {ci_of(run, key) or '-'} |")
    lines += ["", f"items whose band changed: {len(rep.band_changes)}"]
    lines += [f"  {i}: {a} -> {b}" for i, a, b in rep.band_changes[:30]]
    lines += [f"criteria that flipped: {len(rep.flipped)}"]
    lines += [f"  {i} / {c}: {a} -> {b}" for i, c, a, b in rep.flipped[:30]]
    lines += ["", "PASS" if rep.ok else "FAIL: " + "; ".join(rep.failures)]
    return "\n".join(lines)


def write_baseline(run: RunRecord, path: Path, reason: str) -> None:
    data = run.model_dump(mode="json")
    data["baseline"] = {"reason": reason, "updated_at": datetime.now(UTC).isoformat(), "fingerprint": run.grader}
    path.parent.mkdir(parents=True, exist_ok=True)
    import json

    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
