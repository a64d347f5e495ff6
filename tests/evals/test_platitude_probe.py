"""The platitude probe runs end to end and reports what it found in a form a person can check."""

from __future__ import annotations

import re

from app.grading import EmbeddedGrader
from evals.platitude_probe import platitudes, probe


def test_the_probe_grades_and_disputes_each_platitude(real_embedder) -> None:  # type: ignore[no-untyped-def]
    assert len(platitudes()) == 5 and not any(p.startswith("#") for p in platitudes())
    found = probe(EmbeddedGrader(real_embedder), questions=1, disputes=True, quiet=True)
    assert found.graded >= 5  # at least one exemplar, once per platitude
    assert found.disputes > 0
    assert 0 <= found.scores_raised <= found.graded and found.largest_rise >= 0
    assert all(re.fullmatch(r"[\w-]+/[\w-]+ \w+ \d->\d: .+", u) for u in found.upheld), found.upheld


def test_neither_probe_set_is_in_the_padding_heads_training_data() -> None:
    """The probe asks whether the padding head generalises, so its sentences must not be training data."""
    from evals.platitude_probe import SET_B
    from evals.train_generic import on_topic, padding

    trained = set(padding()) | {t for t, _ in on_topic()}
    probes = set(platitudes()) | set(platitudes(SET_B))
    assert len(platitudes(SET_B)) == 10
    assert not probes & trained
