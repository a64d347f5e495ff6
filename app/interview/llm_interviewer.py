"""The LLM interviewer: natural openings, clarifications and follow-ups, in role, with the embedded one as fallback.

The flow still decides what happens (which gap to probe comes from the embedded grader's interim view); this
class only phrases it. Two guards keep the rubric private:
- what it sends the model never contains rubric text: not level anchors, descriptions, cues, the reference
  answer or exemplars. Only the question, its shareable context facts, the follow-up question itself and the
  candidate's own (fenced) message go out;
- what comes back is checked against all of that private text (and the instructions) by word shingles; a reply
  that repeats any of it is discarded and the embedded wording is used instead.
Replies are untrusted input (OWASP LLM02) in other ways too: an empty reply, a refusal, or one that echoes the
prompt's fences or chat-template markers (prompts/output_checks.yaml) is discarded the same way. Any provider
fault also falls back to the embedded interviewer, and the turn is marked degraded.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from app.content import Question
from app.grading.rubric import RubricCriterion
from app.interview.guide_help import GuideHelp
from app.interview.interviewer import EmbeddedInterviewer
from app.llm import LLMBadOutput, LLMClient, LLMError, fence, render
from app.llm.prompts import load

SHINGLE = 6  # consecutive words shared with private text that count as a leak
MAX_CHARS = 1200
INSTRUCTION_FILES = ("interviewer_system", "interviewer_opening", "interviewer_clarify", "interviewer_probe",
                     "judge_system", "judge_user")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
CHECKS_FILE = Path(__file__).resolve().parent / "prompts" / "output_checks.yaml"


@lru_cache(maxsize=1)
def _checks() -> dict[str, list[re.Pattern[str]]]:
    spec = yaml.safe_load(CHECKS_FILE.read_text(encoding="utf-8"))
    return {kind: [re.compile(p, re.I) for p in spec[kind]] for kind in ("refusals", "markers")}


def unusable(reply: str) -> tuple[str, str] | None:
    """(reason, what matched) when a reply must not reach the candidate; None when it may."""
    if not reply.strip():
        return "empty_completion", ""
    for kind, reason in (("markers", "prompt_echo"), ("refusals", "refusal")):
        for pattern in _checks()[kind]:
            if m := pattern.search(reply):
                return reason, m.group(0)
    return None


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _grams(words: list[str], n: int = SHINGLE) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def private_texts(q: Question, cues: bool = True) -> list[str]:
    """Everything about a question the candidate must never see from the interviewer."""
    out: list[str] = []
    for c in q.rubric:
        out += [c.description, *c.levels.values()]
        if cues:
            out += [p for cue in c.cues for p in cue.phrasings]
    out += [ex.text for ex in q.exemplars]
    if q.reference_answer:
        out.append(q.reference_answer)
    return out


def public_texts(q: Question) -> list[str]:
    """What the interviewer may say: the question, its context facts and its follow-up questions."""
    return [q.title, q.prompt, *(f"{f.topic} {f.fact}" for f in q.context), *(c.probe for c in q.rubric),
            *(cb.text for cb in q.curveballs)]


@lru_cache(maxsize=1)
def _instruction_grams() -> frozenset[tuple[str, ...]]:
    return frozenset(g for name in INSTRUCTION_FILES for g in _grams(_words(load(name))))


class LeakGuard:
    """Finds private text in a reply: any run of SHINGLE words (or a whole shorter private phrase of 4+ words)
    that appears in the question's private texts or the instructions, and not in anything public."""

    def __init__(self, q: Question) -> None:
        public: set[tuple[str, ...]] = set()
        public_words = [_words(t) for t in public_texts(q)]
        for w in public_words:
            public |= _grams(w)
        self.grams = (set().union(*(_grams(_words(t)) for t in private_texts(q))) | _instruction_grams()) - public
        public_joined = " " + " ".join(" ".join(w) for w in public_words) + " "
        # Short cue phrasings ("human in the loop") are ordinary speech; only longer private phrases count here.
        self.phrases = [w for w in (_words(t) for t in private_texts(q, cues=False))
                        if 4 <= len(w) < SHINGLE and f" {' '.join(w)} " not in public_joined]

    def leaks(self, reply: str, allowed: str = "") -> str | None:
        words = _words(reply)
        allowed_words = _words(allowed)
        allowed_grams = _grams(allowed_words)
        for g in _grams(words):
            if g in self.grams and g not in allowed_grams:
                return " ".join(g)
        joined = f" {' '.join(words)} "
        allowed_joined = f" {' '.join(allowed_words)} "
        for p in self.phrases:
            phrase = f" {' '.join(p)} "
            if phrase in joined and phrase not in allowed_joined:
                return phrase.strip()
        return None


