"""`evals run --workers N`: grade across N processes, each with its own grader built from the same spec.

The items are cut into N contiguous shards, graded in spawned processes (fork would copy torch's thread pools
in an undefined state) and put back in order, so a run's record is identical whichever N graded it. Each process
gets an equal share of the CPU threads, so N processes never oversubscribe the cores. LLM judges keep their
bounded per-process concurrency (`--concurrency`), so N processes make at most N x concurrency calls at once.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from app.grading import GradingRubric
from evals.grading import Graded, grade_pairs

Pair = tuple[GradingRubric, str]


def _init(threads: int) -> None:
    import torch

    torch.set_num_threads(max(1, threads))


def _grade_shard(spec: str, pairs: list[Pair], concurrency: int | None) -> list[Graded]:
    from app.settings import get_settings
    from evals.graders import make_grader

    return grade_pairs(make_grader(spec, get_settings()), pairs, concurrency=concurrency, quiet=True)


def grade_in_processes(spec: str, pairs: list[Pair], workers: int, concurrency: int | None, quiet: bool,
                       desc: str) -> list[Graded]:
    """Every pair graded once, in order, by `workers` processes."""
    from tqdm import tqdm

    workers = max(1, min(workers, len(pairs)))
    size = -(-len(pairs) // workers)
    shards = [pairs[i:i + size] for i in range(0, len(pairs), size)]
    threads = (os.cpu_count() or 1) // workers
    out: list[Graded] = []
    with tqdm(total=len(pairs), desc=f"{desc} ({workers} processes)", unit="answer", disable=quiet) as bar, \
            ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                initializer=_init, initargs=(threads,)) as pool:
        futures = [pool.submit(_grade_shard, spec, shard, concurrency) for shard in shards]
        for fut, shard in zip(futures, shards):
            out += fut.result()
            bar.update(len(shard))
    return out
