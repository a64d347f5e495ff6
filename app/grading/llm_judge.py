"""The LLM judge: grades per criterion against the anchored levels, through the same Grader protocol.

How it keeps the model honest:
- The embedded screens run first, so abstentions (empty, gibberish, not English, restating the question) are the
  same as the embedded grader's. Sentences that instruct the grader are cut out before the judge sees the
  answer, so an injection cannot change the prompt, let alone the grade; the judge also reports any it spots.
- The answer is fenced as data with a nonce the candidate cannot guess (app/llm/prompts.py).
- The reply must be JSON that pydantic validates, with every criterion exactly once. A malformed reply gets one
  repair attempt inside the same deadline; after that, or on any provider fault, the embedded grader grades and
  the card says `degraded: true` with the reason.
- Evidence quotes must be verbatim substrings of the candidate's text (a quote that differs only in whitespace
  is replaced by the exact text). Others are dropped and flagged; a level above 0 left without evidence is
  marked uncertain.
- Temperature 0 and a fixed seed, plus a reply cache keyed by prompt, model and parameters, make reruns
  reproducible and free.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app import __version__
from app.grading import scorecard
from app.grading.embedded import EmbeddedGrader
from app.grading.errors import first_problem
from app.grading.rubric import GradingRubric, RubricCriterion
from app.grading.scorecard import FLAG_TEXT
from app.grading.screen import Screened, screen
from app.grading.text import is_injection, segments
from app.grading.types import CriterionResult, Scorecard
from app.llm import LLMBadOutput, LLMClient, LLMError, ReplyCache, prompt_hash, render
from app.llm.prompts import fence

JUDGE_VERSION = "llm-judge-1"
PROMPT_FILES = ("judge_system", "judge_user", "judge_repair")
MAX_QUOTES = 2
BATCH_CONCURRENCY = 8  # judge calls in flight at once in grade_many (the eval harness's path)

FALLBACK_FLAG = "The AI judge was unavailable, so the embedded grader graded this answer."
_QUOTE_MARKS = "\"'\u201c\u201d\u2018\u2019`"


class JudgedCriterion(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    level: int = Field(ge=0, le=3)
    evidence: list[str] = Field(default_factory=list, max_length=12)
    missing: str = ""

    @field_validator("evidence", mode="before")
    @classmethod
    def _one_quote_is_a_list(cls, v: object) -> object:
        if v is None:
            return []
        return [v] if isinstance(v, str) else v

    @field_validator("missing", mode="before")
    @classmethod
    def _none_is_empty(cls, v: object) -> object:
        return "" if v is None else v


class JudgeReply(BaseModel):
    """The judge's JSON reply, exactly as the prompt asks for it."""

    model_config = ConfigDict(extra="ignore")

    criteria: list[JudgedCriterion]
    instructions_detected: bool = False


