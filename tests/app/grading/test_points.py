"""Where a criterion's points come from: every criterion gets reference sentences, even a terse one."""

from __future__ import annotations

import numpy as np
import pytest

from app.grading import EmbeddedGrader, from_inline
from app.grading.points import MIN_REF_POINTS, assign_reference, describes_answer


def _unit(*rows: list[float]) -> np.ndarray:
    m = np.array(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_each_criterion_takes_its_closest_reference_sentences_even_when_another_serves_them_better() -> None:
    crit = [_unit([1, 0, 0]), _unit([0, 1, 0]), _unit([0.2, 0.2, 1])]  # the third is like no sentence much
    ref = _unit([1, 0.1, 0], [0.9, 0.2, 0.1], [0.1, 1, 0], [0.2, 0.9, 0.15])
    served = assign_reference(crit, ref)
    assert served[0][:2] == [0, 1] and {2, 3} <= set(served[1])
    assert len(served[2]) == MIN_REF_POINTS  # borrowed: the sentences most like it, though others own them
    assert all(len(s) >= MIN_REF_POINTS for s in served)


def test_no_reference_means_no_reference_points() -> None:
    assert assign_reference([_unit([1, 0])], np.zeros((0, 2), dtype=np.float32)) == [[]]


def test_a_terse_criterion_can_be_met_by_an_answer_that_does_what_the_reference_does(grader: EmbeddedGrader) -> None:
    """A five-word description matches few sentences; the reference's closest sentences give it reachable points."""
    rubric = from_inline(
        "Support chat could move to a model that resolves 6 more points of chats but is slower and costs four times "
        "as much. Should we switch?",
        [{"id": "value", "description": "Weighs resolution gain against model spend in money"},
         {"id": "speed", "description": "Judges the extra delay against when users ask"},
         {"id": "call", "description": "Clear recommendation with conditions to revisit"}],
        "Six more points of resolution on 300,000 chats a month is 18,000 fewer agent contacts, about $90,000 at "
        "$5 each, against roughly $20,000 more model spend, so the money favours switching. The extra 2.5 seconds "
        "matters most for people asking mid-task, so stream the first words and keep the small model for simple "
        "questions. My recommendation is to switch for the complex questions only, and to revisit the decision if "
        "resolution gains fall under three points or the price of the large model changes.")
    strong = ("Run the numbers: 6 points on 300,000 monthly chats is 18,000 contacts that no longer reach an agent, "
              "worth around $90,000 at $5 a contact, while the bigger model adds about $20,000 a month. Users asking "
              "while they work will feel 2.5 extra seconds, so I'd stream the reply. I recommend switching only for "
              "complex questions and revisiting the choice if the resolution gain drops below three points.")
    weak = "Bigger models are better, so I'd switch to the new one and see how customers like it."
    card_strong, card_weak = grader.grade(rubric, strong), grader.grade(rubric, weak)
    call_strong = next(c for c in card_strong.criteria if c.id == "call")
    call_weak = next(c for c in card_weak.criteria if c.id == "call")
    assert call_strong.level >= 2 and call_strong.evidence
    assert call_weak.level < call_strong.level


@pytest.mark.parametrize(("reference", "describes"), [
    ("A strong story sets up the product, its users and the agreed bar.", True),
    ("Good answers should name the error that costs most.", True),
    ("The ideal response owns the miss before proposing a fix.", True),
    ("A model that blocks nothing is 99.5% accurate, so accuracy is useless here.", False),
    ("Capacity is 10 x 20 = about 200 engineer-weeks; a strong answer would see that.", False),
    (None, False),
])
def test_a_reference_that_describes_an_answer_is_told_from_one_that_is_an_answer(reference: str | None,
                                                                                 describes: bool) -> None:
    assert describes_answer(reference) is describes


def test_a_described_answer_does_not_set_the_top_of_the_scale(grader: EmbeddedGrader) -> None:
    """Its sentences stay points, but the top is the description's, as for a rubric with no reference: a real story
    never sits as near the criteria as a description written in the rubric's own words."""
    criteria = [{"id": "ownership", "description": "Owns their part in the gap plainly, without blaming others"},
                {"id": "reset", "description": "Resets expectations with honest numbers from real traffic"}]
    body = ("owns the candidate's part plainly: the demo used hand-picked inputs. It then resets expectations with "
            "the figure measured on a random sample of real traffic.")
    question = "Tell me about a time a demo you ran set expectations your product could not meet."
    described = grader.prepare(from_inline(question, criteria, "A strong answer " + body))
    given = grader.prepare(from_inline(question, criteria, "I owned the " + body))
    without = grader.prepare(from_inline(question, criteria, None))
    assert [s.desc_top for s in described.scales] == [s.desc_top for s in without.scales]
    assert [s.desc_top for s in given.scales] != [s.desc_top for s in without.scales]
    assert any(p.source == "reference" for cp in described.points.criteria for p in cp.points)
