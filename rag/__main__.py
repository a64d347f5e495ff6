"""`python -m rag`: ingest the guide, ask it a question, fit the answerer on the calibration set, report quality.

rag/ stands alone (it imports nothing from app/ and reads no environment), so this CLI takes its configuration
from flags given before the command (`python -m rag --chroma-host HOST ingest`). Their defaults are the app's
defaults: content/guide, data/chroma, the bundled embedding model. The app itself ingests at start-up from its
Settings (INGEST_ON_STARTUP), through the same functions.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from rag.answerer import ExtractiveAnswerer
from rag.calibrate import fit_decline, fit_head, fit_support
from rag.chunking import chunk_guide
from rag.errors import RagError
from rag.guide import load_guide
from rag.index import build_index
from rag.ingest import ingest, plan_ingest
from rag.quality import answer_report, best_threshold, format_answers, format_table, load_qa, report, score_items
from rag.retrieval import Mode
from rag.signals import FEATURES
from rag.support import save_threshold
from rag.wiring import ROOT, GuideConfig, make_embedder, make_store

log = logging.getLogger("rag")
QA_TEST = ROOT / "evals" / "datasets" / "guide_qa.jsonl"
QA_CALIB = ROOT / "evals" / "datasets" / "guide_qa_calib.jsonl"


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _config(args: argparse.Namespace) -> GuideConfig:
    return GuideConfig(guide_dir=args.guide_dir, embedder_model=args.embedder_model, chroma_path=args.chroma_path,
                       chroma_host=args.chroma_host, chroma_port=args.chroma_port,
                       chroma_collection=args.collection, answer_min_score=args.min_score)


def cmd_ingest(args: argparse.Namespace) -> int:
    config = _config(args)
    chunks = chunk_guide(load_guide(config.guide_dir))
    embedder, store = make_embedder(config.embedder_model), make_store(config)
    plan = plan_ingest(chunks, store, embedder)
    with tqdm(total=len(plan.add) + len(plan.update), desc="embedding chunks", unit="chunk",
              disable=args.quiet) as bar:
        def advance(n: int) -> None:
            bar.update(n)

        rep = ingest(chunks, store, embedder, progress=advance)
    _out(f"{len(chunks)} chunks: {rep.summary()}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    config = _config(args)
    index = build_index(config.guide_dir, make_embedder(config.embedder_model), make_store(config))
    ans = ExtractiveAnswerer(index.retriever, config.answer_min_score)
    _out(json.dumps(asdict(ans.answer(args.question)), indent=2, ensure_ascii=False))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Retrieval per mode (decline thresholds fitted on the calibration set only), then end-to-end answers."""
    config = _config(args)
    index = build_index(config.guide_dir, make_embedder(config.embedder_model), make_store(config))
    calib, test = load_qa(args.calib), load_qa(args.dataset)
    reports = []
    for mode in tqdm(list(Mode), desc="modes", disable=args.quiet):
        t = best_threshold(score_items(index.retriever, calib, mode))
        reports.append(report(score_items(index.retriever, test, mode), mode, t))
    _out(f"{args.dataset.name}: {reports[0].n_answerable} answerable, {reports[0].n_off_guide} off-guide; "
         f"retrieval-only decline thresholds fitted on {args.calib.name}")
    _out(format_table(reports))
    answerer = ExtractiveAnswerer(index.retriever, config.answer_min_score)
    answers = [answer_report(answerer, test, f"{args.dataset.name} (held out)"),
               answer_report(answerer, calib, f"{args.calib.name} (fitted on)")]
    _out("\nAnswers (the extractive answerer as served, with the decision fitted on the calibration set):")
    _out(format_answers(answers))
    if args.show_misses:
        _out("misses: " + ", ".join(answers[0].misses))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit the reranking head and the decline decision on the calibration set; --write saves them to rag/data."""
    config = _config(args)
    index = build_index(config.guide_dir, make_embedder(config.embedder_model), make_store(config))
    calib = load_qa(args.calib)
    head, pos, n = fit_head(index.retriever, calib)
    _out(f"reranking head: {n} sentences ({pos} hold an expected fact); weights {head.coef}")
    model = fit_decline(index.retriever, calib, head, args.calib.name)
    _out(f"decline decision: threshold {model.threshold}, relevance floor {model.relevance_floor}; out-of-fold "
         f"decline precision / recall on the calibration set {model.cv_precision:.3f} / {model.cv_recall:.3f} "
         f"(five-fold), {model.writer_precision:.3f} / {model.writer_recall:.3f} (each writer's batch left out, "
         f"the figures the cut is chosen on); {len(model.coef)} weights ({len(FEATURES)} signals and the "
         f"question's embedding)")
    answerer = ExtractiveAnswerer(index.retriever, decline_model=model, head=head)
    _out(format_answers([answer_report(answerer, calib, f"{args.calib.name} (fitted on)")]))
    threshold, accuracy, pairs = fit_support(index.retriever)
    _out(f"LLM support check: threshold {threshold} (balanced accuracy {accuracy} on {pairs} guide pairs)")
    if args.write:
        head.save()
        model.save()
        save_threshold(threshold, accuracy, pairs)
        _out("written: rag/data/rerank.json, rag/data/decline.json, rag/data/support.json")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m rag", description=__doc__)
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    d = GuideConfig()
    ap.add_argument("--guide-dir", type=Path, default=d.guide_dir, help="the guide's Markdown files")
    ap.add_argument("--embedder-model", default=d.embedder_model, help="bundled model name or a local path")
    ap.add_argument("--chroma-path", type=Path, default=d.chroma_path, help="Chroma files (without --chroma-host)")
    ap.add_argument("--chroma-host", default=d.chroma_host, help="a Chroma server instead of files")
    ap.add_argument("--chroma-port", type=int, default=d.chroma_port)
    ap.add_argument("--collection", default=d.chroma_collection, help="the Chroma collection of guide chunks")
    ap.add_argument("--min-score", type=float, default=d.answer_min_score,
                    help="decline below this dense similarity (default: the fitted decline decision)")
    ap.add_argument("--log-level", default="INFO")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("ingest", help="embed the guide into Chroma (idempotent)").set_defaults(fn=cmd_ingest)
    a = sub.add_parser("ask", help="answer a question from the guide")
    a.add_argument("question")
    a.set_defaults(fn=cmd_ask)
    e = sub.add_parser("eval", help="retrieval quality report: BM25 vs dense vs hybrid")
    e.add_argument("--dataset", type=Path, default=QA_TEST)
    e.add_argument("--calib", type=Path, default=QA_CALIB)
    e.add_argument("--show-misses", action="store_true", help="list held-out ids whose answer missed a fact")
    e.set_defaults(fn=cmd_eval)
    c = sub.add_parser("calibrate", help="fit the reranking head and the decline decision on the calibration set")
    c.add_argument("--calib", type=Path, default=QA_CALIB)
    c.add_argument("--write", action="store_true", help="save the fit to rag/data (otherwise only report it)")
    c.set_defaults(fn=cmd_calibrate)
    args = ap.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.fn(args))
    except (RagError, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
