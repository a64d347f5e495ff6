"""The padding head: stored and loaded per embedder, and what it says about real sentences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.grading.generic import GENERIC_FILE, GenericHead, load_generic_head


def test_round_trip_and_probability(tmp_path: Path) -> None:
    path = tmp_path / "head.json"
    GenericHead(np.array([2.0, -2.0], dtype=np.float32), 0.5, "toy", "two sentences").save(path)
    head = load_generic_head("toy", 2, path)
    assert head is not None and head.trained_on == "two sentences"
    p = head.probability(np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32))
    assert p[0] > 0.9 and p[1] < 0.2
    assert head.probability(np.zeros((0, 2), dtype=np.float32)).shape == (0,)


def test_off_for_another_embedder_or_dimension(tmp_path: Path) -> None:
    path = tmp_path / "head.json"
    GenericHead(np.zeros(2, dtype=np.float32), 0.0, "toy").save(path)
    assert load_generic_head("other", 2, path) is None
    assert load_generic_head("toy", 3, path) is None
    assert load_generic_head("toy", 2, tmp_path / "missing.json") is None


# Pairs of padding and substance, written here and in none of the training files. The second pair is in the
# question's own nouns: a platitude about the topic is still padding, a plain statement of fact about it is not.
CASES = [
    (["Honestly, I think the most important thing here is to always keep the user in mind.",
      "There are many ways one could go about this, and each has its merits."],
     ["I'd gate the launch on precision of at least 95% on a 500-message sample labelled by two nurses.",
      "The rules engine keeps eligibility; the model only suggests a reason code that an agent confirms."]),
    (["Getting the triage order right is honestly what this whole product lives or dies on.",
      "Shoppers have to genuinely love the search results, and that matters more than anything."],
     ["We route a message to the top of the queue when a nurse confirms the model's urgent flag.",
      "Nurses told us they ignore any flag they cannot see the reason for."]),
]


@pytest.mark.slow
@pytest.mark.parametrize(("padding", "substance"), CASES, ids=["generic", "on_topic"])
def test_shipped_head_tells_padding_from_substance(real_embedder, padding: list[str],  # type: ignore[no-untyped-def]
                                                   substance: list[str]) -> None:
    head = load_generic_head(real_embedder.name, real_embedder.dim, GENERIC_FILE)
    assert head is not None
    p = head.probability(real_embedder.embed(padding + substance))
    assert (p[:2] >= 0.5).all() and (p[2:] < 0.5).all(), p