def _json_object(text: str) -> str:
    """The outermost {...} of a reply, tolerating a ```json fence or a sentence around it."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0:
        raise LLMBadOutput("the reply contains no JSON object")
    if end <= start:
        raise LLMBadOutput("the reply is not valid JSON: it stops before the object's closing brace")
    return text[start:end + 1]


def parse_reply(text: str, rubric: GradingRubric) -> JudgeReply:
    """Validate a reply against the schema and the rubric; raises LLMBadOutput saying what is wrong."""
    try:
        data = json.loads(_json_object(text))
    except json.JSONDecodeError as exc:
        raise LLMBadOutput(f"the reply is not valid JSON ({exc.msg} at character {exc.pos})") from None
    try:
        reply = JudgeReply.model_validate(data)
    except ValidationError as exc:
        where, problem = first_problem(exc, "reply")
        raise LLMBadOutput(f"{where}: {problem}") from None
    ids = [c.id for c in reply.criteria]
    expected = [c.id for c in rubric.criteria]
    if sorted(ids) != sorted(expected):
        missing = sorted(set(expected) - set(ids))
        unknown = sorted(set(ids) - set(expected))
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise LLMBadOutput(f"criterion ids must be exactly {expected}: missing {missing}, unknown {unknown}, "
                           f"repeated {dup}")
    return reply


@dataclass(frozen=True)
class Prepared:
    """An answer ready for the judge: screened, injections cut out, the prompt built."""

    rubric: GradingRubric
    answer: str
    screened: Screened
    judged: str  # the text the judge sees
    messages: list[dict[str, str]]


def judged_text(screened: Screened) -> str:
    """The (possibly truncated) answer with every sentence that instructs the grader removed."""
    text = screened.text
    cuts = [s for s in segments(text) if is_injection(s)]
    out, pos = [], 0
    for s in cuts:
        out.append(text[pos:s.start])
        pos = s.end
    out.append(text[pos:])
    return re.sub(r"[ \t]{2,}", " ", "".join(out)).strip()


def _criteria_block(rubric: GradingRubric) -> str:
    lines = []
    for c in rubric.criteria:
        lines.append(f"- id: {c.id}\n  name: {c.name}\n  weight: {c.weight:g}\n  description: {c.description}\n"
                     "  levels:")
        lines += [f"    {lvl}: {c.levels[lvl]}" for lvl in sorted(c.levels)]
    return "\n".join(lines)


def build_messages(rubric: GradingRubric, judged: str) -> list[dict[str, str]]:
    fenced, tag = fence(judged, "ANSWER")
    ref = (rubric.reference_answer or "").strip()
    reference = f"\nFor calibration, a strong reference answer (not the candidate's):\n{ref}\n" if ref else ""
    user = render("judge_user", question=rubric.question, criteria=_criteria_block(rubric), reference=reference,
                  tag=tag, answer=fenced)
    return [{"role": "system", "content": render("judge_system")}, {"role": "user", "content": user}]


def _exact(quote: str, text: str) -> str | None:
    """The exact substring of `text` that `quote` stands for (ignoring whitespace differences), or None."""
    q = quote.strip().strip(_QUOTE_MARKS).strip()
    q = re.sub(r"(\.\.\.|\u2026)$", "", q).strip()
    if not q:
        return None
    if q in text:
        return q
    words = q.split()
    m = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return m.group(0) if m else None


class LLMJudge:
    """Implements the Grader protocol with a model; the embedded grader is its fallback and its study finder."""

    kind = "llm"

    def __init__(self, client: LLMClient, fallback: EmbeddedGrader, cache: ReplyCache | None = None,
                 concurrency: int = BATCH_CONCURRENCY) -> None:
        self.client = client
        self.fallback = fallback
        self.cache = cache
        self.concurrency = concurrency
        self._prompt_hash = prompt_hash(*PROMPT_FILES)

    @property
    def fingerprint(self) -> dict[str, Any]:
        p = self.client.params()
        return {"kind": self.kind, "version": JUDGE_VERSION, "code_version": __version__, "model": self.client.model,
                "prompt_hash": self._prompt_hash, "temperature": p["temperature"], "seed": p["seed"],
                "max_tokens": p["max_tokens"], "fallback": self.fallback.fingerprint}

    @property
    def usage(self) -> dict[str, Any]:
        """Tokens, cost and latency of every call this judge made (the eval report reads it)."""
        return self.client.totals.usage()

    # -- the Grader protocol ------------------------------------------------------------------------------

    def grade(self, rubric: GradingRubric, answer: str) -> Scorecard:
        return self.grade_many([(rubric, answer)])[0]

    def grade_many(self, items: Sequence[tuple[GradingRubric, str]]) -> list[Scorecard]:
        """Grade several answers with up to `concurrency` judge calls in flight; each has its own deadline."""
        preps = [self.prepare(rubric, answer) for rubric, answer in items]
        todo = [p for p in preps if not p.screened.abstain]
        outcomes: list[JudgeReply | LLMError] = []
        if todo:
            try:
                outcomes = self.client.run(self._judge_all(todo))
            except LLMError as err:  # defensive: _judge_all returns each item's error rather than raising
                outcomes = [err] * len(todo)
        results = iter(outcomes)
        cards = []
        for p in preps:
            if p.screened.abstain:
                cards.append(self._abstain(p))
                continue
            outcome = next(results)
            cards.append(self._fallback(p, outcome) if isinstance(outcome, LLMError) else self._card(p, outcome))
        return cards

    # -- steps ----------------------------------------------------------------------------------------------

    def prepare(self, rubric: GradingRubric, answer: str) -> Prepared:
        sc = screen(answer, rubric.question, rubric.reference_answer)
        judged = judged_text(sc) if not sc.abstain else ""
        return Prepared(rubric, answer, sc, judged, build_messages(rubric, judged) if not sc.abstain else [])

    async def _judge_all(self, preps: list[Prepared]) -> list[JudgeReply | LLMError]:
        """Each distinct prompt is judged once: repeats of an answer in a batch share the reply (and the cost)."""
        sem = asyncio.Semaphore(self.concurrency)
        keys = [self.client.cache_key(p.messages) for p in preps]
        first = {k: p for k, p in reversed(list(zip(keys, preps, strict=True)))}

        async def one(p: Prepared) -> JudgeReply | LLMError:
            async with sem:
                try:
                    return await self.judge(p)
                except LLMError as err:
                    return err

        done = dict(zip(first, await asyncio.gather(*(one(p) for p in first.values())), strict=True))
        return [done[k] for k in keys]

    async def judge(self, p: Prepared) -> JudgeReply:
        """One answer: the cache, else a call and at most one repair, all inside one deadline."""
        key = self.client.cache_key(p.messages)
        hit = self.cache.get(key) if self.cache else None
        if hit is not None:
            try:
                reply = parse_reply(self.client.replay(hit).text, p.rubric)
                return reply
            except LLMBadOutput:
                pass  # a reply cached by an older schema; ask again
        deadline = self.client.deadline()
        first = await self.client.acomplete(p.messages, deadline=deadline)
        try:
            reply, text = parse_reply(first.text, p.rubric), first.text
            tokens = (first.prompt_tokens, first.completion_tokens)
        except LLMBadOutput as err:
            repair = [*p.messages, {"role": "assistant", "content": first.text[:8000]},
                      {"role": "user", "content": render("judge_repair", error=str(err),
                                                         ids=", ".join(c.id for c in p.rubric.criteria))}]
            second = await self.client.acomplete(repair, deadline=deadline)
            reply, text = parse_reply(second.text, p.rubric), second.text  # a second failure is final
            tokens = (first.prompt_tokens + second.prompt_tokens, first.completion_tokens + second.completion_tokens)
        if self.cache is not None:
            self.cache.put(key, self.client.model, text, *tokens)
        return reply

    def _abstain(self, p: Prepared) -> Scorecard:
        return scorecard.abstained(p.screened.abstain or "empty", p.screened.flags, self.fingerprint)

    def _fallback(self, p: Prepared, err: LLMError) -> Scorecard:
        event = self.client.telemetry.degraded("judge", err.reason, str(err))
        card = self.fallback.grade(p.rubric, p.answer)
        return card.model_copy(update={
            "degraded": True, "degraded_reason": f"{event.component}: {event.reason}",
            "flags": [*card.flags, FALLBACK_FLAG],
            "grader": {**card.grader, "fallback_for": {"kind": self.kind, "model": self.client.model}}})

    def _card(self, p: Prepared, reply: JudgeReply) -> Scorecard:
        by_id = {c.id: c for c in reply.criteria}
        flags = scorecard.flag_text(p.screened.flags)
        if reply.instructions_detected and "instructions_ignored" not in p.screened.flags:
            flags.append(FLAG_TEXT["instructions_ignored"])
        dropped, unbacked, results = 0, [], []
        for crit in p.rubric.criteria:
            j = by_id[crit.id]
            evidence: list[str] = []
            for quote in j.evidence:
                exact = _exact(quote, p.judged)
                if exact is None or exact not in p.answer:
                    dropped += 1
                elif exact not in evidence:
                    evidence.append(exact)
            evidence = evidence[:MAX_QUOTES]
            if j.level > 0 and not evidence:
                unbacked.append(crit.name)
            results.append(self._criterion(crit, j, evidence, uncertain=j.level > 0 and not evidence))
        if dropped:
            flags.append(f"{dropped} evidence quote{'s' if dropped > 1 else ''} from the judge "
                         f"{'were' if dropped > 1 else 'was'} not in the answer word for word and "
                         f"{'were' if dropped > 1 else 'was'} dropped.")
        if unbacked:
            flags.append(f"No verbatim evidence backs the level given for {', '.join(unbacked)}; "
                         "marked uncertain.")
        return scorecard.build(p.rubric, results, flags, self.fingerprint)

    def _criterion(self, crit: RubricCriterion, j: JudgedCriterion, evidence: list[str],
                   uncertain: bool) -> CriterionResult:
        missing = [j.missing.strip()] if j.missing.strip() and j.level < 3 else []
        if j.level < 3:
            missing.append(scorecard.next_step(crit, j.level))
        study = self.fallback.study.for_criterion(crit) if self.fallback.study else []
        return CriterionResult(id=crit.id, name=crit.name, competency=crit.competency, weight=crit.weight,
                               level=j.level, evidence=evidence, missing=missing, study=study, uncertain=uncertain)
