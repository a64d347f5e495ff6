"""Screening an answer before it is scored: what to abstain on, and which sentences may earn credit.

Screens read a normalised copy of each sentence (NFKC, zero-width characters removed, look-alike letters from
other scripts mapped to Latin), so an instruction spelled with Cyrillic "о" or split by zero-width spaces is
read as what it says. Evidence still quotes the candidate's original text: spans keep their exact offsets.

Sentences that never count: instructions to the grader (by pattern here, by meaning in the grader), text
hidden by obfuscation or encoding, sentences in another language inside an English answer, bare keyword
lists and repeats.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from app.grading.text import (
    Span,
    content_words,
    gibberish_share,
    is_fragment,
    is_injection,
    is_keyword_list,
    is_trivial,
    language_check,
    restates_question,
    screening,
    segments,
)

MAX_ANSWER_WORDS = 1000  # longer answers are truncated with a notice, bounding grading time
SHORT_REFERENCE_WORDS = 40  # a reference answer this short means a short-answer question, not a case
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e]")
_B64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_WORDISH = re.compile(r"\w+", re.UNICODE)


@lru_cache
def _homoglyphs() -> dict[int, str]:
    return {ord(k): v for k, v in screening()["homoglyphs"].items()}


def normalise(text: str) -> str:
    """NFKC, zero-width characters removed, look-alike letters mapped to Latin: what the screens read."""
    return _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text)).translate(_homoglyphs())


def obfuscated(text: str) -> bool:
    """Zero-width characters, or a word mixing Latin letters with look-alikes from another script."""
    if _ZERO_WIDTH.search(text):
        return True
    table = _homoglyphs()
    for w in _WORDISH.findall(text):
        if any(ord(ch) in table for ch in w) and any("a" <= ch.lower() <= "z" for ch in w):
            return True
    return False


def encoded(text: str) -> bool:
    """A base64 run that decodes to readable text: a message hidden from the screens."""
    for m in _B64.finditer(text):
        token = m.group(0)
        if not re.search(r"[A-Z]", token) or not re.search(r"[a-z0-9]", token):
            continue
        try:
            raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        printable = sum(32 <= b < 127 for b in raw) / max(len(raw), 1)
        if printable > 0.9 and sum(chr(b).isalpha() for b in raw) >= 6:
            return True
    return False


def foreign_sentence(text: str) -> bool:
    """A sentence in another language (or script) inside an answer that is otherwise English."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= 4 and sum(ch.isascii() for ch in letters) / len(letters) < 0.6:
        return True
    return language_check(text) is not None


@dataclass(frozen=True)
class Screened:
    """The answer after screening: the spans that may count, their normalised text, and why others were dropped."""

    text: str
    spans: list[Span]
    flags: list[str]
    listy: int = 0  # keyword lists and bare fragments among the answer's spans
    abstain: str | None = None
    norm: list[str] = field(default_factory=list)  # normalised text of each span, aligned with spans

    def keep(self, idx: list[int], flags: list[str] | None = None) -> Screened:
        """Only the spans at `idx`, with `flags` added (each once)."""
        merged = list(dict.fromkeys([*self.flags, *(flags or [])]))
        return Screened(self.text, [self.spans[i] for i in idx], merged, self.listy, self.abstain,
                        [self.norm[i] for i in idx])


def _truncate(answer: str) -> tuple[str, bool]:
    wordlist = answer.split()
    if len(wordlist) <= MAX_ANSWER_WORDS:
        return answer, False
    cut = 0  # cut at a word boundary of the original string so evidence stays an exact substring
    for w in wordlist[:MAX_ANSWER_WORDS]:
        cut = answer.index(w, cut) + len(w)
    return answer[:cut], True


def _drop_reason(span: Span, norm: str) -> str | None:
    if obfuscated(span.text):
        return "obfuscation_ignored"
    if encoded(norm):
        return "encoded_ignored"
    if is_injection(Span(norm, span.start, span.end)):
        return "instructions_ignored"
    if foreign_sentence(norm):
        return "foreign_ignored"
    return None


def short_answer(reference: str | None) -> bool:
    """A reference answer this short means a short-answer question, not a case."""
    return reference is not None and len(content_words(reference)) < SHORT_REFERENCE_WORDS


def screen(answer: str, question: str, reference: str | None = None) -> Screened:
    """Decide whether to abstain, and which spans may earn credit.

    Case answers need a few sentences; for a short-answer question (a short reference answer) a reply of a
    few words can be complete, so the minimum length scales with the reference.
    """
    ref_words = len(content_words(reference)) if reference else None
    short = short_answer(reference)
    min_words = max(1, min(5, (ref_words or 0) // 2)) if short else 5
    text, truncated = _truncate(answer)
    flags = ["truncated"] if truncated else []
    if not text.strip():
        return Screened(text, [], flags, abstain="empty")
    spans = segments(text)
    # The whole answer in another language is an abstention; one foreign sentence in English is dropped.
    whole = normalise(text)
    if language_check(whole) is not None:
        return Screened(text, spans, flags, abstain="not_english", norm=[normalise(s.text) for s in spans])
    kept: list[Span] = []
    norms: list[str] = []
    seen: set[str] = set()
    for s in spans:
        norm = normalise(s.text)
        reason = _drop_reason(s, norm)
        if reason:
            if reason not in flags:
                flags.append(reason)
            continue
        key = " ".join(norm.lower().split())
        if key in seen:
            if "repetition_ignored" not in flags:
                flags.append("repetition_ignored")
            continue
        seen.add(key)
        kept.append(s)
        norms.append(norm)
    body = " ".join(norms)
    for reason, failed in (("trivial" if body.strip() else "empty", is_trivial(body, min_words)),
                           ("not_english", language_check(body) is not None),
                           ("gibberish", gibberish_share(body) > 0.5),
                           # A short-answer reply often reuses the question's words and is still right ("the
                           # gap separates them"); the pair scorer judges those, so only case answers abstain here.
                           ("restates_question", not short and restates_question(body, question))):
        if failed:
            return Screened(text, kept, flags, abstain=reason, norm=norms)
    listy = sum(is_keyword_list(s) or is_fragment(s) for s in kept)
    # Bare keyword lists never earn credit, even appended to a real answer.
    idx = [i for i, s in enumerate(kept) if not is_keyword_list(s)]
    return Screened(text, [kept[i] for i in idx], flags, listy, norm=[norms[i] for i in idx])
