"""`python -m rag`: ingest the guide, ask it a question, calibrate the refusal threshold, report quality."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from app.settings import ROOT, get_settings
from rag.answerer import DEFAULT_MIN_SIMILARITY, ExtractiveAnswerer
from rag.chunking import chunk_guide
from rag.errors import RagError
from rag.guide import load_guide
from rag.index import build_index
from rag.ingest import ingest, plan_ingest
from rag.quality import best_threshold, format_table, load_qa, report, score_items
from rag.retrieval import Mode
from rag.wiring import make_embedder, make_store

log = logging.getLogger("rag")
QA_TEST = ROOT / "evals" / "datasets" / "guide_qa.jsonl"
QA_CALIB = ROOT / "evals" / "datasets" / "guide_qa_calib.jsonl"


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = get_settings()
    chunks = chunk_guide(load_guide(settings.guide_dir))
    embedder, store = make_embedder(settings), make_store(settings)
    plan = plan_ingest(chunks, store, embedder)
    with tqdm(total=len(plan.add) + len(plan.update), desc="embedding chunks", unit="chunk",
              disable=args.quiet) as bar:
        rep = ingest(chunks, store, embedder, progress=bar.update)
    _out(f"{len(chunks)} chunks: {rep.summary()}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    settings = get_settings()
    index = build_index(settings.guide_dir, make_embedder(settings), make_store(settings))
    ans = ExtractiveAnswerer(index.retriever, settings.answer_min_score or DEFAULT_MIN_SIMILARITY)
    _out(json.dumps(asdict(ans.answer(args.question)), indent=2))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Report each mode on the test set with thresholds fitted on the calibration set only."""
    settings = get_settings()
    index = build_index(settings.guide_dir, make_embedder(settings), make_store(settings))
    calib, test = load_qa(args.calib), load_qa(args.dataset)
    reports = []
    for mode in tqdm(list(Mode), desc="modes", disable=args.quiet):
        t = best_threshold(score_items(index.retriever, calib, mode))
        if mode is not Mode.bm25 and args.use_default_threshold:
            t = settings.answer_min_score or DEFAULT_MIN_SIMILARITY
        reports.append(report(score_items(index.retriever, test, mode), mode, t))
    _out(f"{args.dataset.name}: {reports[0].n_answerable} answerable, {reports[0].n_off_guide} off-guide; "
         f"thresholds fitted on {args.calib.name}")
    _out(format_table(reports))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    settings = get_settings()
    index = build_index(settings.guide_dir, make_embedder(settings), make_store(settings))
    scored = score_items(index.retriever, load_qa(args.calib), Mode.hybrid)
    on = sorted(s.confidence for s in scored if s.item.answerable)
    off = sorted(s.confidence for s in scored if not s.item.answerable)
    _out(f"on-guide confidence: min {on[0]:.3f} median {on[len(on) // 2]:.3f} max {on[-1]:.3f}")
    _out(f"off-guide confidence: min {off[0]:.3f} median {off[len(off) // 2]:.3f} max {off[-1]:.3f}")
    _out(f"suggested threshold: {best_threshold(scored):.3f} (current default {DEFAULT_MIN_SIMILARITY})")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m rag", description=__doc__)
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("ingest", help="embed the guide into Chroma (idempotent)").set_defaults(fn=cmd_ingest)
    a = sub.add_parser("ask", help="answer a question from the guide")
    a.add_argument("question")
    a.set_defaults(fn=cmd_ask)
    e = sub.add_parser("eval", help="retrieval quality report: BM25 vs dense vs hybrid")
    e.add_argument("--dataset", type=Path, default=QA_TEST)
    e.add_argument("--calib", type=Path, default=QA_CALIB)
    e.add_argument("--use-default-threshold", action="store_true",
                   help="decline with the shipped threshold instead of one fitted per mode")
    e.set_defaults(fn=cmd_eval)
    c = sub.add_parser("calibrate", help="suggest the refusal threshold from the calibration set")
    c.add_argument("--calib", type=Path, default=QA_CALIB)
    c.set_defaults(fn=cmd_calibrate)
    args = ap.parse_args(argv)
    logging.basicConfig(level=get_settings().log_level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.fn(args))
    except (RagError, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
