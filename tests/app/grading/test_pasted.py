"""Rubrics pasted as text: Markdown tables and checklists led by a criterion's name."""

from __future__ import annotations

from app.grading import from_inline
from app.grading.pasted import criteria

Q = "How would you evaluate a support chatbot before launch?"


def test_a_markdown_table_is_read_by_its_header_not_row_by_row() -> None:
    table = """| Criterion | Description | Weight |
|---|---|---|
| Metrics | Ties each metric to a user goal | 2 |
| Risks | Names failure modes and a mitigation for each | 1 |"""
    r = from_inline(Q, table)
    assert [(c.name, c.description, c.weight) for c in r.criteria] == [
        ("Metrics", "Ties each metric to a user goal", 2.0),
        ("Risks", "Names failure modes and a mitigation for each", 1.0)]


def test_level_columns_become_anchors_and_note_columns_are_dropped() -> None:
    table = """| Area | Weight | 1 - Poor | 2 | 3 - Excellent | Notes |
|:--|--:|---|---|---|---|
| Metrics | 30% | none | some, untied to goals | each tied to a goal with a threshold | ask about latency |"""
    (c,) = from_inline(Q, table).criteria
    assert (c.name, c.weight) == ("Metrics", 30.0)
    assert c.levels[0] == "none" and c.levels[3] == "each tied to a goal with a threshold"
    assert "ask about latency" not in " ".join([c.description, *c.levels.values()])


def test_quality_word_headers_are_levels_when_the_caller_says_so() -> None:
    table = "| Criterion | Poor | Good |\n|---|---|---|\n| Metrics | none | tied to goals |"
    assert criteria(table, lambda w: w in {"poor", "good"}) == [
        {"name": "Metrics", "levels": {"Poor": "none", "Good": "tied to goals"}}]
    assert criteria(table) == [{"name": "Metrics"}]  # without the predicate they are notes


def test_a_table_without_a_header_reads_name_then_description() -> None:
    r = from_inline(Q, "| Metrics | ties metrics to goals |\n| Risks | names failure modes |")
    assert [(c.name, c.description) for c in r.criteria] == [("Metrics", "ties metrics to goals"),
                                                              ("Risks", "names failure modes")]


def test_checklist_lines_keep_their_name_and_weight_apart_from_the_description() -> None:
    text = """1. Metrics (40%): picks metrics tied to goals
- Risks (optional) - names failure modes
* Latency (x2): p95 under two seconds
Uses a golden set of real questions with known answers, reviewed: 200 of them at least
See http://example.com/rubric for the details"""
    items = criteria(text)
    assert items[0] == {"name": "Metrics", "description": "picks metrics tied to goals", "weight": "40%"}
    assert items[1] == {"name": "Risks (optional)", "description": "names failure modes"}
    assert items[2] == {"name": "Latency", "description": "p95 under two seconds", "weight": "2"}
    # A sentence with a colon in it, and a URL, are criteria as written.
    assert items[3].startswith("Uses a golden set") and items[4] == "See http://example.com/rubric for the details"
    r = from_inline(Q, text)
    assert [c.weight for c in r.criteria] == [40.0, 1.0, 2.0, 1.0, 1.0]


def test_a_list_of_strings_reads_each_like_a_checklist_line() -> None:
    r = from_inline(Q, ["Metrics (2): picks metrics tied to goals", "- names failure modes and mitigations"])
    assert [(c.name, c.description, c.weight) for c in r.criteria] == [
        ("Metrics", "picks metrics tied to goals", 2.0),
        ("names failure modes and mitigations", "names failure modes and mitigations", 1.0)]
