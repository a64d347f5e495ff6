"""Does the feedback agree with the answer? Precision of "missing" claims, evidence routing, and disputes.

Measured on hand-labelled sets written before the grader was tuned (evals/datasets/feedback and disputes):
- a "missing" claim (no window of the answer covers the point) is wrong when a person marked the point covered;
- a covered point's quoted sentence should be routed to the criterion the point belongs to;
- a fair dispute should raise the level, an unfair one never. Without `--split test`, the dispute calibration
  set (evals/datasets/disputes_calib, written blind, for tuning the dispute rules) is reported too.

    python -m evals.feedback [--split test]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from app.content import load_bank
from app.grading import EmbeddedGrader, GradingRubric, from_question
from app.grading.dispute import recheck
from app.grading.embedded import COVERED
from app.grading.screen import screen
from app.settings import get_settings

log = logging.getLogger(__name__)
DATASETS = Path(__file__).parent / "datasets"


def _rows(path: Path, split: str | None) -> list[dict[str, Any]]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [r for r in rows if split is None or r.get("split") == split]


def _with_rubrics(rows: list[dict[str, Any]], desc: str, quiet: bool) -> Iterator[tuple[dict[str, Any], GradingRubric]]:
    """Each row with its bank question's rubric (rows naming an unknown question are skipped), with progress."""
    bank = load_bank([get_settings().questions_dir])
    for r in tqdm(rows, desc=desc, disable=quiet):
        q = bank.get(r["question_id"])
        if q is not None:
            yield r, from_question(q)


def coverage(grader: EmbeddedGrader, rows: list[dict[str, Any]], quiet: bool = False) -> dict[str, float]:
    """Missing-claim error rate and evidence routing accuracy over labelled (answer, point, covered) pairs."""
    claimed_missing = wrong_missing = routed = routed_right = 0
    for r, rubric in _with_rubrics(rows, "coverage", quiet):
        sc = screen(r["answer"], rubric.question, rubric.reference_answer)
        if sc.abstain:
            continue
        a = grader.analyse(rubric, sc, grader.embed_spans(sc.norm))
        cover = float(a.shown_cover(grader.embed_spans([r["point"]])).max())
        ci = [c.id for c in rubric.criteria].index(r["criterion_id"])
        level, _ = grader.level_for(a.features[ci], a.screened, a.capped)
        if cover < COVERED and level < 2:  # the grader's own rule for a "Not shown" claim
            claimed_missing += 1
            wrong_missing += bool(r["covered"])
        if r["covered"] and r.get("quote"):
            idx = [i for i, s in enumerate(a.screened.spans) if s.text in r["quote"] or r["quote"] in s.text]
            if idx:
                routed += 1
                routed_right += any(int(a.owner[i]) == ci for i in idx)
    return {"pairs": len(rows), "missing_claims": claimed_missing,
            "missing_wrong_rate": wrong_missing / claimed_missing if claimed_missing else 0.0,
            "evidence_routed": routed, "evidence_right_rate": routed_right / routed if routed else 0.0}


def disputes(grader: EmbeddedGrader, rows: list[dict[str, Any]], quiet: bool = False) -> dict[str, float]:
    """Share of fair disputes upheld, and count of unfair ones upheld (should be 0)."""
    fair = fair_up = unfair = unfair_up = 0
    for r, rubric in _with_rubrics(rows, "disputes", quiet):
        d = recheck(grader, rubric, r["answer"], r["criterion_id"], r["claimed_level"], r["reason"])
        up = d.decision == "upheld"
        if r["fair"]:
            fair, fair_up = fair + 1, fair_up + up
        else:
            unfair, unfair_up = unfair + 1, unfair_up + up
        log.debug("%s fair=%s -> %s: %s", r["id"], r["fair"], d.decision, d.explanation)
    return {"fair": fair, "fair_upheld_rate": fair_up / fair if fair else 0.0, "unfair": unfair,
            "unfair_upheld": unfair_up}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.feedback", description=__doc__.splitlines()[0])
    p.add_argument("--split", default=None, help="only rows of this split (test: questions never calibrated on)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from app.compose import make_embedder

    grader = EmbeddedGrader(make_embedder(get_settings()))
    cov = coverage(grader, _rows(DATASETS / "feedback" / "coverage.jsonl", args.split), args.quiet)
    dis = disputes(grader, _rows(DATASETS / "disputes" / "disputes.jsonl", args.split), args.quiet)
    out: dict[str, Any] = {"split": args.split or "all", "coverage": cov, "disputes": dis}
    if args.split != "test":  # the set written blind for tuning the dispute rules (every row is calib)
        out["disputes_calib"] = disputes(grader, _rows(DATASETS / "disputes_calib" / "disputes_calib.jsonl", None),
                                         args.quiet)
    sys.stdout.write(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
