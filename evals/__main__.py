"""`python -m evals`: calibrate the embedded grader and report its agreement with labelled answers."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from app.grading.embedded import EmbeddedGrader, Params
from app.settings import get_settings
from evals.calibrate import agreement, collect, fit, save
from evals.exemplars import load_exemplars
from rag.wiring import make_embedder


def _out(s: str) -> None:
    sys.stdout.write(s + "\n")


def cmd_calibrate(args: argparse.Namespace) -> int:
    settings = get_settings()
    items = load_exemplars(settings.questions_dir)
    grader = EmbeddedGrader(make_embedder(settings))
    calib = [i for i in items if i.split == "calib"]
    rows, _ = collect(grader, calib)
    params = fit(grader, rows)
    if not args.dry_run:
        save(params, f"exemplars calib split: {len({i.question.id for i in calib})} questions, {len(calib)} answers")
    grader.params = Params(params.weights, params.bias, params.cuts)
    _out(f"fitted on {len(calib)} calib answers ({len(rows)} criterion labels)")
    _out(f"weights {params.weights} bias {params.bias} cuts {params.cuts}")
    return cmd_agreement(args, grader)


def cmd_agreement(args: argparse.Namespace, grader: EmbeddedGrader | None = None) -> int:
    settings = get_settings()
    items = load_exemplars(settings.questions_dir)
    grader = grader or EmbeddedGrader(make_embedder(settings))
    for split in ("calib", "test"):
        rows, abstained = collect(grader, [i for i in items if i.split == split])
        a = agreement(grader, rows, abstained)
        _out(f"{split}: " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                      for k, v in asdict(a).items()))
    return 0


def cmd_disputes_export(args: argparse.Namespace) -> int:
    from app.db import make_engine
    from evals.disputes import export_jsonl

    text = export_jsonl(make_engine(get_settings().resolved_database_url))
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {text.count(chr(10))} disputes to {args.out}\n")
    else:
        sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("calibrate", help="fit the embedded grader's global parameters on the calib split")
    c.add_argument("--dry-run", action="store_true", help="report without writing app/grading/params.json")
    c.set_defaults(fn=cmd_calibrate)
    sub.add_parser("agreement", help="grader vs exemplar labels on calib and test").set_defaults(fn=cmd_agreement)
    d = sub.add_parser("disputes", help="stored disputes").add_subparsers(dest="action", required=True)
    e = d.add_parser("export", help="write every dispute as JSONL (stdout or --out)")
    e.add_argument("--out", type=Path)
    e.set_defaults(fn=cmd_disputes_export)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return int(args.fn(args))


if __name__ == "__main__":
    raise SystemExit(main())
