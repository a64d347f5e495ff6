"""Graders for the harness by name (`embedded`, `cosine`, `llm:<model>`, `ensemble:<model>`), built by the app's
composition root (app/compose.py) exactly as the app builds them. Its own module so that the runner and the
worker processes (evals/workers.py) both use it without importing each other."""

from __future__ import annotations

from app.settings import Settings
from evals.grading import BatchGrader


def make_grader(spec: str, settings: Settings) -> BatchGrader:
    """`embedded`, `llm:<litellm model>` (the LLM judge) or `ensemble:<litellm model>` (judge plus embedded), built
    by the composition root (app/compose.py) exactly as the app builds them."""
    from app import compose

    kind, _, model = spec.partition(":")
    if kind == "embedded" and not model:
        return compose.make_embedded_grader(compose.make_embedder(settings))
    if kind == "cosine" and not model:  # the baseline for external benchmarks (evals/cosine.py)
        from evals.cosine import CosineBaseline

        return CosineBaseline(compose.make_embedder(settings))
    if kind in ("llm", "ensemble") and model:
        embedded = compose.make_embedded_grader(compose.make_embedder(settings))
        return compose.make_grader(settings, embedded, model=model, mode="llm" if kind == "llm" else "ensemble")
    raise SystemExit(f"error: unknown grader {spec!r}; use 'embedded', 'cosine', 'llm:<model>' or 'ensemble:<model>'")
