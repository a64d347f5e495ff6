"""Grading and interview-turn benchmarks: embedded grading latency, batch throughput, and turn latency with
concurrent simulated candidates against a real server on loopback.

Run with `make bench-grading` (or `python -m benchmarks.grading_bench`).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from app.compose import make_embedder
from app.content import load_bank
from app.grading import EmbeddedGrader, from_question
from app.settings import get_settings
from benchmarks._util import ROOT, free_port, pct, start_server, wait_ready

ANSWER = ("I would build reply drafts for support agents, who review every draft before sending. Drafts are "
          "grounded with retrieval over each customer's help centre. I'd track acceptance rate and handle time "
          "against a holdout, and suppress low-confidence drafts so nothing invents a refund.")


def bench_grading(repeats: int, batch: int) -> dict[str, float]:
    bank = load_bank([ROOT / "content" / "questions"])
    # No sentence cache: every timed answer pays for its own embeddings, as a new answer does.
    grader = EmbeddedGrader(make_embedder(get_settings()), cache_size=0)  # no cache: every grade is measured
    items = [(from_question(q), e.text) for q in bank for e in q.exemplars]
    for r, t in items:  # warm-up, and rubric embeddings cached as they are in a running server
        grader.grade(r, t)
    short = [(r, t) for r, t in items if len(t.split()) < 100]
    long = [(r, t) for r, t in items if len(t.split()) >= 150]
    # Eight different long answers joined: distinct sentences, so deduplication does not shrink the work.
    very_long = [(long[i][0], "\n\n".join(t for _, t in long[i:i + 8])) for i in range(0, 20)]
    out: dict[str, float] = {}
    for name, group in (("short", short), ("long", long), ("very_long", very_long)):
        times = []
        for _ in range(repeats):
            for r, t in group:
                t0 = time.perf_counter()
                grader.grade(r, t)
                times.append((time.perf_counter() - t0) * 1000)
        out[f"{name}_n"] = len(group)
        out[f"{name}_p50"], out[f"{name}_p95"] = pct(times, 50), pct(times, 95)
    many = [items[i % len(items)] for i in range(batch)]
    t0 = time.perf_counter()
    grader.grade_many(many)
    out["batch_s"] = time.perf_counter() - t0
    return out


def _candidate(base: str, think: float = 0.0, seed: int = 0) -> list[float]:
    """One simulated candidate: start, clarify, answer, answer the probes, grade. Returns turn latencies (ms).

    `think` is the mean pause before each message (a person reads and types between turns); 0 is a stress test.
    """
    rng = random.Random(seed)
    lat: list[float] = []
    with httpx.Client(base_url=base, timeout=60) as c:
        r = c.post("/api/interviews", json={"question_id": "support-reply-drafts"})
        sid, h = r.json()["id"], {"X-Candidate-Token": r.headers["X-Candidate-Token"]}
        texts = ["How many tickets are handled per month?", ANSWER,
                 "Success is acceptance above 40% with CSAT flat, measured against a holdout group.",
                 "I'd start in shadow mode with five customers, then expand by cohort."]
        for text in texts:
            if think:
                time.sleep(rng.uniform(0.5 * think, 1.5 * think))
            t0 = time.perf_counter()
            r = c.post(f"/api/interviews/{sid}/messages", json={"text": text}, headers=h)
            lat.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
        c.post(f"/api/interviews/{sid}/grade", headers=h).raise_for_status()
    return lat


def _crowd(base: str, concurrency: int, think: float) -> tuple[list[float], float]:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda i: _candidate(base, think, i), range(concurrency)))
    return [x for r in results for x in r], time.perf_counter() - t0


def bench_turns(concurrency: int, think: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        proc = start_server(Path(d), port)
        try:
            wait_ready(port, proc)
            base = f"http://127.0.0.1:{port}"
            for _ in range(3):
                _candidate(base)  # warm-up
            solo = [x for _ in range(5) for x in _candidate(base)]
            paced, paced_wall = _crowd(base, concurrency, think)
            stress, stress_wall = _crowd(base, concurrency, 0.0)
        finally:
            proc.terminate()
            proc.wait()
    return {"solo_p50": pct(solo, 50), "solo_p95": pct(solo, 95), "p50": pct(paced, 50), "p95": pct(paced, 95),
            "turns": len(paced), "wall_s": paced_wall, "stress_p50": pct(stress, 50),
            "stress_p95": pct(stress, 95), "stress_wall_s": stress_wall}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.grading_bench", description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--think", type=float, default=3.0, help="mean seconds a candidate pauses before each message")
    args = ap.parse_args(argv)
    g = bench_grading(args.repeats, args.batch)
    t = bench_turns(args.concurrency, args.think)
    lines = [
        "| embedded grading | answers | p50 ms | p95 ms |", "|---|---|---|---|",
        f"| short (< 100 words) | {g['short_n']:.0f} | {g['short_p50']:.1f} | {g['short_p95']:.1f} |",
        f"| long (150+ words) | {g['long_n']:.0f} | {g['long_p50']:.1f} | {g['long_p95']:.1f} |",
        f"| very long (8 long answers joined, cut to 1,000 words) | {g['very_long_n']:.0f} | "
        f"{g['very_long_p50']:.1f} | {g['very_long_p95']:.1f} |",
        "",
        f"Batch: {args.batch} answers graded in {g['batch_s']:.1f} s ({args.batch / g['batch_s']:.0f} answers/s).",
        "",
        "| interview turns (POST /messages: clarify, answer, 2 probe answers) | p50 ms | p95 ms | p95 vs alone |",
        "|---|---|---|---|",
        f"| one candidate alone | {t['solo_p50']:.0f} | {t['solo_p95']:.0f} | 1.0x |",
        f"| {args.concurrency} concurrent candidates, ~{args.think:g} s between messages | {t['p50']:.0f} | "
        f"{t['p95']:.0f} | {t['p95'] / t['solo_p95']:.1f}x |",
        f"| {args.concurrency} concurrent candidates, no pause (stress) | {t['stress_p50']:.0f} | "
        f"{t['stress_p95']:.0f} | {t['stress_p95'] / t['solo_p95']:.1f}x |",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
