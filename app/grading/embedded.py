"""The embedded grader: anchored rubric levels from sentence embeddings, with screens and caps.

How it decides, per criterion: features of the answer against the criterion's cues, description and the
reference answer (features.py) go through one linear model with ordinal cut points (params.json, fitted on
the calibration split of the project's own exemplars by `python -m app.grading calibrate`). Caps then keep it
honest: a criterion nobody addressed is 0; "developed" (2) needs a real sentence, not a fragment; "excellent"
(3) needs specifics; an answer that is mostly bare keywords cannot pass 1 anywhere.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from app import __version__
from app.content import band_for, overall_score
from app.grading.features import (
    FEATURES,
    LEXICAL,
    RELEVANT,
    CriterionFeatures,
    CriterionVectors,
    RubricVectors,
    criterion_features,
    cue_terms,
)
from app.grading.rubric import GradingRubric, RubricCriterion
from app.grading.study import StudyFinder
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
    specificity,
)
from app.grading.types import CriterionResult, Overall, Scorecard, Summary
from rag.embedder import Embedder
from rag.lexical import tokenize

log = logging.getLogger(__name__)

GRADER_VERSION = "embedded-1"
PARAMS_FILE = Path(__file__).parent / "params.json"
MAX_ANSWER_WORDS = 1000  # longer answers are truncated with a notice, bounding grading time
MAX_EVIDENCE = 2
# A vague sentence must be this much closer to a cue than to generic filler to count; at 0.05 about 5% of the
# exemplars' weakly relevant, non-specific sentences are dropped.
FILLER_MARGIN = 0.05
SUBSTANTIVE = RELEVANT - 0.1  # loosely related to some criterion: enough to count as content, not as evidence

MESSAGES = {
    "empty": "There is no answer to grade yet. Write out how you would approach the question.",
    "trivial": "That answer is too short to grade. Walk through your reasoning in a few sentences.",
    "gibberish": "The answer doesn't read as text we can grade. Please answer in full sentences.",
    "not_english": "Grading works on English answers only for now. Please answer in English.",
    "restates_question": "The answer restates the question without answering it. Say what you would do and why.",
}
FLAG_TEXT = {
    "instructions_ignored": "Instructions to the grader were ignored.",
    "keywords_capped": "A list of keywords without reasoning earns at most level 1.",
    "repetition_ignored": "Repeated sentences were counted once.",
    "filler_ignored": "Generic filler sentences earned nothing.",
    "truncated": f"The answer was cut to its first {MAX_ANSWER_WORDS} words for grading.",
}


@dataclass(frozen=True)
class Params:
    weights: dict[str, float]
    bias: float
    cuts: tuple[float, float, float]
    fitted_on: str = "defaults"

    @classmethod
    def load(cls, path: Path = PARAMS_FILE) -> Params:
        if not path.exists():
            return cls({f: 1.0 for f in FEATURES}, 0.0, (1.0, 2.0, 3.0))
        d = json.loads(path.read_text())
        return cls(d["weights"], d["bias"], tuple(d["cuts"]), d.get("fitted_on", ""))  # type: ignore[arg-type]

    def level(self, f: CriterionFeatures) -> int:
        z = self.bias + sum(self.weights[k] * f.values[k] for k in FEATURES)
        return int(sum(z > c for c in self.cuts))

    def digest(self) -> str:
        blob = json.dumps({"w": self.weights, "b": self.bias, "c": self.cuts}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Screened:
    """The answer after screening: the spans that count, plus why others were dropped."""

    text: str
    spans: list[Span]
    flags: list[str]
    listy: int = 0  # keyword lists and bare fragments among the answer's spans
    abstain: str | None = None

    def keyword_dominant(self, relevance: np.ndarray) -> bool:
        """Mostly bare keywords: as many list/fragment spans as substantive sentences, or under 25 words of them.

        Only sentences related to the rubric count as substantive, so padding cannot lift the cap.
        """
        if not self.listy:
            return False
        substantive = [s for s, r in zip(self.spans, relevance)
                       if r >= SUBSTANTIVE and not is_fragment(s) and not is_keyword_list(s)]
        return self.listy >= len(substantive) or sum(s.words for s in substantive) < 25


SHORT_REFERENCE_WORDS = 40  # a reference answer this short means a short-answer question, not a case


def screen(answer: str, question: str, reference: str | None = None) -> Screened:
    """Decide whether to abstain, and which spans may earn credit.

    Case answers need a few sentences; for a short-answer question (a short reference answer) a reply of a
    few words can be complete, so the minimum length scales with the reference.
    """
    ref_words = len(content_words(reference)) if reference else None
    short = ref_words is not None and ref_words < SHORT_REFERENCE_WORDS
    min_words = max(1, min(5, (ref_words or 0) // 2)) if short else 5
    flags: list[str] = []
    text = answer
    wordlist = answer.split()
    if len(wordlist) > MAX_ANSWER_WORDS:
        # Cut at a word boundary of the original string so evidence stays an exact substring.
        cut = 0
        for _ in range(MAX_ANSWER_WORDS):
            cut = answer.index(wordlist[_], cut) + len(wordlist[_])
        text = answer[:cut]
        flags.append("truncated")
    if not text.strip():
        return Screened(text, [], flags, abstain="empty")
    spans = segments(text)
    kept: list[Span] = []
    seen: set[str] = set()
    for s in spans:
        if is_injection(s):
            if "instructions_ignored" not in flags:
                flags.append("instructions_ignored")
            continue
        key = " ".join(s.text.lower().split())
        if key in seen:
            if "repetition_ignored" not in flags:
                flags.append("repetition_ignored")
            continue
        seen.add(key)
        kept.append(s)
    body = " ".join(s.text for s in kept)
    for reason, failed in (("trivial" if body.strip() else "empty", is_trivial(body, min_words)),
                           ("not_english", language_check(body) is not None),
                           ("gibberish", gibberish_share(body) > 0.5),
                           ("restates_question", restates_question(body, question, reference if short else None))):
        if failed:
            return Screened(text, kept, flags, abstain=reason)
    listy = sum(is_keyword_list(s) or is_fragment(s) for s in kept)
    # Bare keyword lists never earn credit, even appended to a real answer.
    scored = [s for s in kept if not is_keyword_list(s)]
    return Screened(text, scored, flags, listy)


class EmbeddedGrader:
    """Grades any GradingRubric deterministically on the CPU; implements the Grader protocol."""

    kind = "embedded"

    def __init__(self, embedder: Embedder, study: StudyFinder | None = None, params: Params | None = None,
                 cache_size: int = 20_000) -> None:
        self.embedder = embedder
        self.cache_size = cache_size
        self._span_cache: dict[str, np.ndarray] = {}
        self.study = study
        self.params = params or Params.load()
        self._rubric_cache: dict[str, RubricVectors] = {}
        self._filler_vecs: np.ndarray | None = None

    @property
    def fingerprint(self) -> dict[str, Any]:
        return {"kind": self.kind, "version": GRADER_VERSION, "code_version": __version__,
                "embedder": f"{self.embedder.name}@{self.embedder.version}", "params": self.params.digest(),
                "params_fitted_on": self.params.fitted_on}

    def rubric_vectors(self, rubric: GradingRubric) -> RubricVectors:
        key = rubric.content_hash()
        cached = self._rubric_cache.get(key)
        if cached is not None:
            return cached
        texts: list[str] = []
        layout: list[tuple[int, list[int], int]] = []
        for c in rubric.criteria:
            cue_idx = []
            for cue in c.cues:
                cue_idx.append(len(texts))
                texts.extend(cue)
            layout.append((len(texts), cue_idx, len(texts)))
            texts.append(f"{c.name}. {c.description}")
        ref_sents = [s.text for s in segments(rubric.reference_answer or "") if s.words >= 4]
        ref_start = len(texts)
        texts.extend(ref_sents)
        vecs = self.embedder.embed(texts)
        crits = []
        for c, (desc_i, cue_idx, _) in zip(rubric.criteria, layout):
            cues = [vecs[i:i + len(cue)] for i, cue in zip(cue_idx, c.cues)]
            crits.append(CriterionVectors(c, cues, vecs[desc_i], cue_terms(c.cues)))
        rv = RubricVectors(rubric, crits, vecs[ref_start:])
        if len(self._rubric_cache) > 256:
            self._rubric_cache.clear()
        self._rubric_cache[key] = rv
        return rv

    def _raw_features(self, rubric: GradingRubric, spans: list[Span], vecs: np.ndarray) -> list[CriterionFeatures]:
        rv = self.rubric_vectors(rubric)
        terms = [set(tokenize(s.text)) for s in spans]
        feats = [criterion_features(cv, spans, vecs, rv.reference, 0.0, span_terms=terms) for cv in rv.criteria]
        breadth = float(np.mean([f.values["cov"] for f in feats])) if feats else 0.0
        for f in feats:
            f.values["breadth"] = breadth
        return feats

    def _filler(self) -> np.ndarray:
        if self._filler_vecs is None:
            self._filler_vecs = self.embedder.embed(list(screening()["filler_prototypes"]))  # type: ignore[arg-type]
        return self._filler_vecs

    def on_rubric(self, rubric: GradingRubric, screened: Screened, vecs: np.ndarray) -> tuple[Screened, np.ndarray]:
        """Keep only sentences about the rubric: padding earns nothing, not even a nudge to a cue score.

        A sentence is dropped when it is unrelated to every criterion, or when it reads more like generic filler
        than like any cue and carries no specifics or cue words of its own.
        """
        if not screened.spans:
            return screened, vecs
        feats = self._raw_features(rubric, screened.spans, vecs)
        rel = np.max(np.stack([f.span_relevance for f in feats]), axis=0)
        filler = (vecs @ self._filler().T).max(axis=1)
        keep, dropped_filler = [], False
        for i, span in enumerate(screened.spans):
            if rel[i] < RELEVANT:
                continue
            if rel[i] - filler[i] < FILLER_MARGIN and rel[i] < LEXICAL and not specificity(span.text):
                dropped_filler = True
                continue
            keep.append(i)
        flags = [*screened.flags, "filler_ignored"] if dropped_filler else screened.flags
        return replace(screened, spans=[screened.spans[i] for i in keep], flags=flags), vecs[keep]

    def features(self, rubric: GradingRubric, screened: Screened, vecs: np.ndarray) -> list[CriterionFeatures]:
        """Features of the on-rubric sentences; `screened` must already be filtered by on_rubric()."""
        return self._raw_features(rubric, screened.spans, vecs)

    def grade(self, rubric: GradingRubric, answer: str) -> Scorecard:
        return self.grade_many([(rubric, answer)])[0]

    def embed_spans(self, texts: list[str]) -> np.ndarray:
        """Sentence embeddings through a bounded cache: an interview re-grades the same sentences every turn."""
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        if not self.cache_size:
            return self.embedder.embed(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self._span_cache))
        if missing:
            if len(self._span_cache) + len(missing) > self.cache_size:
                self._span_cache.clear()
            self._span_cache.update(zip(missing, self.embedder.embed(missing)))
        return np.stack([self._span_cache[t] for t in texts])

    def grade_many(self, items: Sequence[tuple[GradingRubric, str]]) -> list[Scorecard]:
        """Grade several answers, embedding all their sentences in one batch (the eval harness's path)."""
        screened = [screen(answer, rubric.question, rubric.reference_answer) for rubric, answer in items]
        all_vecs = self.embed_spans([s.text for sc in screened if not sc.abstain for s in sc.spans])
        out, pos = [], 0
        for (rubric, _), sc in zip(items, screened):
            if sc.abstain:
                out.append(self._abstain(sc))
                continue
            vecs = all_vecs[pos:pos + len(sc.spans)]
            pos += len(sc.spans)
            out.append(self._score(rubric, sc, vecs))
        return out

    def _abstain(self, sc: Screened) -> Scorecard:
        reason = sc.abstain or "empty"
        return Scorecard(abstained=True, reason=reason, message=MESSAGES[reason],
                         flags=[FLAG_TEXT[f] for f in sc.flags], grader=self.fingerprint)

    @staticmethod
    def dominated_by_keywords(sc: Screened, feats: list[CriterionFeatures]) -> bool:
        if not sc.spans or not feats:
            return sc.listy > 0
        return sc.keyword_dominant(np.max(np.stack([f.span_relevance for f in feats]), axis=0))

    def _score(self, rubric: GradingRubric, sc: Screened, vecs: np.ndarray) -> Scorecard:
        sc, vecs = self.on_rubric(rubric, sc, vecs)
        feats = self.features(rubric, sc, vecs)
        capped = self.dominated_by_keywords(sc, feats)
        flags = [*sc.flags, "keywords_capped"] if capped else sc.flags
        results = [self._criterion(c, f, sc, capped) for c, f in zip(rubric.criteria, feats)]
        levels = {r.id: r.level for r in results}
        score = round(overall_score(levels, rubric.weights), 1)
        return Scorecard(overall=Overall(score=score, band=band_for(score).value), criteria=results,
                         flags=[FLAG_TEXT[f] for f in flags], summary=_summary(rubric, results),
                         grader={**self.fingerprint, "rubric_hash": rubric.content_hash()})

    def level_for(self, f: CriterionFeatures, sc: Screened, capped: bool) -> int:
        level = self.params.level(f)
        relevant = [s for s, r in zip(sc.spans, f.span_relevance) if r >= RELEVANT]
        if not relevant:
            return 0
        if level >= 2 and not any(s.words >= 8 and not is_fragment(s) for s in relevant):
            level = 1
        if level == 3 and f.values["spec"] < 0.5:
            level = 2
        if capped:
            level = min(level, 1)
        return level

    def _criterion(self, c: RubricCriterion, f: CriterionFeatures, sc: Screened, capped: bool) -> CriterionResult:
        level = self.level_for(f, sc, capped)
        order = np.argsort(-f.span_relevance, kind="stable") if len(sc.spans) else []
        # Evidence is always the candidate's own words: an exact substring of what they wrote.
        evidence = [sc.spans[i].text for i in order[:MAX_EVIDENCE]
                    if f.span_relevance[i] >= RELEVANT and level > 0 and sc.spans[i].text in sc.text]
        missing = [f"Not shown: {concept}" for concept, s in zip(c.concepts, f.cue_scores) if s < 0.5]
        if level < 3:
            missing.append(f"For level {level + 1}: {c.levels[level + 1]}")
        study = self.study.for_criterion(c) if self.study else []
        return CriterionResult(id=c.id, name=c.name, competency=c.competency, weight=c.weight, level=level,
                               evidence=evidence, missing=missing, study=study)


def _summary(rubric: GradingRubric, results: list[CriterionResult]) -> Summary:
    strong = sorted((r for r in results if r.level >= 2), key=lambda r: (-r.level, -r.weight, r.id))
    gap = max(results, key=lambda r: (r.weight * (3 - r.level), -results.index(r)))
    crit = next(c for c in rubric.criteria if c.id == gap.id)
    if gap.level >= 3:
        tip = "Keep this standard: every criterion is at level 3."
    else:
        tip = f"{gap.name}: {crit.probe or crit.levels[min(gap.level + 1, 3)]}"
    return Summary(strengths=[f"{r.name} (level {r.level})" for r in strong[:3]], improvement=tip)