def tidy(text: str) -> str:
    """Plain conversational text: no wrapping quotes or markdown emphasis, bounded length."""
    t = text.strip()
    if len(t) > 1 and t[0] == t[-1] and t[0] in "\"'\u201c":
        t = t[1:-1].strip()
    t = re.sub(r"\*\*(.+?)\*\*", r"\1", t)
    t = re.sub(r"^#+\s*", "", t, flags=re.M)
    if len(t) > MAX_CHARS:
        cut = max(t.rfind(". ", 0, MAX_CHARS), t.rfind("? ", 0, MAX_CHARS))
        t = t[:cut + 1] if cut > 0 else t[:MAX_CHARS]
    return t.strip()


class LLMInterviewer:
    """Implements the Interviewer protocol with a model; replies are streamed from the provider."""

    def __init__(self, client: LLMClient, fallback: EmbeddedInterviewer, guide: GuideHelp | None = None) -> None:
        self.client = client
        self.fallback = fallback
        self.guide = guide  # grounds probes in the guide passages for the criterion being probed
        self._guards: dict[str, LeakGuard] = {}

    def _guard(self, q: Question) -> LeakGuard:
        if q.id not in self._guards:
            self._guards[q.id] = LeakGuard(q)
        return self._guards[q.id]

    def _say(self, q: Question, instruction: str, allowed: str = "") -> str:
        messages = [{"role": "system", "content": render("interviewer_system")},
                    {"role": "user", "content": instruction}]
        text = tidy(self.client.complete(messages, stream=True).text)
        bad = unusable(text)
        if bad is not None:
            raise LLMBadOutput(f"the reply is unusable ({bad[0]}: {bad[1][:40]!r})", bad[0])
        leak = self._guard(q).leaks(text, allowed)
        if leak is not None:
            raise LLMBadOutput(f"the reply repeats private text ({leak!r})", "leak_blocked")
        return text

    def _fall_back(self, err: LLMError) -> None:
        self.client.telemetry.degraded("interviewer", err.reason, str(err))

    def opening(self, question: Question) -> str:
        base = self.fallback.opening(question)  # the question itself, verbatim, with the time budget
        try:
            intro = self._say(question, render("interviewer_opening", title=question.title))
        except LLMError as err:
            self._fall_back(err)
            return base
        return f"{intro}\n\n{base}"

    def clarify(self, question: Question, text: str) -> str:
        facts = "\n".join(f"- {f.topic}: {f.fact}" for f in question.context) or "(none)"
        fenced, tag = fence(text, "CANDIDATE")
        try:
            return self._say(question, render("interviewer_clarify", prompt=question.prompt, facts=facts, tag=tag,
                                              message=fenced), allowed=text)
        except LLMError as err:
            self._fall_back(err)
            return self.fallback.clarify(question, text)

    def probe(self, question: Question, criterion: RubricCriterion) -> str:
        if not criterion.probe:  # nothing shareable to rephrase; the template is the safe choice
            return self.fallback.probe(question, criterion)
        passages = self.guide.passages(criterion) if self.guide is not None else []
        try:
            return self._say(question, render("interviewer_probe", prompt=question.prompt, probe=criterion.probe,
                                              passages="\n\n".join(passages) or "(none)"))
        except LLMError as err:
            self._fall_back(err)
            return self.fallback.probe(question, criterion)

    def stretch(self, question: Question, curveball: str, acknowledgement: str) -> str:
        # The curveball is public text written for the candidate; the template keeps its wording exact.
        return self.fallback.stretch(question, curveball, acknowledgement)

    def note(self, name: str, **values: str) -> str:
        # Fixed notices ("ready", "probe skipped", nudges) are part of the flow's contract; they need no model.
        return self.fallback.note(name, **values)
