"""How disputes find the sentences they mean, and how anchors become advice (no model needed)."""

from __future__ import annotations

from app.grading.dispute import quoted_words, referenced
from app.grading.wording import advice, imperative

ANSWER = ("Who it is for: support agents. It's staff photos plus one public dataset, while our growth is in Nigeria. "
          "So 94% likely overstates quality.\n\nThe bot never approves a merge; a human does.")


def test_a_quote_spanning_two_sentences_finds_both() -> None:
    ranges, absent = referenced(ANSWER, 'I wrote: "It\'s staff photos plus one public dataset, while our growth is in '
                                        'Nigeria. So 94% likely overstates quality."')
    quoted = [ANSWER[a:b] for a, b in ranges]
    assert not absent and any(q.startswith("It's staff photos") for q in quoted)
    assert any(q.startswith("So 94%") for q in quoted)


def test_a_misquote_is_reported_as_absent() -> None:
    ranges, absent = referenced(ANSWER, 'I said "merchandisers lose the ability to see rankings"')
    assert not ranges and absent == ["merchandisers lose the ability to see rankings"]


def test_a_pointer_to_a_paragraph_finds_it() -> None:
    ranges, absent = referenced(ANSWER, "My second paragraph says a human approves.")
    assert [ANSWER[a:b].strip() for a, b in ranges] == ["The bot never approves a merge; a human does."]
    assert not absent


def test_anchors_read_as_advice() -> None:
    assert imperative("Identifies") == "Identify" and imperative("Matches") == "Match"
    assert imperative("Does") == "Do" and imperative("focus") is None
    anchor = "Contrasts the $210 fraud loss with a false block."
    assert advice(anchor) == "Contrast the $210 fraud loss with a false block."
    assert advice("A clear owner for each risk.").startswith("Aim for this: a clear owner")
    # A plural noun opening a terse anchor is not a verb.
    assert advice("Gaps, variety and ownership covered") == "Aim for this: gaps, variety and ownership covered"
    assert advice("Risks named with owners") == "Aim for this: risks named with owners"
    assert advice("Names the risks with owners") == "Name the risks with owners"
    assert advice("Moments drive design choices") == "Aim for this: moments drive design choices"
    assert advice("Tests cover each slice") == "Aim for this: tests cover each slice"
    assert advice("Feeds reported and sampled bad conversations into a weekly review").startswith("Feed reported")
    assert advice("Quantifies: about 3 dollars a question").startswith("Quantify:")


def test_a_short_phrase_the_answer_is_contrasted_with_is_not_a_misquote() -> None:
    ranges, absent = referenced(ANSWER, 'More than "edge cases": "The bot never approves a merge; a human does."')
    assert not absent and [ANSWER[a:b].strip() for a, b in ranges] == ["The bot never approves a merge; a human does."]


def test_quoted_words_are_the_answers_own_long_enough_quotes() -> None:
    reason = ('Not just "humans check": I wrote "the bot never approves a merge" and '
              '"a robot reviews every merge request"')
    assert quoted_words(ANSWER, reason) == ["the bot never approves a merge"]
