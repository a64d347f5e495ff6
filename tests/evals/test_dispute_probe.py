"""The dispute probe runs end to end and reports what it upheld in a form a person can check."""

from __future__ import annotations

import re

from app.grading import EmbeddedGrader
from evals.dispute_probe import platitudes, probe


def test_the_probe_disputes_every_criterion_below_the_top_with_each_platitude(real_embedder) -> None:  # type: ignore[no-untyped-def]
    assert len(platitudes()) == 5 and not any(p.startswith("#") for p in platitudes())
    made, upheld = probe(EmbeddedGrader(real_embedder), questions=1, quiet=True)
    assert made >= 5  # at least one criterion of one exemplar, once per platitude
    assert all(re.fullmatch(r"[\w-]+/[\w-]+ \w+ \d->\d: .+", u) for u in upheld), upheld
