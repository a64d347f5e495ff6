"""Re-reading a contested criterion: the sentences the candidate points to, against the next level.

A dispute names a criterion and gives a reason. The reason usually quotes the answer ("I wrote 'the bot never
approves'") or points into it ("my second paragraph"). Those sentences are found in the answer, routed to the
contested criterion, and the criterion is graded again. When the reason points nowhere, the sentences closest
to the reason are read instead. The decision says which sentences were checked and why it went the way it
did. A dispute can raise a level by one at most and never lowers one: it is a second look, not a second chance
for the grader to be harsher.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from app.grading.embedded import Analysis, EmbeddedGrader
from app.grading.errors import NothingToContest, UnknownCriterion
from app.grading.features import point_cover, windows
from app.grading.points import clauses
from app.grading.rubric import GENERIC_LEVELS, GradingRubric, RubricCriterion
from app.grading.scorecard import goal, raise_level
from app.grading.scorecard import quote as _q
from app.grading.screen import normalise, screen
from app.grading.text import ENGLISH_FUNCTION, Span, is_fragment, is_keyword_list, segments, words
from app.grading.types import Scorecard
from rag.lexical import tokenize

_QUOTE = re.compile(r"[\"\u201c]([^\"\u201c\u201d]{8,})[\"\u201d]"  # "double" or curly quotes
                    r"|(?<!\w)[\'\u2018]([^\u2018\u2019]{8,}?)[\'\u2019](?!\w)")  # 'single', not an apostrophe
_ORDINAL = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4,
            "5th": 4, "last": -1, "final": -1, "opening": 0}
_POINTER = re.compile(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|final|opening)\s+"
                      r"(paragraph|sentence|point|bullet|line|section)\b", re.I)
REASON_SIM = 0.55  # with no quote or pointer, sentences this close to the reason are the ones meant
PROSE = 0.3  # share of function words below which a "sentence" is a list of names, not an explanation
OTHER_MARGIN = 0.05  # a sentence this much closer to another criterion serves that one, not the contested one
ANCHOR_MATCH = 0.5  # the checked sentences state the next level's anchor when a window is this close to a clause
# A re-grade that rises with the pointed-to sentences counts only when they come this close to the next level's
# anchor (or a clause of it). Coverage is read over windows of sentences, so an on-topic platitude ("Honestly,
# evaluating the drafts well is so important") averaged with a neighbouring bullet can lift a re-grade without
# saying anything the anchor asks for. The largest value that changed no decision on either calibration dispute set
# (0.40 lost one fair dispute of 16); platitudes appended to the bank's non-strong exemplars and quoted in a
# dispute were upheld 30 times in 2,853 before, 11 after (python -m evals.platitude_probe --disputes).
REGRADE_MEETS = 0.35
MIN_QUOTE_WORDS = 5  # a quoted phrase shorter than this is a term ("not just 'edge cases'"), not a claimed quote


@dataclass(frozen=True)
class DisputeDecision:
    decision: str  # upheld | rejected
    old_level: int
    new_level: int
    explanation: str
    evidence: list[str]
    checked: list[str] = field(default_factory=list)


def _paragraphs(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for block in re.split(r"(\n\s*\n)", text):
        if block.strip() and not re.fullmatch(r"\n\s*\n", block):
            out.append((pos, pos + len(block)))
        pos += len(block)
    return out


def _flat(text: str) -> str:
    """Lower case, one kind of quote mark, single spaces, no trailing ellipsis: how quotes are compared."""
    t = normalise(text).lower().replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(t.split()).strip(" .\u2026")


def _quoted_sentences(quote: str, sents: list[Span]) -> list[Span] | None:
    """The sentences a quote is taken from, or None when the quote is not in the answer.

    A quote may span sentences or cut one short, so a sentence belongs to it when either contains the other, or
    when they overlap by a run of at least 30 characters.
    """
    q = _flat(quote)
    flats = [_flat(s.text) for s in sents]
    if not q or q not in _flat(" ".join(s.text for s in sents)):
        return None
    return [s for s, f in zip(sents, flats) if f and (f in q or q in f or f[:30] in q or q[:30] in f)]


def referenced(answer: str, reason: str) -> tuple[list[tuple[int, int]], list[str]]:
    """Character ranges of the answer the reason quotes or points to, and quotes not found in the answer.

    A short quoted phrase that is not in the answer is usually what the answer is not ("more than 'measure
    accuracy'"), so only quotes of MIN_QUOTE_WORDS or more words count as misquotes.
    """
    ranges: list[tuple[int, int]] = []
    absent: list[str] = []
    sents = segments(answer)
    for quote in _quotes(reason):
        hits = _quoted_sentences(quote, sents)
        if hits:
            ranges += [(s.start, s.end) for s in hits]
        elif len(quote.split()) >= MIN_QUOTE_WORDS and len(tokenize(quote)) >= 2:
            absent.append(quote.strip())
    for m in _POINTER.finditer(reason):
        k = _ORDINAL[m.group(1).lower()]
        units = _paragraphs(answer) if m.group(2).lower() in ("paragraph", "section") else \
            [(s.start, s.end) for s in sents]
        if units and -len(units) <= k < len(units):
            ranges.append(units[k])
    return ranges, absent


def _quotes(reason: str) -> list[str]:
    return [a or b for a, b in _QUOTE.findall(reason)]


def quoted_words(answer: str, reason: str) -> list[str]:
    """The reason's quotes that are the answer's own words, long enough to state something."""
    flat = _flat(answer)
    return [q for q in _quotes(reason) if len(q.split()) >= MIN_QUOTE_WORDS and _flat(q) and _flat(q) in flat]


def recheck(grader: EmbeddedGrader, rubric: GradingRubric, answer: str, criterion_id: str, old_level: int,
            reason: str) -> DisputeDecision:
    """Grade the contested criterion again with the sentences the reason means routed to it."""
    crit = next(c for c in rubric.criteria if c.id == criterion_id)
    ci = [c.id for c in rubric.criteria].index(criterion_id)
    nxt = min(old_level + 1, 3)
    sc = screen(answer, rubric.question, rubric.reference_answer)
    if sc.abstain or not sc.spans:
        return DisputeDecision("rejected", old_level, old_level,
                               "The answer could not be graded, so there is no evidence to re-check.", [])
    if old_level >= 3:
        return DisputeDecision("rejected", old_level, old_level, f"{crit.name} is already at the top level.", [])
    vecs = grader.embed_spans(sc.norm)
    base = grader.analyse(rubric, sc, vecs)
    kept = base.screened.spans
    ranges, absent = referenced(answer, reason)
    if ranges:
        idx = [i for i, s in enumerate(kept) if any(a <= s.start < b or s.start <= a < s.end for a, b in ranges)]
    else:
        sims = base.vecs @ grader.embed_spans([normalise(reason)])[0] if len(kept) else np.zeros(0)
        idx = [i for i in np.argsort(-sims)[:3] if sims[i] >= REASON_SIM]
    checked = [kept[i].text for i in idx]
    if absent:  # a misquote is never evidence, whatever else the reason points to
        return DisputeDecision("rejected", old_level, old_level,
                               f"The quoted text ({_q(absent[0])}) is not in your answer, so it cannot count.", [],
                               [])
    needs = f"{crit.level_text(nxt).capitalize()} needs: {_needs(crit, nxt)}"
    if not idx:
        set_aside = _set_aside(sc.spans, kept, ranges, base.filler_text)
        if set_aside:  # the reason does point into the answer, at sentences the screens gave nothing
            return DisputeDecision("rejected", old_level, old_level, f"{set_aside} {needs}", [], [])
        return DisputeDecision("rejected", old_level, old_level,
                               f"The reason does not quote or point to a sentence of the answer that speaks to "
                               f"{crit.name}. Quote the sentences you mean. {needs}", [], [])
    anchor_vecs = grader.embed_spans(_anchor_parts(crit.levels[nxt]))
    substantive = [i for i in idx if _developed(kept[i]) or _terse_statement(kept[i], vecs_of(base, i), anchor_vecs)]
    again = grader.analyse(rubric, sc, vecs, boost={ci: substantive})
    new_level, _ = grader.level_for(again.features[ci], again.screened, again.capped)
    rel = again.features[ci].span_relevance
    # Evidence goes to the criterion it serves best (as in grading): a sentence that serves another criterion
    # clearly better moves to the contested one only when it states that criterion's next level itself.
    best_other = [max((float(f.span_relevance[i]) for j, f in enumerate(again.features) if j != ci), default=0.0)
                  for i in range(len(kept))]
    # A quote may be the part of a longer sentence that states the anchor: read the candidate's quoted words too.
    quoted = quoted_words(answer, reason)
    quote_meets = _meets_anchor(anchor_vecs, grader.embed_spans([normalise(q) for q in quoted])) if quoted else 0.0
    on_topic = [i for i in substantive if rel[i] >= again.features[ci].relevant - 0.05 and (
        rel[i] >= best_other[i] - OTHER_MARGIN or quote_meets >= ANCHOR_MATCH
        or _meets_anchor(anchor_vecs, vecs_of(again, i)) >= ANCHOR_MATCH)]
    meets = max(_meets_anchor(anchor_vecs, again.vecs[on_topic]), quote_meets) if on_topic else 0.0
    # Stating the next level means reading more like its anchor than like the level already given: a sentence
    # that only names the idea ("Monitor drift and retrain.") is close to both, and closer to the lower one.
    held = _held_anchor(grader, crit.levels, old_level)
    stays = False
    if on_topic and len(held):
        quoted_vecs = grader.embed_spans([normalise(q) for q in quoted]) if quoted else again.vecs[:0]
        below = max(_meets_anchor(held, again.vecs[on_topic]), _meets_anchor(held, quoted_vecs) if quoted else 0.0)
        stays = meets <= below
    if on_topic and not stays and ((new_level > old_level and meets >= REGRADE_MEETS) or meets >= ANCHOR_MATCH):
        level = nxt
    else:
        level = old_level
    shown = "; ".join(_q(kept[i].text) for i in idx[:3])
    if level > old_level:
        return DisputeDecision("upheld", old_level, level,
                               f"Re-read {shown}: read as part of {crit.name}, it meets {crit.level_text(level)}.",
                               [kept[i].text for i in on_topic[:2]], checked)
    if not substantive:
        why = "it names the idea without explaining it"
    elif not on_topic:
        best = rubric.criteria[int(np.argmax([f.span_relevance[substantive[0]] for f in again.features]))].name
        why = f"it speaks to {best} rather than {crit.name}"
    elif stays:
        why = f"it reads like {crit.level_text(old_level)} ({crit.levels[old_level]}) more than the next level"
    else:
        why = f"with it, {crit.name} still reads at {crit.level_text(new_level)}"
    return DisputeDecision("rejected", old_level, old_level,
                           f"Re-read {shown}: {why}. {needs}",
                           [], checked)


def contest(grader: EmbeddedGrader, rubric: GradingRubric, answer: str, card: Scorecard,
            disputes: Sequence[tuple[str, str]]) -> tuple[list[DisputeDecision], Scorecard]:
    """Disputes of a stateless grade ((criterion id, reason) pairs), decided in order, each against the card as
    the ones before it left it. Nothing is stored between requests, so a caller sends its earlier disputes with
    the new one and gets the card a stored interview would hold; each is re-read, never taken on trust."""
    if card.abstained:
        raise NothingToContest(f"the answer was not graded ({card.reason}), so there is no level to contest")
    decisions = []
    for criterion_id, reason in disputes:
        result = next((r for r in card.criteria if r.id == criterion_id), None)
        if result is None:
            raise UnknownCriterion(f"the scorecard has no criterion {criterion_id!r}; it has "
                                   f"{', '.join(repr(r.id) for r in card.criteria)}")
        decision = recheck(grader, rubric, answer, criterion_id, result.level, reason)
        if decision.decision == "upheld":
            card = raise_level(rubric, card, criterion_id, decision.new_level, decision.evidence)
        decisions.append(decision)
    return decisions, card


def _needs(crit: RubricCriterion, level: int) -> str:
    """What a level asks for: the rubric's anchor, or for a criterion given no anchors, advice on its own topic (the
    generic anchor, "Excellent: developed with specifics...", says nothing about this criterion)."""
    text = crit.levels[level]
    return goal(crit, level) if text == GENERIC_LEVELS.get(level) else text


def _set_aside(spans: Sequence[Span], kept: Sequence[Span], ranges: list[tuple[int, int]],
               filler: Sequence[str]) -> str:
    """Why the sentences a reason points to were not re-read: the screens set them aside before grading (as
    general talk, an echo of the rubric, an instruction to the grader, or off the rubric's topics). Saying that
    the reason points nowhere, when it quotes the answer word for word, would be false."""
    starts = {s.start for s in kept}
    hit = [s for s in spans if s.start not in starts and any(a <= s.start < b or s.start <= a < s.end
                                                                for a, b in ranges)]
    if not hit:
        return ""
    general = [s for s in hit if s.text in filler]
    if general:
        return (f"{_q(general[0].text)} read as general talk that would fit any answer, so it earned nothing and "
                f"cannot raise a level on its own. Add what you would decide, with a number, an example or a reason.")
    return (f"{_q(hit[0].text)} was set aside before grading: it repeats the rubric's wording, speaks to the grader, "
            f"or is off the question's topics.")


def _developed(span: Span) -> bool:
    """A sentence that explains something: long enough, not a list of terms, with the function words of prose."""
    ws = words(span.text)
    prose = sum(w in ENGLISH_FUNCTION for w in ws) / max(len(ws), 1)
    return span.words >= 6 and not is_fragment(span) and not is_keyword_list(span) and prose >= PROSE


def _held_anchor(grader: EmbeddedGrader, levels: dict[int, str], level: int) -> np.ndarray:
    """The anchor of the level already given, when the rubric wrote one of its own (generic text says nothing).

    Level 0's anchor describes an absence ("No error handling."), which a sentence on the topic resembles by its
    words whatever it says (the embedder reads past the "no"), so a dispute from level 0 is not compared with it.
    """
    text = levels.get(level)
    if level == 0 or not text or text == GENERIC_LEVELS.get(level):
        return np.zeros((0, grader.embedder.dim), dtype=np.float32)
    return grader.embed_spans(_anchor_parts(text))


def _anchor_parts(anchor: str) -> list[str]:
    """The next level's anchor as a whole and clause by clause: one sentence may state all of it or one part."""
    return list(dict.fromkeys([anchor, *clauses(anchor)]))


def _meets_anchor(anchor_vecs: np.ndarray, vecs: np.ndarray) -> float:
    """How closely the checked sentences (windows of them) state the next level's anchor or one of its clauses."""
    win, _ = windows(vecs)
    return float(point_cover(win, anchor_vecs).max()) if len(win) else 0.0


def vecs_of(a: Analysis, i: int) -> np.ndarray:
    return a.vecs[[i]]


def _terse_statement(span: Span, vec: np.ndarray, anchor_vecs: np.ndarray) -> bool:
    """A short bullet that states the next level outright ("Show citations, handler makes the final call").

    Bullets drop the function words that `_developed` looks for, so a terse line counts when it is a full line
    (not a fragment or a list of terms) and says what the anchor says.
    """
    return (span.words >= 6 and not is_fragment(span) and not is_keyword_list(span)
            and _meets_anchor(anchor_vecs, vec) >= ANCHOR_MATCH)
