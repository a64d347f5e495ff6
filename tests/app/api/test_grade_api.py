"""POST /api/grade: stateless grading with a bank question, an inline rubric or a reference answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.runtime import build_runtime, wait_ready
from app.settings import Settings
from tests.fakes import HashEmbedder, MemoryStore

ANSWER = "I would define precision and recall targets on a labelled set and watch drift after launch."


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    rt = build_runtime(settings)
    with TestClient(create_app(settings, rt, embedder=HashEmbedder(), store=MemoryStore())) as c:
        assert wait_ready(rt, timeout=30)
        yield c


def test_grade_by_question_id(client: TestClient) -> None:
    r = client.post("/api/grade", json={"question_id": "support-reply-drafts", "answer": ANSWER})
    assert r.status_code == 200 and len(r.json()["criteria"]) == 5


def test_grade_with_inline_rubric_and_with_reference_only(client: TestClient) -> None:
    r = client.post("/api/grade", json={"question": "How would you evaluate a fraud model?", "answer": ANSWER,
                                        "rubric": [{"id": "metrics", "description": "precision and recall targets"},
                                                   {"id": "drift", "description": "monitors drift", "weight": 2}]})
    assert r.status_code == 200 and [c["id"] for c in r.json()["criteria"]] == ["metrics", "drift"]
    r = client.post("/api/grade", json={"question": "How would you evaluate a fraud model?", "answer": ANSWER,
                                        "reference_answer": "Set precision and recall targets; monitor drift."})
    assert r.status_code == 200 and r.json()["criteria"][0]["id"] == "reference"


def test_a_rubric_written_for_people_is_graded_as_written(client: TestClient) -> None:
    """No ids, anchors keyed by quality words or given as {level, description}, a name standing in for a description."""
    rubric = [{"name": "Metrics", "description": "precision and recall targets",
               "levels": {"Poor": "no metric", "Excellent": "targets per segment", "Good": "one target"}},
              {"criterion": "Monitors drift after launch",
               "levels": [{"level": 1, "description": "not mentioned"},
                          {"level": 5, "description": "alerts and owner"}]}]
    r = client.post("/api/grade", json={"question": "How would you evaluate a fraud model?", "answer": ANSWER,
                                        "rubric": rubric})
    assert r.status_code == 200, r.text
    crits = r.json()["criteria"]
    assert [c["id"] for c in crits] == ["metrics", "monitors_drift_after_launch"]
    assert [c["scale"] for c in crits] == [[0, 2], [1, 5]]


def test_a_rubric_as_plain_strings_with_numbered_level_keys(client: TestClient) -> None:
    """Criteria as strings, anchors keyed "Level 1".."Level 3" or on a gapped 0/50/100 scale, a weight as "30%"."""
    rubric = ["Sets precision and recall targets",
              {"desc": "Monitors drift after launch", "weight": "30%",
               "levels": {"Level 1": "not mentioned", "Level 2": "a dashboard", "Level 3": "alerts and an owner"}},
              {"text": "Plans a rollback", "levels": {"0": "none", "50": "named", "100": "trigger and owner"},
               "notes": "from the 2025 loop", "examples": [{"answer": "...", "score": 2}]}]
    r = client.post("/api/grade", json={"question": "How would you evaluate a fraud model?", "answer": ANSWER,
                                        "rubric": rubric})
    assert r.status_code == 200, r.text
    crits = r.json()["criteria"]
    assert [c["id"] for c in crits] == ["sets_precision_and_recall_targets", "monitors_drift_after_launch",
                                        "plans_a_rollback"]
    assert [c["weight"] for c in crits] == [1.0, 30.0, 1.0]
    assert crits[1]["scale"] == [1, 3] and crits[2]["scale"] == [0, 100]
    assert crits[2]["scale_level"] in (0, 50, 100)  # only a level the rubric wrote is ever reported


def test_a_rubric_keyed_by_criterion_name(client: TestClient) -> None:
    rubric = {"Metrics": "Sets precision and recall targets",
              "Drift": {"description": "Monitors drift after launch", "weight": 2}}
    r = client.post("/api/grade", json={"question": "How would you evaluate a fraud model?", "answer": ANSWER,
                                        "rubric": rubric})
    assert r.status_code == 200, r.text
    assert [(c["id"], c["name"], c["weight"]) for c in r.json()["criteria"]] == [("metrics", "Metrics", 1.0),
                                                                                  ("drift", "Drift", 2.0)]
    r = client.post("/api/grade", json={"question": "Q", "answer": ANSWER, "rubric": {"Metrics": 3}})
    assert r.status_code == 422 and "Metrics" in r.json()["error"]["message"]


def test_a_model_answer_inside_the_rubric_object_is_the_reference(client: TestClient) -> None:
    """{"criteria": [...], "reference_answer": ...} once lost the answer and graded on the rubric's wording alone."""
    criteria = [{"id": "metrics", "description": "precision and recall targets"},
                {"id": "drift", "description": "monitors drift after launch"}]
    ref = "Set precision and recall targets on a labelled set, then alert on drift after launch."
    base = {"question": "How would you evaluate a fraud model?", "answer": ANSWER}
    inside = client.post("/api/grade", json={**base, "rubric": {"criteria": criteria, "reference_answer": ref}})
    beside = client.post("/api/grade", json={**base, "rubric": criteria, "reference_answer": ref})
    alone = client.post("/api/grade", json={**base, "rubric": criteria})
    assert inside.status_code == beside.status_code == alone.status_code == 200, inside.text
    assert inside.json()["grader"]["rubric_hash"] == beside.json()["grader"]["rubric_hash"]
    assert inside.json()["grader"]["rubric_hash"] != alone.json()["grader"]["rubric_hash"]
    assert inside.json()["overall"] == beside.json()["overall"]
    assert not any("without a reference answer" in f for f in inside.json()["flags"])
    clash = client.post("/api/grade", json={**base, "reference_answer": "Ship it.",
                                            "rubric": {"criteria": criteria, "reference_answer": ref}})
    assert clash.status_code == 422 and "give one reference answer" in clash.json()["error"]["message"]


