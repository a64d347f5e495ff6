"""Guide retrieval benchmarks: ingestion rate, retrieval latency per mode, cold start and server RSS.

Run with `make bench` (or `python -m benchmarks.rag_bench`). Figures are printed as a Markdown table for the
README; latencies are also given as a ratio to BM25 measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tqdm import tqdm

from app.compose import make_embedder
from app.settings import get_settings
from benchmarks._util import ROOT, free_port, pct, rss_mb, start_server, wait_ready
from rag.chunking import chunk_guide
from rag.embedder import Embedder
from rag.guide import load_guide
from rag.ingest import ingest
from rag.quality import load_qa
from rag.retrieval import HybridRetriever, Mode
from rag.store import ChromaStore

log = logging.getLogger("bench")


def bench_ingest(embedder: Embedder, repeats: int) -> tuple[int, list[float]]:
    chunks = chunk_guide(load_guide(ROOT / "content" / "guide"))
    rates = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as d:
            rep = ingest(chunks, ChromaStore.persistent(Path(d), "bench"), embedder)
            rates.append(rep.chunks_per_second)
    return len(chunks), rates


def bench_retrieval(embedder: Embedder, n: int) -> dict[Mode, list[float]]:
    chunks = chunk_guide(load_guide(ROOT / "content" / "guide"))
    ds = ROOT / "evals" / "datasets"
    questions = [i.question for f in ("guide_qa.jsonl", "guide_qa_calib.jsonl") for i in load_qa(ds / f)]
    out: dict[Mode, list[float]] = {}
    with tempfile.TemporaryDirectory() as d:
        store = ChromaStore.persistent(Path(d), "bench")
        ingest(chunks, store, embedder)
        r = HybridRetriever(chunks, embedder, store)
        for q in questions[:20]:  # warm-up: first calls pay one-off allocation costs
            r.search(q, mode=Mode.hybrid)
        for mode in Mode:
            times = []
            for i in tqdm(range(n), desc=f"{mode.value} queries", unit="q", file=sys.stderr):
                t0 = time.perf_counter()
                r.search(questions[i % len(questions)], k=5, mode=mode)
                times.append((time.perf_counter() - t0) * 1000)
            out[mode] = times
    return out


# The latency run measures answering, not throttling: one client asking back to back would hit the per-client
# limits (60 guide questions a minute) long before the 100th question.
NO_RATE_LIMITS = {"RATE_LIMIT_ADDRESS": "", "RATE_LIMIT_CANDIDATE": "", "RATE_LIMIT_EXPENSIVE": ""}


def bench_server(asks: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        proc = start_server(Path(d), port)
        try:
            first = wait_ready(port, proc)  # includes ingesting the guide into empty Chroma files
            rss_ready = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait()
        port = free_port()
        proc = start_server(Path(d), port, NO_RATE_LIMITS)
        try:
            cold = wait_ready(port, proc)  # the index exists: the usual restart
            questions = _ask_questions()
            headers = {"Content-Type": "application/json"}

            def ask(q: str) -> float:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/api/guide/ask", headers=headers,
                                             data=json.dumps({"question": q}).encode())
                t0 = time.perf_counter()
                with urllib.request.urlopen(req, timeout=60) as resp:
                    resp.read()
                    token = resp.headers.get("X-Candidate-Token")
                if token:  # one candidate, as in the browser: each answer is also written to its history
                    headers["X-Candidate-Token"] = token
                return (time.perf_counter() - t0) * 1000

            first_ask = ask(questions[0])  # may wait for the guide's sentences to be embedded after readiness
            lat = [ask(questions[(i + 1) % len(questions)]) for i in range(asks)]
            rss_after = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait()
    return {"cold_start_s": cold, "first_start_with_ingest_s": first, "rss_ready_mb": rss_ready,
            "rss_after_asks_mb": rss_after, "ask_p50_ms": pct(lat, 50), "ask_p95_ms": pct(lat, 95),
            "first_ask_ms": first_ask}


def _ask_questions() -> list[str]:
    """Varied questions (held-out and calibration, on- and off-guide), so the figure covers answers, definitions
    and declines rather than one cached path."""
    ds = ROOT / "evals" / "datasets"
    return [i.question for f in ("guide_qa.jsonl", "guide_qa_calib.jsonl") for i in load_qa(ds / f)]


def _server_line(srv: dict[str, float], asks: int) -> str:
    return (f"Cold start to ready (index on disk): {srv['cold_start_s']:.2f} s; "
            f"first start including ingestion: {srv['first_start_with_ingest_s']:.2f} s\n"
            f"Server RSS: {srv['rss_ready_mb']:.0f} MB when ready, {srv['rss_after_asks_mb']:.0f} MB after "
            f"{asks} /api/guide/ask calls over varied questions (p50 {srv['ask_p50_ms']:.1f} ms, "
            f"p95 {srv['ask_p95_ms']:.1f} ms end to end; the first ask after ready {srv['first_ask_ms']:.0f} ms)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.rag_bench", description=__doc__)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--ingest-repeats", type=int, default=3)
    ap.add_argument("--asks", type=int, default=100)
    ap.add_argument("--guide-only", action="store_true", help="only the server: cold start and /api/guide/ask")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.guide_only:
        srv = bench_server(args.asks)
        sys.stdout.write(_server_line(srv, args.asks) + "\n")
        return 0
    embedder = make_embedder(get_settings())
    n_chunks, rates = bench_ingest(embedder, args.ingest_repeats)
    lat = bench_retrieval(embedder, args.queries)
    srv = bench_server(args.asks)
    base = pct(lat[Mode.bm25], 95)
    lines = [
        f"Ingestion: {n_chunks} chunks, median {pct(rates, 50):.1f} chunks/s "
        f"(embedding + Chroma upsert, {args.ingest_repeats} runs)",
        "",
        f"| retrieval ({args.queries} queries) | p50 ms | p95 ms | p95 vs BM25 |",
        "|---|---|---|---|",
    ]
    for mode, times in lat.items():
        lines.append(f"| {mode.value} | {pct(times, 50):.2f} | {pct(times, 95):.2f} | "
                     f"{pct(times, 95) / base:.1f}x |")
    lines += [
        "",
        _server_line(srv, args.asks),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
