"""Structure of the held-out sets for issue 11: foreign rubrics, feedback coverage and disputes.

These checks are structural only and never call the grader. The labels must stay unseen by anything that is
tuned. The checks catch broken lines: a quote that is not verbatim, a level off its rubric's scale, a foreign
question that duplicates the bank, or a dispute whose human level disagrees with the bank it cites.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.settings import ROOT
from evals.items import split_of

DATASETS = ROOT / "evals" / "datasets"
FOREIGN = DATASETS / "foreign" / "foreign.jsonl"
COVERAGE = DATASETS / "feedback" / "coverage.jsonl"
DISPUTES = DATASETS / "disputes" / "disputes.jsonl"
BAND_OF_SCORE = {0: "below_bar", 1: "below_bar", 2: "approaching", 3: "meets_bar", 4: "strong"}
ADVERSARIAL_KINDS = {"rubric_echo", "criterion_names", "foreign_injection", "polite_injection", "encoded_injection",
                     "zero_width_injection", "homoglyph_injection", "keyword_list", "off_topic"}
DISPUTE_KINDS = {True: {"quote", "pointer"},
                 False: {"names_only", "complaint", "fabricated_quote", "other_criterion", "false_pointer"}}


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _words(text: str) -> int:
    return len(text.split())


@pytest.fixture(scope="module")
def bank() -> dict[str, dict[str, Any]]:
    """The bank's questions by id, read straight from the YAML so that this test does not depend on the loader."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((ROOT / "content" / "questions").glob("*.yaml")):
        for q in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
            out[q["id"]] = q
    return out


@pytest.fixture(scope="module")
def labelled_answers(bank: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str, dict[str, int]]]:
    """answer_id -> (question_id, text, human levels), for exemplars (`qid/exemplar`) and gold answers (`ga-…`)."""
    out = {f"{qid}/{e['id']}": (qid, e["text"], e["levels"]) for qid, q in bank.items() for e in q.get("exemplars", [])}
    for g in _lines(DATASETS / "gold" / "answers.jsonl"):
        out[g["id"]] = (g["question_id"], g["answer"], g["levels"])
    return out


# --- foreign-rubric set -------------------------------------------------------------------------------------------


def test_foreign_set_has_enough_new_questions_and_answers(bank: dict[str, dict[str, Any]]) -> None:
    items = _lines(FOREIGN)
    per_q = Counter(i["question_id"] for i in items)
    assert len(items) >= 72 and len(per_q) >= 12
    assert min(per_q.values()) >= 6
    assert not set(per_q) & set(bank), "a foreign question id is also a bank question id"
    bank_titles = {q["title"].lower() for q in bank.values()}
    assert not {i["question"].lower() for i in items} & bank_titles
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids))
    adversarial_per_q = Counter(i["question_id"] for i in items if i["kind"] != "genuine")
    assert set(adversarial_per_q) == set(per_q), "every question needs at least one adversarial answer"


def test_foreign_rubrics_are_terse_anchor_only_and_on_their_declared_scale() -> None:
    by_q: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in _lines(FOREIGN):
        by_q[item["question_id"]].append(item)
    scales = set()
    for qid, items in by_q.items():
        first = items[0]
        for other in items[1:]:  # one question, one rubric, one reference answer
            for key in ("question", "rubric", "rubric_scale", "reference_answer"):
                assert other[key] == first[key], (qid, key)
        lo, hi = first["rubric_scale"]
        scales.add((lo, hi))
        assert 150 <= _words(first["reference_answer"]) <= 350, qid
        rubric = first["rubric"]
        assert 4 <= len(rubric) <= 6, qid
        assert len({c["id"] for c in rubric}) == len(rubric)
        for crit in rubric:
            assert set(crit) <= {"id", "description", "weight", "levels"}, (qid, crit["id"])  # no cues, no probes
            assert 5 <= _words(crit["description"]) <= 15, (qid, crit["id"])
            levels = crit.get("levels")
            if levels is not None:
                keys = list(range(len(levels))) if isinstance(levels, list) else sorted(int(k) for k in levels)
                assert keys == list(range(lo, hi + 1)), (qid, crit["id"], keys)
    assert len(scales) >= 3, "some rubrics must use scales other than 0-3"


