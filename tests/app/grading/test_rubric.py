"""Rubrics from bank questions and from inline input (POST /api/grade, eval datasets)."""

from __future__ import annotations

import re

import pytest

from app.content import load_bank
from app.grading import InvalidRubric, from_inline, from_question
from app.grading.inline import lift_reference
from app.settings import ROOT


def test_from_question_keeps_weights_cues_and_probe() -> None:
    q = load_bank([ROOT / "content" / "questions"]).get("support-reply-drafts")
    assert q is not None
    r = from_question(q)
    assert r.weights == {c.id: c.weight for c in q.rubric}
    assert all(c.cues and c.probe and c.guide_sections for c in r.criteria)
    assert r.content_hash() == from_question(q).content_hash()


def test_inline_rubric_has_no_cues_and_generic_levels_when_none_given() -> None:
    r = from_inline("Design X", [{"id": "metrics", "description": "defines success metrics, a baseline; a target",
                                  "weight": 2}])
    assert r.criteria[0].weight == 2 and r.criteria[0].cues == []
    assert sorted(r.criteria[0].levels) == [0, 1, 2, 3]


@pytest.mark.parametrize("levels,expected", [
    (["none", "weak", "some", "good", "excellent"], ["none", "weak", "good", "excellent"]),  # 0-4
    ({"1": "poor", "2": "fair", "3": "good", "4": "great"}, ["poor", "fair", "good", "great"]),  # 1-4
    (["absent", "partial", "full"], ["absent", "partial", "partial", "full"]),  # 0-2
    ({"1": "a", "2": "b", "3": "c", "4": "d", "5": "e"}, ["a", "b", "d", "e"]),  # 1-5
])
def test_anchors_on_other_scales_map_onto_0_3_by_position(levels, expected) -> None:  # type: ignore[no-untyped-def]
    r = from_inline("Q", [{"id": "a", "description": "does a thing well", "levels": levels}])
    assert [r.criteria[0].levels[k] for k in range(4)] == expected


@pytest.mark.parametrize("levels,scale,own", [
    (["none", "weak", "some", "good", "excellent"], (0, 4), [0, 1, 3, 4]),
    ({"1": "a", "2": "b", "3": "c", "4": "d", "5": "e"}, (1, 5), [1, 2, 4, 5]),
    (["absent", "partial", "full"], (0, 2), [0, 1, 1, 2]),
    (["w", "x", "y", "z"], None, [0, 1, 2, 3]),
])
def test_levels_are_also_reported_on_the_rubrics_own_scale(levels, scale, own) -> None:  # type: ignore[no-untyped-def]
    c = from_inline("Q", [{"id": "a", "description": "does a thing well", "levels": levels}]).criteria[0]
    assert c.scale == scale
    assert [c.own_level(k) for k in range(4)] == own
    # The reported level names the anchor the grader level took.
    assert all(c.levels[k] == (levels[o] if isinstance(levels, list) else levels[str(o)])
               for k, o in zip(range(4), own))


def test_a_rubric_on_the_0_3_scale_keeps_its_hash() -> None:
    # Recording scales must not change the hash (and so the fingerprints and caches) of 0-3 rubrics.
    r = from_inline("Q", [{"id": "a", "description": "d e", "levels": ["w", "x", "y", "z"]}])
    assert r.criteria[0].scale is None
    assert r.content_hash() == "439626a729f28b59"  # computed by the code before scales were recorded
    other = from_inline("Q", [{"id": "a", "description": "d e", "levels": {"1": "w", "2": "x", "3": "y", "4": "z"}}])
    assert other.content_hash() != r.content_hash()  # the same anchors on a 1-4 scale are another rubric


def test_inline_aliases_anchors_and_title() -> None:
    r = from_inline("Q", [{"id": "a", "title": "Metrics", "description": "d e", "anchors": ["w", "x", "y", "z"]}])
    assert r.criteria[0].name == "Metrics" and r.criteria[0].levels[3] == "z"


@pytest.mark.parametrize("levels,expected,scale", [
    ({"Poor": "p", "Excellent": "e", "Fair": "f", "Good": "g"}, ["p", "f", "g", "e"], None),  # any order
    ({"Needs improvement": "n", "Meets expectations": "m", "Exceeds expectations": "x"}, ["n", "m", "m", "x"], (0, 2)),
    ([{"level": 1, "description": "one"}, {"score": 2, "anchor": "two"}, {"level": 3, "text": "three"}],
     ["one", "two", "two", "three"], (1, 3)),
    ({"1": "low", "3": "mid", "5": "high"}, ["low", "mid", "mid", "high"], (1, 5)),  # a scale written with gaps
    ({str(k): f"a{k}" for k in range(11)}, ["a0", "a3", "a7", "a10"], (0, 10)),
])
def test_anchors_keyed_by_words_objects_or_gapped_numbers(levels, expected, scale) -> None:  # type: ignore[no-untyped-def]
    c = from_inline("Q", [{"id": "a", "description": "does a thing well", "levels": levels}]).criteria[0]
    assert [c.levels[k] for k in range(4)] == expected
    assert c.scale == scale


