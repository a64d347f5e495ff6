"""`python -m evals`: run the grader over labelled data, gate drift, keep baselines, and write reports."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from app.settings import ROOT, get_settings
from evals.items import EvalItem, load_gold

RUNS_DIR = ROOT / "evals" / "runs"
BASELINES = ROOT / "evals" / "baselines"
DEFAULT_BASELINE = BASELINES / "embedded-gold-test.json"


def _out(s: str) -> None:
    sys.stdout.write(s + "\n")


def _history_db() -> Path:
    return get_settings().data_dir / "evals.db"


def load_dataset(name: str, split: str | None) -> tuple[str, list[EvalItem]]:
    settings = get_settings()
    if name == "gold":
        items = load_gold(settings.questions_dir)
    elif name in ("foreign", "foreign-calib"):
        from evals.foreign import FOREIGN, FOREIGN_CALIB, load_foreign

        items = load_foreign(FOREIGN if name == "foreign" else FOREIGN_CALIB)
    else:
        from evals.items import load_external_items

        path = Path(name)
        if not path.exists():
            raise SystemExit(f"error: no dataset {name!r} (use 'gold', 'foreign', 'foreign-calib' or a JSONL path)")
        items = load_external_items(path)
        name = path.stem
    if split and split != "all":
        items = [i for i in items if i.split == split]
        if not items:
            raise SystemExit(f"error: dataset {name} has no items in split {split!r}")
        name = f"{name}-{split}"
    return name, items


def _summary(rec) -> str:  # type: ignore[no-untyped-def]
    from evals.report import summary_table

    return summary_table(rec)


EXIT_INVALID = 3  # the run was recorded, but too many items fell back for its figures to describe the judge


def cmd_run(args: argparse.Namespace) -> int:
    from evals import history
    from evals.runner import make_grader, run

    settings = get_settings()
    if args.inline and args.dataset != "gold":
        raise SystemExit("error: --inline compares bank rubrics with their inline form; use it with --dataset gold")
    if args.inline and args.no_reference:
        raise SystemExit("error: --no-reference grades rubric-only; it does not combine with --inline")
    name, items = load_dataset(args.dataset, args.split)
    if args.no_reference:
        from evals.inline import without_reference

        name, items = f"{name}-no-reference", without_reference(items)
    grader = make_grader(args.grader, settings)
    opts = {"quiet": args.quiet, "resamples": args.resamples, "concurrency": args.concurrency,
            "max_fallback": args.max_fallback,
            "settings": {"embedder_model": settings.embedder_model, "llm_model": settings.llm_model}}
    if args.inline:
        from evals.inline import run_inline

        rec = run_inline(grader, items, name, repeats=args.repeats, **opts)
    else:
        rec = run(grader, items, name, repeats=args.repeats, workers=args.workers, spec=args.grader, **opts)
    path = rec.save(args.out)
    history.record(_history_db(), rec, path)
    _out(_summary(rec))
    _out(f"run record: {path}")
    if not rec.valid:
        sys.stderr.write(f"error: invalid run: {rec.invalid_reason}\n")
        return EXIT_INVALID
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from evals.compare import markdown
    from evals.record import RunRecord

    recs = [RunRecord.load(_resolve_run(r)) for r in args.runs]
    _out(markdown(recs))
    if len({r.dataset.get("hash") for r in recs}) > 1:
        _out("\nnote: the runs graded different datasets; compare agreement figures with care")
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    import json

    from evals.probe import markdown, run_probes
    from evals.record import new_run_id, now
    from evals.runner import make_grader

    settings = get_settings()
    name, items = load_dataset(args.dataset, args.split)
    items = [i for i in items if not i.expected][: args.limit or None]
    grader = make_grader(args.grader, settings)
    result = run_probes(grader, items, repeats=args.repeats, concurrency=args.concurrency, quiet=args.quiet,
                        only=args.only or None)
    result.update({"dataset": name, "grader": grader.fingerprint, "created_at": now()})
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"probe-{new_run_id(name, str(grader.fingerprint.get('kind', 'grader')))}.json"
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    _out(markdown(result))
    _out(f"probe record: {path}")
    return 0 if result["passed"] else 1


def _resolve_run(ref: str | None) -> Path:
    from evals import history

    if ref is None:
        runs = history.runs(_history_db())
        if not runs:
            raise SystemExit("error: no runs yet; `python -m evals run` first")
        return Path(runs[-1]["path"])
    p = Path(ref)
    if p.exists():
        return p
    found = history.find(_history_db(), ref)
    if found is None:
        raise SystemExit(f"error: no run {ref!r}")
    return found


def _tolerances(pairs: list[str]) -> dict[str, float]:
    out = {}
    for p in pairs:
        key, _, val = p.partition("=")
        try:
            out[key] = float(val)
        except ValueError:
            raise SystemExit(f"error: --tol expects metric=number, got {p!r}") from None
    return out


def cmd_drift(args: argparse.Namespace) -> int:
    from evals.drift import compare, format_report
    from evals.record import RunRecord

    baseline = RunRecord.load(args.baseline)
    run = RunRecord.load(_resolve_run(args.run))
    rep = compare(run, baseline, _tolerances(args.tol or []))
    _out(format_report(rep, run, baseline))
    return 0 if rep.ok else 1


def cmd_gate(args: argparse.Namespace) -> int:
    """What CI runs: the embedded grader on the gold test split, compared with the committed baseline."""
    from evals import history
    from evals.drift import compare, format_report
    from evals.record import RunRecord
    from evals.runner import make_grader, run

    baseline = RunRecord.load(args.baseline)
    name, items = load_dataset("gold", "test")
    rec = run(make_grader("embedded", get_settings()), items, name, quiet=args.quiet, resamples=200)
    path = rec.save(args.out)
    history.record(_history_db(), rec, path)
    rep = compare(rec, baseline)
    _out(format_report(rep, rec, baseline))
    return 0 if rep.ok else 1


def cmd_baseline_update(args: argparse.Namespace) -> int:
    from evals.drift import write_baseline
    from evals.record import RunRecord
    from evals.runner import make_grader, run

    if args.run:
        rec = RunRecord.load(_resolve_run(args.run))
    else:
        name, items = load_dataset("gold", "test")
        rec = run(make_grader("embedded", get_settings()), items, name, quiet=args.quiet)
    if not rec.valid:
        raise SystemExit(f"error: run {rec.run_id} is invalid and cannot become a baseline: {rec.invalid_reason}")
    path = BASELINES / f"{args.name}.json"
    write_baseline(rec, path, args.reason)
    _out(f"baseline {path} updated from run {rec.run_id}: {args.reason}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from evals import history
    from evals.record import RunRecord
    from evals.report import write_report

    paths = [_resolve_run(r) for r in args.runs] or [_resolve_run(None)]
    recs = [RunRecord.load(p) for p in paths]
    md, html = write_report(recs, history.runs(_history_db(), recs[0].dataset["name"]), args.out)
    _out(f"report: {md}\nreport: {html}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from app.compose import make_embedder
    from app.grading.embedded import EmbeddedGrader, Params
    from evals.calibrate import collect, fit, save
    from evals.inline import inline_rubric as as_inline

    settings = get_settings()
    bank_calib = [i for i in load_gold(settings.questions_dir) if i.split == "calib" and i.levels and not i.expected]
    n_questions = len({i.rubric.question_id for i in bank_calib})
    calib = [i.model_copy(update={"rubric": as_inline(i.rubric)}) for i in bank_calib]
    grader = EmbeddedGrader(make_embedder(settings))
    params = fit(grader, collect(grader, calib)[0])
    if not args.dry_run:
        save(params, f"gold calib split, rubrics passed inline: {n_questions} questions, "
                     f"{len(calib)} labelled answers")
    grader.params = Params(params.weights, params.bias, params.cuts)
    _out(f"weights {params.weights} bias {params.bias} cuts {params.cuts}")
    return _agreement(grader)


def _agreement(grader=None) -> int:  # type: ignore[no-untyped-def]
    """The grader against the labelled answers of each gold split, through the same path as `evals run`."""
    from app.compose import make_embedder
    from app.grading.embedded import EmbeddedGrader
    from evals.runner import run

    settings = get_settings()
    items = [i for i in load_gold(settings.questions_dir) if i.levels and not i.expected]
    grader = grader or EmbeddedGrader(make_embedder(settings))
    for split in ("calib", "test"):
        g = run(grader, [i for i in items if i.split == split], f"gold-{split}", quiet=True, resamples=200)
        m = g.metrics["gold"]
        _out(f"{split}: answers={m['n']}, " + ", ".join(
            f"{k}={m[k]}" for k in ("criterion_qwk", "criterion_kappa", "criterion_exact", "criterion_within1",
                                    "band_qwk", "band_exact", "abstained", "kappa_by_competency")))
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


def cmd_study(args: argparse.Namespace) -> int:
    """Study links of the bank's criteria passed inline, against the sections their authors chose."""
    from app.compose import make_embedder, make_index, make_store
    from app.content import load_bank
    from app.grading import StudyFinder
    from evals.study import format_agreement, study_agreement

    settings = get_settings()
    embedder = make_embedder(settings)
    index = make_index(settings, embedder, make_store(settings))
    results = study_agreement(StudyFinder(index.retriever), load_bank([settings.questions_dir]))
    _out(format_agreement(results))
    if args.misses:
        for r in results.values():
            _out(f"\n{r.split} misses:\n" + "\n".join(r.misses))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="grade a labelled dataset and write a run record")
    r.add_argument("--grader", default="embedded",
                   help="'embedded', 'cosine' (the answer-to-reference baseline), 'llm:<litellm model>' or "
                        "'ensemble:<litellm model>'")
    r.add_argument("--dataset", default="gold", help="'gold' or a JSONL path in the external format")
    r.add_argument("--split", default=None, help="only this split (e.g. test, calib, test-unseen-answers)")
    r.add_argument("--repeats", type=int, default=1, help="grade every item K times and report the spread")
    r.add_argument("--out", type=Path, default=RUNS_DIR, help="directory for run records")
    r.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples for the 95%% intervals")
    r.add_argument("--concurrency", type=int, default=None,
                   help="LLM graders: items graded at once (default 4); 429s are retried with backoff")
    r.add_argument("--workers", type=int, default=1,
                   help="grade across N processes, each with its own grader (not with --inline)")
    r.add_argument("--max-fallback", type=float, default=0.05,
                   help="largest share of items that may fall back to the embedded grader before the run is "
                        "invalid (exit 3) (default 0.05)")
    r.add_argument("--no-reference", action="store_true",
                   help="grade every rubric without its reference answer (rubric-only, as a request may be)")
    r.add_argument("--inline", action="store_true",
                   help="grade each bank rubric as POST /api/grade receives it (no cues), beside the cued mode")
    r.add_argument("-q", "--quiet", action="store_true")
    r.set_defaults(fn=cmd_run)
    cp = sub.add_parser("compare", help="one column per run: agreement, robustness, fallbacks, latency, cost")
    cp.add_argument("runs", nargs="+", help="run ids, prefixes or paths")
    cp.set_defaults(fn=cmd_compare)
    pb = sub.add_parser("probe", help="bias probes: verbosity, order, consistency, injection, rubric echo")
    pb.add_argument("--grader", default="embedded",
                    help="'embedded', 'llm:<litellm model>' or 'ensemble:<litellm model>'")
    pb.add_argument("--dataset", default="gold")
    pb.add_argument("--split", default="test")
    pb.add_argument("--limit", type=int, default=0, help="only the first N genuine answers (0: all)")
    pb.add_argument("--repeats", type=int, default=3, help="extra grades per answer for self-consistency")
    pb.add_argument("--only", action="append", help="run only this probe (repeatable)")
    pb.add_argument("--concurrency", type=int, default=None)
    pb.add_argument("--out", type=Path, default=RUNS_DIR)
    pb.add_argument("-q", "--quiet", action="store_true")
    pb.set_defaults(fn=cmd_probe)
    d = sub.add_parser("drift", help="compare a run with a baseline; exit 1 when a tolerance is exceeded")
    d.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    d.add_argument("--run", default=None, help="run id, prefix or path (default: the latest run)")
    d.add_argument("--tol", action="append", metavar="METRIC=DROP",
                   help="override a tolerance, e.g. gold.band_qwk=0.03 (repeatable)")
    d.set_defaults(fn=cmd_drift)
    g = sub.add_parser("gate", help="CI drift gate: embedded grader on gold test vs the committed baseline")
    g.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    g.add_argument("--out", type=Path, default=RUNS_DIR)
    g.add_argument("-q", "--quiet", action="store_true")
    g.set_defaults(fn=cmd_gate)
    b = sub.add_parser("baseline", help="baselines").add_subparsers(dest="action", required=True)
    u = b.add_parser("update", help="rewrite a baseline, recording the reason and the grader fingerprint")
    u.add_argument("--reason", required=True)
    u.add_argument("--run", default=None, help="use this run (default: a fresh embedded run on gold test)")
    u.add_argument("--name", default="embedded-gold-test")
    u.add_argument("-q", "--quiet", action="store_true")
    u.set_defaults(fn=cmd_baseline_update)
    rp = sub.add_parser("report", help="Markdown + self-contained HTML report of one or more runs")
    rp.add_argument("runs", nargs="*", help="run ids or paths (default: the latest); two give a side-by-side")
    rp.add_argument("--out", type=Path, default=ROOT / "evals" / "reports")
    rp.set_defaults(fn=cmd_report)
    c = sub.add_parser("calibrate", help="fit the embedded grader's global parameters on the calib split")
    c.add_argument("--dry-run", action="store_true", help="report without writing app/grading/params.json")
    c.set_defaults(fn=cmd_calibrate)
    sub.add_parser("agreement", help="grader vs exemplar labels on calib and test").set_defaults(
        fn=lambda a: _agreement())
    st = sub.add_parser("study", help="study links of bank criteria passed inline vs the sections their authors chose")
    st.add_argument("--misses", action="store_true", help="list each criterion whose link disagrees")
    st.set_defaults(fn=cmd_study)
    ds = sub.add_parser("disputes", help="stored disputes").add_subparsers(dest="action", required=True)
    e = ds.add_parser("export", help="write every dispute as JSONL (stdout or --out)")
    e.add_argument("--out", type=Path)
    e.set_defaults(fn=cmd_disputes_export)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        return int(args.fn(args))
    except ValueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