def test_keys_beside_wrapped_criteria_are_named_back_not_dropped_silently(client: TestClient) -> None:
    rubric = {"title": "Fraud model loop", "criteria": [{"id": "metrics", "description": "precision and recall"}],
              "scale": "1-5", "pass_mark": 70, "notes": "for people"}
    r = client.post("/api/grade", json={"question": "How would you evaluate a fraud model?", "answer": ANSWER,
                                        "rubric": rubric})
    assert r.status_code == 200, r.text
    [warning] = r.json()["rubric_warnings"]
    assert warning.startswith("rubric: 'pass_mark', 'scale' beside the criteria not read")  # title, notes: notes
    r = client.post("/api/grade", json={"question": "Q?", "answer": ANSWER, "rubric": {"Metrics": "Sets targets"}})
    assert r.status_code == 200 and not r.json().get("rubric_warnings")  # keyed by name: every key is a criterion


def test_a_markdown_table_pasted_as_the_rubric(client: TestClient) -> None:
    table = ("| Criterion | Description | Weight |\n|---|---|---|\n"
             "| Metrics | Sets precision and recall targets | 30% |\n| Drift | Monitors drift after launch | 70% |")
    r = client.post("/api/grade", json={"question": "How would you evaluate a fraud model?", "answer": ANSWER,
                                        "rubric": table})
    assert r.status_code == 200, r.text
    assert [(c["name"], c["weight"]) for c in r.json()["criteria"]] == [("Metrics", 30.0), ("Drift", 70.0)]