@pytest.mark.parametrize("levels,expected,scale,own", [
    ({"level_1": "p", "level_2": "f", "level_3": "g"}, ["p", "f", "f", "g"], (1, 3), [1, 2, 2, 3]),
    ({"L0": "n", "L1": "p", "L2": "f", "L3": "g"}, ["n", "p", "f", "g"], None, [0, 1, 2, 3]),
    ({"3 - Excellent": "g", "1 - Poor": "p", "2 - Good": "f"}, ["p", "f", "f", "g"], (1, 3), [1, 2, 2, 3]),
    ({"Excellent (4)": "g", "Poor (1)": "p"}, ["p", "p", "g", "g"], (1, 4), [1, 1, 4, 4]),  # two anchors, gapped
    ({"0.0": "n", "0.5": "h", "1.0": "f"}, ["n", "h", "h", "f"], (0, 2), [0, 1, 1, 2]),  # fractions by rank
    ({"0": "n", "50": "h", "100": "f"}, ["n", "h", "h", "f"], (0, 100), [0, 50, 50, 100]),  # only written levels
    ({"1": "low", "3": "mid", "5": "high"}, ["low", "mid", "mid", "high"], (1, 5), [1, 3, 3, 5]),
    ([{"name": "Poor", "description": "p"}, {"name": "Good", "description": "g"}], ["p", "p", "g", "g"], (0, 1),
     [0, 0, 1, 1]),  # objects with no level count in list order
    (["1 - p", "2 - f", "3: g"], ["p", "f", "f", "g"], (1, 3), [1, 2, 2, 3]),  # texts each led by its number
    ("Poor: p. Good: f. Excellent: g.", ["p", "f", "f", "g"], (0, 2), [0, 1, 1, 2]),  # one text by quality word
])
def test_level_keys_that_carry_a_number_and_gapped_scales(levels, expected, scale, own) -> None:  # type: ignore[no-untyped-def]
    """The scale a person wrote, reported back with the numbers they wrote: a reported level always has an anchor."""
    c = from_inline("Q", [{"id": "a", "description": "does a thing well", "levels": levels}]).criteria[0]
    assert [c.levels[k] for k in range(4)] == expected
    assert c.scale == scale
    assert [c.own_level(k) for k in range(4)] == own


def test_a_rubric_may_be_a_list_of_strings_with_weights_written_as_text() -> None:
    r = from_inline("Q", ["Defines the success metric", "Plans a controlled test", "Plans a controlled test",
                          {"desc": "Names the rollback trigger", "weight": "30%"}])
    assert [c.id for c in r.criteria] == ["defines_the_success_metric", "plans_a_controlled_test",
                                          "plans_a_controlled_test_1", "names_the_rollback_trigger"]
    assert r.criteria[0].description == "Defines the success metric" and r.criteria[0].weight == 1.0
    assert r.criteria[3].description == "Names the rollback trigger" and r.criteria[3].weight == 30.0


def test_other_names_for_fields_and_notes_for_people() -> None:
    r = from_inline("Q", [{"criterion_id": "m", "criterion_name": "Metrics", "details": "Sets targets",
                           "max_points": 10, "notes": "calibrated in 2025", "examples": [{"answer": "x", "score": 1}]},
                          {"key": "d", "title": "Drift", "points": 5, "anchors": ["none", "some", "all"]}])
    assert [(c.id, c.name, c.description, c.weight) for c in r.criteria] == [
        ("m", "Metrics", "Sets targets", 10.0), ("d", "Drift", "Drift", 5.0)]
    assert r.criteria[1].scale == (0, 2)
    rated = from_inline("Q", [{"name": "M", "rating_scale": {"1": "weak", "5": "strong"}},
                              {"name": "D", "performance_levels": ["none", "some", "all"], "rating_scale": "1-3"}])
    assert [c.scale for c in rated.criteria] == [(1, 5), (0, 2)]  # a range ("1-3") is a note, not anchors
    both = from_inline("Q", [{"id": "m", "description": "Sets targets", "weight": 2, "points": 10}])
    assert both.criteria[0].weight == 2.0  # the field itself wins over its other name


