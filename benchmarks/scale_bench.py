"""Scale-out figures (issue 14), each as a ratio to a baseline measured in the same run:

- interview turns at N concurrent candidates with no pause: the dynamic embedding batcher against one forward
  pass per request (EMBED_BATCH_MAX=1), p95 and throughput; targets 3x lower p95 and 2x the throughput;
- long-answer grading p95 with the serving embedder (target < 60 ms), against the torch backend;
- ingestion chunks/s with the serving embedder (target >= 200), against the torch backend at the old batch size;
- one worker process against two (WORKERS=2) on the same cores: throughput, p95 and resident memory per worker.

    python -m benchmarks.scale_bench [--concurrency 50] [--skip-workers]

Everything runs on loopback with SQLite and Chroma files in temporary directories; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from app.content import load_bank
from app.grading import EmbeddedGrader, from_question
from app.settings import Settings
from benchmarks._util import ROOT, free_port, pct, rss_mb, start_server, wait_ready
from benchmarks.grading_bench import ANSWER, _candidate
from rag.chunking import chunk_guide
from rag.embedder import Embedder, SentenceTransformerEmbedder, load_embedder
from rag.guide import load_guide
from rag.ingest import ingest
from rag.store import ChromaStore

log = logging.getLogger("bench")


def _workers(pid: int) -> list[int]:
    """The worker processes of a `WORKERS` > 1 server (its children, less multiprocessing's resource tracker)."""
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    except OSError:
        return []
    return [int(x) for x in out.split()
            if "resource_tracker" not in Path(f"/proc/{x}/cmdline").read_bytes().decode(errors="replace")]


def distinct_candidate(base: str, seed: int) -> list[float]:
    """One candidate whose every sentence is its own (numbers and names vary by seed), so nothing is served from
    the grader's sentence cache and every turn really embeds: identical answers would measure the cache."""
    import httpx

    n = seed + 3
    texts = [f"How many tickets does team {n} handle per month?",
             f"{ANSWER} For the pilot I'd pick the {n} busiest queues and cap drafts at {n * 10} words.",
             f"Success is acceptance above {30 + n % 50}% with CSAT flat over {n} weeks, against a holdout group.",
             f"I'd start in shadow mode with {n} customers, then expand by cohort every {n % 7 + 2} weeks."]
    lat: list[float] = []
    with httpx.Client(base_url=base, timeout=120) as c:
        r = c.post("/api/interviews", json={"question_id": "support-reply-drafts"})
        sid, h = r.json()["id"], {"X-Candidate-Token": r.headers["X-Candidate-Token"]}
        for text in texts:
            t0 = time.perf_counter()
            c.post(f"/api/interviews/{sid}/messages", json={"text": text}, headers=h).raise_for_status()
            lat.append((time.perf_counter() - t0) * 1000)
        c.post(f"/api/interviews/{sid}/grade", headers=h).raise_for_status()
    return lat


class Server:
    """One app server (`python -m app`) on loopback with SQLite and Chroma files in a temporary directory."""

    def __init__(self, env: dict[str, str]) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = start_server(Path(self._dir.name), self.port, env)
        self.lat: list[float] = []
        self.wall = 0.0

    def warm(self) -> None:
        wait_ready(self.port, self.proc, timeout=600)
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: _candidate(self.base, 0.0, i), range(4)))  # every worker touched

    def crowd(self, concurrency: int) -> None:
        """`concurrency` candidates at once, no pause: start, clarify, answer, probe answers, grade."""
        t0 = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            offset = len(self.lat)  # a new seed per crowd: later rounds are not served from the cache either
            for r in pool.map(lambda i: distinct_candidate(self.base, offset + i), range(concurrency)):
                self.lat += r
        self.wall += time.perf_counter() - t0

    def figures(self) -> dict[str, float]:
        pids = _workers(self.proc.pid) or [self.proc.pid]
        rss = [rss_mb(p) for p in pids]
        return {"p50": pct(self.lat, 50), "p95": pct(self.lat, 95), "turns": len(self.lat), "wall_s": self.wall,
                "turns_per_s": len(self.lat) / self.wall, "rss_mb": sum(rss) / len(rss), "procs": len(pids)}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)
        self._dir.cleanup()


def crowds(envs: dict[str, dict[str, str]], concurrency: int, rounds: int) -> dict[str, dict[str, float]]:
    """Every configuration's server started together, then crowds taken in turn, round after round, so a change
    in the machine's load during the run falls on all configurations alike."""
    servers = {name: Server(env) for name, env in envs.items()}
    try:
        for srv in servers.values():
            srv.warm()
        for _ in range(rounds):
            for srv in servers.values():
                srv.crowd(concurrency)
        return {name: srv.figures() for name, srv in servers.items()}
    finally:
        for srv in servers.values():
            srv.stop()


def grading_p95(embedder: Embedder, repeats: int) -> dict[str, float]:
    bank = load_bank([ROOT / "content" / "questions"])
    grader = EmbeddedGrader(embedder, cache_size=0)  # every answer pays for its own embeddings
    items = [(from_question(q), e.text) for q in bank for e in q.exemplars]
    long = [(r, t) for r, t in items if len(t.split()) >= 150]
    warm: dict[int, tuple[Any, str]] = {id(r): (r, t) for r, t in long}
    for r, t in warm.values():  # warm-up: each rubric's embeddings cached, as in a running server
        grader.grade(r, t)
    times = []
    for _ in range(repeats):
        for r, t in long:
            t0 = time.perf_counter()
            grader.grade(r, t)
            times.append((time.perf_counter() - t0) * 1000)
    return {"n": len(long), "p50": pct(times, 50), "p95": pct(times, 95)}


