"""The short-answer pair scorer: its features are deterministic and its shipped weights cover every feature."""

from __future__ import annotations

import numpy as np

from app.grading.pair import PAIR_FEATURES, PAIR_FILE, load_pair_scorer, pair_features

REF = "The bulb is not in a closed path with the battery, so there is no current."
QUESTION = "Why does bulb A not light?"


def _vecs(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, 8)).astype(np.float32)
    return np.asarray(v / np.linalg.norm(v, axis=1, keepdims=True))


def _features(answer: str, same_vecs: bool = True) -> dict[str, float]:
    ref_vecs = _vecs(1, 0)
    return pair_features(answer, ref_vecs if same_vecs else _vecs(1, 1), REF, ref_vecs, QUESTION)


def test_every_feature_is_computed_and_repeatable() -> None:
    f = _features("Bulb A is not in a closed path with the battery.")
    assert set(f) == set(PAIR_FEATURES)
    assert f == _features("Bulb A is not in a closed path with the battery.")


def test_no_vectors_gives_zeros() -> None:
    f = pair_features("anything", np.zeros((0, 8)), REF, _vecs(1, 0), QUESTION)
    assert f == dict.fromkeys(PAIR_FEATURES, 0.0)


def test_negation_on_one_side_only_is_seen() -> None:
    assert _features("The bulb is in a closed path with the battery.")["neg_mismatch"] == 1.0
    both = _features("It isn't in a closed path, so no current flows.")
    assert both["neg_mismatch"] == 0.0 and both["negation"] == 1.0


def test_numbers_must_match_the_reference() -> None:
    ref_vecs = _vecs(1, 0)
    ref = "The voltage is 1.5 volts."
    right = pair_features("It reads 1.5 volts.", ref_vecs, ref, ref_vecs, "What is the voltage?")
    wrong = pair_features("It reads 0 volts.", ref_vecs, ref, ref_vecs, "What is the voltage?")
    assert right["number_missing"] == 0.0 and right["number_extra"] == 0.0
    assert wrong["number_missing"] == 1.0 and wrong["number_extra"] == 1.0


def test_novel_precision_counts_what_the_answer_adds_beyond_the_question() -> None:
    on_point = _features("It is not in a closed path with the battery.")
    padded = _features("Bulb A does not light because of reasons I cannot explain today.")
    assert on_point["novel_precision"] > padded["novel_precision"]
    assert on_point["novel_missing"] < padded["novel_missing"]


def test_shipped_weights_cover_every_feature_and_rank_a_match_above_a_miss() -> None:
    scorer = load_pair_scorer(PAIR_FILE)
    assert scorer is not None and set(scorer.weights) == set(PAIR_FEATURES)
    match = scorer.probability(_features("The bulb is not in a closed path with the battery, so no current flows."))
    miss = scorer.probability(_features("The battery is dead.", same_vecs=False))
    assert 0.0 < miss < match < 1.0