def test_keys_the_grader_does_not_read_are_accepted_and_named_back(client: TestClient) -> None:
    rubric = [{"dimension": "Metrics", "definition": "Names a success metric with a target",
               "scale": "1-3", "descriptors": {"1": "No metric", "2": "A metric", "3": "A metric with a target"},
               "owner": "PM team"},
              {"name": "Drift", "description": "Plans for drift", "weighting": 2}]
    r = client.post("/api/grade", json={"answer": ANSWER, "question": "Q", "rubric": rubric})
    assert r.status_code == 200, r.text
    body = r.json()
    crit = {c["id"]: c for c in body["criteria"]}
    assert crit["metrics"]["name"] == "Metrics" and crit["metrics"]["scale"] == [1, 3]
    assert crit["drift"]["weight"] == 2.0
    # "scale": "1-3" is a note, not anchors, and "owner" is not a field: both are named back, nothing else is
    assert body["rubric_warnings"] == ["rubric[0]: 'owner', 'scale' not read (the README lists the fields and the "
                                       "other names each may take)"]
    r = client.post("/api/grade", json={"answer": ANSWER, "question": "Q",
                                        "rubric": "1. Names a success metric\n2. Plans for drift\n"})
    assert r.status_code == 200 and r.json()["rubric_warnings"] is None
    assert [c["name"] for c in r.json()["criteria"]] == ["Names a success metric", "Plans for drift"]


@pytest.mark.parametrize("body,status,message", [
    ({"answer": ANSWER}, 422, "give question_id"),
    ({"answer": ANSWER, "question": "Q"}, 422, "give a rubric"),
    ({"answer": ANSWER, "question": "Q", "rubric": [{"id": "a"}]}, 422, "rubric[0].description"),
    ({"answer": ANSWER, "question": "Q", "rubric": 42}, 422, "rubric"),
    ({"answer": ANSWER, "question": "Q", "rubric": ["   "]}, 422, "must not be empty"),
    ({"answer": ANSWER, "question": "Q", "rubric": [{"descripton": "d e"}]}, 422,
     "description: Field required; unknown keys 'descripton' were not read"),
    ({"answer": "", "question_id": "support-reply-drafts"}, 422, "must not be empty"),
    ({"answer": "x" * 20_001, "question_id": "support-reply-drafts"}, 422, "limit is 20000"),
    ({"answer": ANSWER, "question_id": "nope"}, 404, "no question"),
])
def test_bad_grade_requests(client: TestClient, body: dict, status: int, message: str) -> None:
    r = client.post("/api/grade", json=body)
    assert r.status_code == status and message in r.json()["error"]["message"]


INLINE = {"question": "How would you evaluate a fraud model?", "answer": ANSWER,
          "rubric": [{"id": "metrics", "description": "precision and recall targets"},
                     {"id": "drift", "description": "monitors drift", "weight": 2}]}


def test_a_stateless_grade_can_be_disputed(client: TestClient) -> None:
    """POST /api/grade/disputes: graded again, decided, and answered with the card after the decision."""
    card = client.post("/api/grade", json=INLINE).json()
    body = {**INLINE, "criterion_id": "drift", "reason": f'I wrote "{ANSWER}"'}
    r = client.post("/api/grade/disputes", json=body)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["criterion_id"] == "drift" and d["decision"] in ("upheld", "rejected") and d["explanation"]
    assert d["old_level"] == next(c["level"] for c in card["criteria"] if c["id"] == "drift")
    assert [c["id"] for c in d["scorecard"]["criteria"]] == ["metrics", "drift"]
    # Earlier disputes ride along and are decided again, in order.
    r = client.post("/api/grade/disputes", json={**body, "earlier": [{"criterion_id": "metrics", "reason": "x y"}]})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("change,status,needle", [
    ({"criterion_id": "nope"}, 404, "has no criterion 'nope'"),
    ({"reason": "   "}, 422, "reason"),
    ({"earlier": [{"criterion_id": "drift", "reason": "again"}] * 21}, 422, "earlier"),
    ({"answer": "ok"}, 409, "not graded"),
])
def test_a_dispute_that_cannot_be_decided_says_why(client: TestClient, change: dict[str, object], status: int,
                                                   needle: str) -> None:
    r = client.post("/api/grade/disputes", json={**INLINE, "criterion_id": "drift", "reason": "I did", **change})
    assert r.status_code == status, r.text
    assert needle in r.json()["error"]["message"]
