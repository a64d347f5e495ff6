"""The hidden-facts check and curveballs: the validator catches a rubric that needs facts nobody can ask for,
and the built-in bank passes it with 2-3 curveballs per question."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from app.content import PackValidationError, load_bank
from app.content.__main__ import main
from app.content.facts import hidden_facts
from app.content.loader import parse_pack
from app.settings import ROOT

PACK = ROOT / "content" / "questions" / "design-and-tradeoffs.yaml"
QID = "pull-request-ai-reviewer"


def _pr_question() -> dict[str, Any]:
    data = yaml.safe_load(PACK.read_text(encoding="utf-8"))
    return next(q for q in data["questions"] if q["id"] == QID)


def _write(tmp_path: Path, q: dict[str, Any]) -> Path:
    f = tmp_path / "mine.yaml"
    f.write_text(yaml.safe_dump({"pack": {"id": "mine", "title": "Mine"}, "questions": [q]}, sort_keys=False))
    return f


def _without(q: dict[str, Any], topic: str) -> dict[str, Any]:
    return {**q, "context": [f for f in q["context"] if f["topic"] != topic]}


def test_the_issue_example_needs_the_budget_and_the_pushes(tmp_path: Path) -> None:
    # Level 3 of cost reasoning works with $0.40 x 3 pushes against a $1 budget: hide those facts and it fails.
    q = _without(_without(_pr_question(), "model options"), "usage")
    with pytest.raises(PackValidationError) as err:
        load_bank([_write(tmp_path, q)])
    text = "\n".join(err.value.problems)
    assert "question 'pull-request-ai-reviewer': field rubric[model_cost_latency].levels[3]" in text
    assert "'$0.40'" in text and "neither in the prompt nor in its context" in text


def test_the_cli_fails_on_hidden_facts_and_passes_the_bank(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(_write(tmp_path, _without(_pr_question(), "model options")))]) == 1
    assert "needs '$0.40'" in capsys.readouterr().err
    assert main(["validate"]) == 0


def test_derived_and_marked_numbers_are_not_hidden() -> None:
    pack = parse_pack(PACK.read_text(encoding="utf-8"), str(PACK))
    q = next(x for x in pack.questions if x.id == QID)
    assert hidden_facts(q) == []  # $1.20 is 0.40 x 3; the anchors' other numbers are disclosed
    levels = {**q.rubric[0].levels, 3: "Targets about 25% fewer muted bots, e.g. 40% of teams, per 1,000 reviews."}
    marked = q.model_copy(update={"rubric": [q.rubric[0].model_copy(update={"levels": levels}), *q.rubric[1:]]})
    assert hidden_facts(marked) == []
    # A two-digit number is often within 2% of some product of the disclosed ones, so the check is a net for
    # facts with distinctive numbers; a count like 4,700 is not reachable from this question's figures.
    levels = {**q.rubric[0].levels, 3: "Notes that the 4,700 enterprise customers block any cloud model."}
    hidden = q.model_copy(update={"rubric": [q.rubric[0].model_copy(update={"levels": levels}), *q.rubric[1:]]})
    assert [h.number for h in hidden_facts(hidden)] == ["4,700"]


def test_every_bank_question_has_two_or_three_curveballs_of_known_kinds() -> None:
    bank = load_bank([ROOT / "content" / "questions"])
    for q in bank:
        assert 2 <= len(q.curveballs) <= 3, q.id
        assert len({c.text for c in q.curveballs}) == len(q.curveballs), q.id


def test_a_curveball_that_repeats_the_rubric_is_refused(tmp_path: Path) -> None:
    q = _pr_question()
    anchor = q["rubric"][0]["levels"][3]
    q["curveballs"] = [{"kind": "failure", "text": f"What if {anchor}"}, {"kind": "pushback", "text": "Why?"}]
    with pytest.raises(PackValidationError) as err:
        load_bank([_write(tmp_path, q)])
    assert "curveballs[0]: repeats the rubric's wording" in "\n".join(err.value.problems)