def test_a_rubric_may_be_an_object_keyed_by_criterion_name() -> None:
    named = {"Metrics": "Sets precision and recall targets",
             "Drift": {"description": "Monitors drift after launch", "weight": 2, "levels": ["none", "some", "all"]}}
    for rubric in (named, {"criteria": named}, {"criteria": [named["Metrics"]]}):
        r = from_inline("Q", rubric)
        assert r.criteria[0].description == "Sets precision and recall targets"
    r = from_inline("Q", named)
    assert [(c.id, c.name, c.weight) for c in r.criteria] == [("metrics", "Metrics", 1.0), ("drift", "Drift", 2.0)]
    assert r.criteria[1].scale == (0, 2)
    with pytest.raises(InvalidRubric, match="must be its description or an object"):
        from_inline("Q", {"Metrics": 3})
    with pytest.raises(InvalidRubric, match="a list of criteria"):
        from_inline("Q", 3)  # type: ignore[arg-type]
    checklist = from_inline("Q", "- Sets targets\n\n2) Monitors drift")
    assert [c.description for c in checklist.criteria] == ["Sets targets", "Monitors drift"]
    listed = from_inline("Q", ["- Sets targets", "2. Monitors drift"])
    assert [(c.id, c.description) for c in listed.criteria] == [("sets_targets", "Sets targets"),
                                                                ("monitors_drift", "Monitors drift")]


def test_criteria_without_ids_take_one_from_their_name_and_a_name_alone_describes() -> None:
    r = from_inline("Q", [{"name": "Frames the user problem", "description": "Names users and a goal"},
                          {"criterion": "Success metrics"}, {"description": "Success metrics"}])
    assert [c.id for c in r.criteria] == ["frames_the_user_problem", "success_metrics", "success_metrics_1"]
    assert r.criteria[1].description == "Success metrics"
    with pytest.raises(InvalidRubric, match="unique"):  # ids the author wrote are never renamed
        from_inline("Q", [{"id": "a", "description": "d e"}, {"id": "a", "description": "f g"}])
    with pytest.raises(InvalidRubric, match="unique"):  # under any of their names
        from_inline("Q", [{"criterion_id": "a", "description": "d e"}, {"key": "a", "description": "f g"}])


def test_reference_answer_alone_makes_one_criterion() -> None:
    r = from_inline("What is a stack?", None, "A stack is last in, first out. Push adds and pop removes the top.")
    assert [c.id for c in r.criteria] == ["reference"] and len(r.criteria[0].cues) == 2


@pytest.mark.parametrize("item,weight,scale,anchors", [
    ({"levels": [{"score": 1, "descriptor": "none"}, {"score": 3, "descriptor": "full"}]}, 1.0, (1, 3),
     ["none", "none", "full", "full"]),
    ({"levels": {"0-1 points": "vague", "2-3 points": "ok", "4-5 points": "great"}}, 1.0, (0, 2),
     ["vague", "ok", "ok", "great"]),
    ({"levels": "0 = missing; 1 = partial; 2 = complete"}, 1.0, (0, 2), ["missing", "partial", "partial", "complete"]),
    ({"levels": "1: poor\n2: ok\n3: great"}, 1.0, (1, 3), ["poor", "ok", "ok", "great"]),
    ({"levels": [[0, "none"], [1, "some"], [2, "all"]]}, 1.0, (0, 2), ["none", "some", "some", "all"]),
    ({"levels": {"1": "poor", "2": "", "3": "great"}}, 1.0, (1, 3), ["poor", "poor", "great", "great"]),
    ({"weight": "high"}, 3.0, None, None),
    ({"weight": "Low priority"}, 1.0, None, None),
    ({"weight": "25 points"}, 25.0, None, None),
    ({"weight": "x2"}, 2.0, None, None),
    ({"weight": "1/4"}, 25.0, None, None),
])
def test_forms_of_anchors_and_weights_people_write(item, weight, scale, anchors) -> None:  # type: ignore[no-untyped-def]
    c = from_inline("Q", [{"name": "Metrics", "description": "Names a metric", **item}]).criteria[0]
    assert c.weight == weight and c.scale == scale
    assert anchors is None or [c.levels[t] for t in range(4)] == anchors


def test_criteria_under_a_wrapper_key_ids_as_numbers_and_descriptions_as_lists() -> None:
    r = from_inline("Q", {"title": "AI PM rubric", "dimensions": [
        {"id": 1, "dimension": "Metrics", "definition": ["Names a metric", "sets a target"]}, "Plans for drift"]})
    assert [(c.id, c.name, c.description) for c in r.criteria][0] == ("1", "Metrics", "Names a metric; sets a target")
    assert len(r.criteria) == 2