def test_foreign_labels_are_in_range_and_adversarial_items_are_capped() -> None:
    kinds = Counter()
    for item in _lines(FOREIGN):
        required = {"id", "question_id", "question", "rubric", "rubric_scale", "reference_answer", "answer", "score",
                    "scale", "kind", "note"}
        assert required <= set(item), item["id"]
        assert item["scale"] == [0, 4] and item["score"] in range(5), item["id"]
        assert 40 <= _words(item["answer"]) <= 450, item["id"]
        kinds[item["kind"]] += 1
        lo, hi = item["rubric_scale"]
        if item["kind"] == "genuine":
            levels = item["criterion_levels"]
            assert set(levels) == {c["id"] for c in item["rubric"]}, item["id"]
            assert all(isinstance(v, int) and lo <= v <= hi for v in levels.values()), item["id"]
            assert "expected" not in item
        else:
            assert item["kind"] in ADVERSARIAL_KINDS, item["id"]
            assert item["expected"] in ({"max_band": BAND_OF_SCORE[item["score"]]}, {"abstain": True}), item["id"]
    assert kinds["genuine"] >= 60 and len(kinds) >= 8
    assert Counter(i["score"] for i in _lines(FOREIGN) if i["kind"] == "genuine").keys() == set(range(5))


# --- feedback coverage -------------------------------------------------------------------------------------------


def test_coverage_pairs_quote_their_bank_answers_verbatim(
        bank: dict[str, dict[str, Any]], labelled_answers: dict[str, tuple[str, str, dict[str, int]]]) -> None:
    pairs = _lines(COVERAGE)
    assert len(pairs) >= 180
    assert len({p["id"] for p in pairs}) == len(pairs)
    foreign_qids = {i["question_id"] for i in _lines(FOREIGN)}
    for p in pairs:
        required = {"id", "question_id", "split", "criterion_id", "point", "answer_id", "answer", "covered", "note"}
        assert required <= set(p), p.get("id")
        qid, text, _ = labelled_answers[p["answer_id"]]
        assert qid == p["question_id"] and text == p["answer"], p["id"]
        assert p["question_id"] not in foreign_qids
        assert p["split"] == split_of(p["question_id"])
        assert p["criterion_id"] in {c["id"] for c in bank[qid]["rubric"]}, p["id"]
        assert isinstance(p["covered"], bool) and p["point"].strip()
        if p["covered"]:
            assert p["quote"] and p["quote"] in p["answer"], p["id"]
        else:
            assert "quote" not in p, p["id"]
    share = sum(p["covered"] for p in pairs) / len(pairs)
    assert 0.35 <= share <= 0.65


# --- disputes ----------------------------------------------------------------------------------------------------


def test_disputes_are_balanced_and_consistent_with_the_human_levels(
        bank: dict[str, dict[str, Any]], labelled_answers: dict[str, tuple[str, str, dict[str, int]]]) -> None:
    disputes = _lines(DISPUTES)
    assert len(disputes) >= 36
    assert len({d["id"] for d in disputes}) == len(disputes)
    fair = Counter(d["fair"] for d in disputes)
    assert fair[True] == fair[False]
    for d in disputes:
        assert {"id", "question_id", "split", "answer_id", "answer", "criterion_id", "claimed_level", "human_level",
                "reason", "quoted", "fair", "kind", "note"} <= set(d)
        qid, text, levels = labelled_answers[d["answer_id"]]
        assert qid == d["question_id"] and text == d["answer"], d["id"]
        assert d["split"] == split_of(qid)
        assert d["criterion_id"] in {c["id"] for c in bank[qid]["rubric"]}
        assert d["human_level"] == levels[d["criterion_id"]], d["id"]
        assert d["claimed_level"] in range(4) and d["reason"].strip()
        assert d["kind"] in DISPUTE_KINDS[d["fair"]], d["id"]
        if d["fair"]:
            assert d["human_level"] == d["claimed_level"] + 1, d["id"]
        else:
            assert d["human_level"] == d["claimed_level"], d["id"]
        for quote in d["quoted"]:
            assert (quote in d["answer"]) == (d["kind"] != "fabricated_quote"), (d["id"], quote)
        if d["kind"] == "quote":
            assert d["quoted"], d["id"]