def ingest_rate(embedder: Embedder, batch_size: int, repeats: int) -> tuple[int, float]:
    chunks = chunk_guide(load_guide(ROOT / "content" / "guide"))
    rates = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as d:
            rates.append(ingest(chunks, ChromaStore.persistent(Path(d), "bench"), embedder,
                                batch_size=batch_size).chunks_per_second)
    return len(chunks), pct(rates, 50)


def turns(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    # Batched: the batcher plus enough grading threads to feed it; baseline: the previous defaults, one forward
    # pass per request and two gradings at a time (more threads without batching thrash the cores).
    batched_env = {"EMBED_BATCH_MAX": "256", "GRADE_WORKERS": str(args.grade_workers)}
    envs = {"batched": batched_env, "unbatched": {"EMBED_BATCH_MAX": "1", "GRADE_WORKERS": "2"}}
    if not args.skip_workers:
        envs["two"] = {**batched_env, "WORKERS": "2"}
    return crowds(envs, args.concurrency, args.rounds)


def run(args: argparse.Namespace) -> list[str]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    onnx = load_embedder(settings.embedder_model, "onnx", settings.resolved_embedder_cache_dir)
    torch = SentenceTransformerEmbedder(settings.embedder_model)
    # Alternated, one repeat at a time, so a change in the machine's load falls on both backends alike.
    ing: dict[str, list[float]] = {"onnx": [], "torch": []}
    n_chunks = 0
    for _ in range(args.repeats):
        for name, emb, batch in (("onnx", onnx, 256), ("torch", torch, 32)):
            n_chunks, rate = ingest_rate(emb, batch, 1)
            ing[name].append(rate)
    ing_onnx, ing_torch = pct(ing["onnx"], 50), pct(ing["torch"], 50)
    g_onnx = grading_p95(onnx, args.repeats)
    g_torch = grading_p95(torch, args.repeats)
    del torch
    c = args.concurrency
    got = turns(args)
    batched, unbatched = got["batched"], got["unbatched"]
    lines = [
        f"Scale-out bench: {c} concurrent candidates, no pause, {args.rounds} round(s); embedder backend "
        f"{settings.embedder_backend}; batched = EMBED_BATCH_MAX=256 and GRADE_WORKERS={args.grade_workers}, "
        "baseline = EMBED_BATCH_MAX=1 and GRADE_WORKERS=2",
        "",
        "| measure | this build | baseline (same run) | ratio | target |", "|---|---|---|---|---|",
        f"| turn p95, batched vs one pass per request | {batched['p95']:.0f} ms | {unbatched['p95']:.0f} ms | "
        f"{unbatched['p95'] / batched['p95']:.2f}x lower | 3x lower |",
        f"| turns/s, batched vs one pass per request | {batched['turns_per_s']:.1f} | "
        f"{unbatched['turns_per_s']:.1f} | {batched['turns_per_s'] / unbatched['turns_per_s']:.2f}x | 2x |",
        f"| long-answer grading p95 ({g_onnx['n']:.0f} answers), onnx vs torch | {g_onnx['p95']:.1f} ms | "
        f"{g_torch['p95']:.1f} ms | {g_torch['p95'] / g_onnx['p95']:.2f}x lower | < 60 ms |",
        f"| ingestion ({n_chunks} chunks), onnx at 256 vs torch at 32 per batch | {ing_onnx:.1f} chunks/s | "
        f"{ing_torch:.1f} chunks/s | {ing_onnx / ing_torch:.2f}x | >= 200 chunks/s |",
    ]
    if not args.skip_workers:
        two = got["two"]
        lines += [
            f"| turns/s, 2 workers vs 1 (same {c} candidates) | {two['turns_per_s']:.1f} | "
            f"{batched['turns_per_s']:.1f} | {two['turns_per_s'] / batched['turns_per_s']:.2f}x | |",
            f"| turn p95, 2 workers vs 1 | {two['p95']:.0f} ms | {batched['p95']:.0f} ms | "
            f"{batched['p95'] / two['p95']:.2f}x lower | |",
            "",
            f"Resident memory after the run: {batched['rss_mb']:.0f} MB for the single process; "
            f"{two['rss_mb']:.0f} MB per worker over {two['procs']:.0f} workers.",
        ]
    else:
        lines += ["", f"Resident memory after the run: {batched['rss_mb']:.0f} MB (one process)."]
    lines.append(f"Turn p50: batched {batched['p50']:.0f} ms, one pass per request {unbatched['p50']:.0f} ms.")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.scale_bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2, help="crowds of --concurrency candidates per server")
    ap.add_argument("--repeats", type=int, default=3, help="repeats of the grading and ingestion measures")
    ap.add_argument("--grade-workers", type=int, default=8, help="GRADE_WORKERS of the batched servers")
    ap.add_argument("--skip-workers", action="store_true", help="leave out the one-vs-two-workers comparison")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    out: Any = run(args)
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