def test_criteria_keyed_by_name_under_a_wrapper_key() -> None:
    r = from_inline("Q", {"title": "AI PM rubric", "dimensions": {
        "Metrics": "Names a metric with a target", "Drift": {"description": "Plans for drift", "weight": 2}}})
    assert [(c.name, c.description, c.weight) for c in r.criteria] == [
        ("Metrics", "Names a metric with a target", 1.0), ("Drift", "Plans for drift", 2.0)]
    # A criterion named like a wrapper key, holding its own fields, is still one criterion.
    (c,) = from_inline("Q", {"rubric": {"description": "Overall quality", "levels": ["poor", "ok", "good"]}}).criteria
    assert (c.name, c.description) == ("rubric", "Overall quality")


@pytest.mark.parametrize("question,rubric,ref,message", [
    ("", [{"id": "a", "description": "x y"}], None, "question must not be empty"),
    ("Q", None, None, "give a rubric, a reference_answer, or both"),
    ("Q", [{"id": "a"}], None, "rubric[0].description"),
    ("Q", [{"id": "a", "description": "d e", "weight": -1}], None, "rubric[0].weight"),
    ("Q", [{"id": "a", "description": "d e", "levels": ["x"]}], None, "levels must describe 2 or more levels"),
    ("Q", [{"id": "a", "description": "d e", "levels": "see the handbook"}], None, "levels written as one text"),
    ("Q", [{"id": "a", "description": "d e", "levels": {"0": "x", "200": "y"}}], None, "no wider than 0-100"),
    ("Q", [{"id": "a", "description": "d e", "levels": {"meh": "x", "good": "y"}}], None, "level 'meh' is neither"),
    ("Q", [{"id": "a", "description": "d e", "levels": [{"level": 1, "text": "x"}, {"text": "y"}]}], None,
     "or none of them does"),
    ("Q", [{"id": "a", "description": "d e", "levels": [{"level": 1}, {"level": 2}]}], None, "needs a description"),
    ("Q", [{"id": "a", "description": "d e", "levels": {"0-1 and 2": "x", "3": "y"}}], None, "neither"),
    ("Q", [{"id": "a", "description": "d e", "weight": "heavy"}], None, "rubric[0].weight"),
    ("Q", [{"weight": 2}], None, "rubric[0].description"),
    ("Q", [{"id": "a", "description": "d e", "levels": ["x", " "]}], None, "must not be empty"),
    ("Q", [{"id": "a", "description": "d e"}, {"id": "a", "description": "f g"}], None, "unique"),
])
def test_malformed_inline_rubrics_are_rejected_clearly(question: str, rubric, ref, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRubric, match=re.escape(message)):
        from_inline(question, rubric, ref)


@pytest.mark.parametrize("rubric", [
    {"criteria": [{"id": "metrics", "description": "Sets targets"}], "reference_answer": "Set a 90% precision bar."},
    {"rubric": [{"id": "metrics", "description": "Sets targets"}], "Model answer": "Set a 90% precision bar."},
    {"criteria": [{"id": "metrics", "description": "Sets targets"}], "reference": "Set a 90% precision bar."},
    {"Metrics": "Sets targets", "reference-answer": "Set a 90% precision bar."},
])
def test_a_rubric_object_that_carries_its_model_answer_gives_it_as_the_reference(rubric) -> None:  # type: ignore[no-untyped-def]
    criteria, ref = lift_reference(rubric, None)
    assert ref == "Set a 90% precision bar."
    g = from_inline("Q?", criteria, ref)
    assert [c.id for c in g.criteria] == ["metrics"] and g.reference_answer == ref  # not read as a criterion
    assert lift_reference(rubric, "Set a 90% precision bar.")[1] == ref  # the same answer twice is fine
    assert from_inline("Q?", rubric).reference_answer == ref  # callers that hand from_inline the object as written


def test_a_bare_reference_key_among_criteria_keyed_by_name_stays_a_criterion() -> None:
    rubric = {"Metrics": "Sets targets", "Reference": "Cites the source of each claim"}
    assert lift_reference(rubric, None) == (rubric, None)


def test_two_different_reference_answers_are_rejected_by_name() -> None:
    rubric = {"criteria": ["Sets targets"], "model_answer": "Set a 90% precision bar."}
    with pytest.raises(ValueError, match="reference_answer and the rubric's 'model_answer' differ"):
        lift_reference(rubric, "Ship it.")
    with pytest.raises(ValueError, match="2 different reference answers"):
        lift_reference({**rubric, "reference_answer": "Ship it."}, None)
