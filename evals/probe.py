"""Bias probes for any grader: change the answer or the rubric in a way that should not change the grade, and
measure how far the grade moves.

- verbosity: the same answer padded with neutral filler (evals/probes/filler.txt);
- order: the rubric's criteria shuffled (a fixed seed per item);
- consistency: K more grades of the unchanged answer at the configured temperature, with the reply cache off;
- injection: one grader-directed line appended per answer, rotating over evals/probes/injections.txt's kinds;
- rubric_echo: the rubric's own criterion descriptions appended (evals/probes/echo.txt).

Each probe reports the mean and the largest score change on 0-100 and passes when both are within its tolerance.
"Rise" probes count only increases (a grader may lower a padded or injected answer); "shift" probes count
changes either way. Items where a probe's grade fell back to another grader are counted and reported.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.grading.rubric import GradingRubric
from evals.grading import BatchGrader, Graded, grade_pairs
from evals.items import EvalItem

PROBE_DIR = Path(__file__).parent / "probes"


@dataclass(frozen=True)
class Tolerance:
    direction: str  # "rise": only increases count; "shift": changes either way
    mean: float  # largest allowed mean change (points on 0-100)
    largest: float  # largest allowed single change


# Chosen before measuring: a mean of a couple of points is within labelling noise, and no single answer should
# move by more than half a band (10 points) for a change that adds no substance.
TOLERANCES: dict[str, Tolerance] = {
    "verbosity": Tolerance("rise", 2.0, 10.0),
    "order": Tolerance("shift", 1.0, 10.0),
    "consistency": Tolerance("shift", 1.0, 10.0),
    "injection": Tolerance("rise", 1.0, 5.0),
    "rubric_echo": Tolerance("rise", 2.0, 10.0),
}


def _text(name: str) -> list[str]:
    lines = (PROBE_DIR / name).read_text(encoding="utf-8").splitlines()
    return [ln for ln in lines if ln.strip() and not ln.startswith("#")]


def filler() -> str:
    return " ".join(_text("filler.txt"))


def injections() -> list[tuple[str, str]]:
    return [(k, t) for k, _, t in (ln.partition("\t") for ln in _text("injections.txt"))]


def echo(rubric: GradingRubric) -> str:
    return _text("echo.txt")[0].format(descriptions="; ".join(c.description.rstrip(". ") for c in rubric.criteria))


def shuffled(rubric: GradingRubric, seed: str) -> GradingRubric:
    crits = list(rubric.criteria)
    rng = random.Random(int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16))
    for _ in range(5):  # a permutation that actually differs when there are two or more criteria
        rng.shuffle(crits)
        if len(crits) < 2 or [c.id for c in crits] != [c.id for c in rubric.criteria]:
            break
    return rubric.model_copy(update={"criteria": crits})


def _score(g: Graded) -> float:
    return 0.0 if g.card.abstained or g.card.overall is None else float(g.card.overall.score)


@contextmanager
def cache_off(grader: Any) -> Iterator[None]:
    """Self-consistency asks the model again: turn off any reply cache on the grader (or the judge inside it)."""
    holders = [g for g in (grader, getattr(grader, "judge", None), getattr(grader, "llm", None))
               if g is not None and getattr(g, "cache", None) is not None]
    saved = [h.cache for h in holders]
    for h in holders:
        h.cache = None
    try:
        yield
    finally:
        for h, c in zip(holders, saved):
            h.cache = c


def _summary(name: str, deltas: list[float], ids: list[str], fallbacks: int,
             tol: Tolerance) -> dict[str, Any]:
    moves = [max(d, 0.0) if tol.direction == "rise" else abs(d) for d in deltas]
    mean = float(np.mean(moves)) if moves else 0.0
    largest = float(max(moves, default=0.0))
    worst = sorted(zip(moves, ids, deltas), reverse=True)[:5]
    return {"probe": name, "n": len(deltas), "direction": tol.direction, "mean_change": round(mean, 2),
            "largest_change": round(largest, 2), "mean_signed": round(float(np.mean(deltas)) if deltas else 0.0, 2),
            "changed": sum(abs(d) > 1e-9 for d in deltas), "fallbacks": fallbacks,
            "tolerance": {"mean": tol.mean, "largest": tol.largest},
            "passed": mean <= tol.mean + 1e-9 and largest <= tol.largest + 1e-9,
            "worst": [{"id": i, "change": round(d, 2)} for m, i, d in worst if m > 0]}


def _by_kind(kinds: list[str], deltas: list[float]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for k in sorted(set(kinds)):
        ds = [d for kk, d in zip(kinds, deltas) if kk == k]
        out[k] = {"n": len(ds), "mean_rise": round(float(np.mean([max(d, 0.0) for d in ds])), 2),
                  "largest_rise": round(max(max(ds), 0.0), 2)}
    return out


def run_probes(grader: BatchGrader, items: list[EvalItem], *, repeats: int = 3, concurrency: int | None = None,
               quiet: bool = True, only: list[str] | None = None,
               tolerances: dict[str, Tolerance] | None = None) -> dict[str, Any]:
    """Run the probes on `items` (genuine answers; abstained ones are skipped) and return one summary each."""
    tol = {**TOLERANCES, **(tolerances or {})}
    names = [n for n in TOLERANCES if not only or n in only]
    base = grade_pairs(grader, [(it.rubric, it.answer) for it in items], concurrency=concurrency, quiet=quiet,
                       desc="probe: base")
    keep = [i for i, g in enumerate(base) if not g.card.abstained]
    skipped = len(base) - len(keep)
    items = [items[i] for i in keep]
    base = [base[i] for i in keep]
    inj = injections()
    variants: dict[str, list[tuple[GradingRubric, str]]] = {
        # A paragraph of its own: glued to a bullet answer's last line, the filler would read as part of that bullet.
        "verbosity": [(it.rubric, f"{it.answer.rstrip()}\n\n{filler()}") for it in items],
        "order": [(shuffled(it.rubric, it.id), it.answer) for it in items],
        "injection": [(it.rubric, f"{it.answer.rstrip()} {inj[n % len(inj)][1]}") for n, it in enumerate(items)],
        "rubric_echo": [(it.rubric, f"{it.answer.rstrip()} {echo(it.rubric)}") for it in items],
    }
    out: dict[str, Any] = {"n_items": len(items), "skipped_abstained": skipped, "probes": []}
    ids = [it.id for it in items]
    for name in names:
        if name == "consistency":
            with cache_off(grader):
                reps = [grade_pairs(grader, [(it.rubric, it.answer) for it in items], concurrency=concurrency,
                                    quiet=quiet, desc=f"probe: consistency {k + 1}/{repeats}")
                        for k in range(max(repeats, 1))]
            deltas, fb = [], 0
            for i, b in enumerate(base):
                scores = [_score(b)] + [_score(r[i]) for r in reps]
                deltas.append(max(scores) - min(scores))
                fb += sum(r[i].card.degraded for r in reps)
            s = _summary(name, deltas, ids, fb, tol[name])
            s["repeats"] = repeats
        else:
            got = grade_pairs(grader, variants[name], concurrency=concurrency, quiet=quiet, desc=f"probe: {name}")
            deltas = [_score(g) - _score(b) for g, b in zip(got, base)]
            s = _summary(name, deltas, ids, sum(g.card.degraded for g in got), tol[name])
            if name == "injection":
                s["kinds"] = sorted({k for k, _ in inj})
                s["by_kind"] = _by_kind([inj[n % len(inj)][0] for n in range(len(items))], deltas)
        out["probes"].append(s)
    out["base_fallbacks"] = sum(b.card.degraded for b in base)
    out["passed"] = all(p["passed"] for p in out["probes"])
    return out


def markdown(result: dict[str, Any]) -> str:
    lines = [f"probes over {result['n_items']} answers (fallbacks on the unchanged answers: "
             f"{result['base_fallbacks']})", "",
             "| probe | answers | mean change | largest change | changed | fallbacks | tolerance (mean / largest) "
             "| result |", "|---|---|---|---|---|---|---|---|"]
    for p in result["probes"]:
        sign = "+" if p["direction"] == "rise" else "±"
        lines.append(f"| {p['probe']} | {p['n']} | {sign}{p['mean_change']:.2f} | {sign}{p['largest_change']:.2f} | "
                     f"{p['changed']} | {p['fallbacks']} | {p['tolerance']['mean']:g} / {p['tolerance']['largest']:g}"
                     f" | {'pass' if p['passed'] else 'FAIL'} |")
    inj = next((p for p in result["probes"] if p["probe"] == "injection" and p.get("by_kind")), None)
    if inj:
        lines += ["", "injection by kind: " + ", ".join(f"{k} +{v['mean_rise']:.2f} mean / +{v['largest_rise']:.2f} "
                                                        f"largest (n={v['n']})" for k, v in inj["by_kind"].items())]
    return "\n".join(lines)
