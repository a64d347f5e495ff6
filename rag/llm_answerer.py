"""Grounded guide answers written by a model, from the retrieved chunks only, and checked before they are shown.

Retrieval and the decision to decline are the extractive answerer's (`prepare`, one retrieval per question), so a
question the guide does not cover declines exactly as it does without a model, and no model is called. The model
sees the top chunks as numbered excerpts. Its reply is then checked, and any failure returns the extractive answer
marked `degraded` with the reason:
- `refusal`: the model refused or said the excerpts do not answer (the extractive answerer decided they do);
- `echo`: the reply shows fence markers, nonce tags or the prompt's own instructions;
- `uncited`: a sentence cites no retrieved excerpt (citations to excerpts that were not given are removed first);
- `unsupported`: a sentence is not supported by the excerpts it cites (rag/support.py).
Citations are renumbered per section in order of first use, as the extractive answerer numbers them.

The model, its prompt texts and the fence come from the app through `rag.model.AnswerModel` and `AnswerPrompts`;
nothing here imports app/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from rag.answerer import Citation, ExtractiveAnswerer, GuideAnswer, Prepared, plain, sentences
from rag.model import AnswerModel, AnswerPrompts, Message, ModelFailed
from rag.retrieval import Hit
from rag.support import REFUSAL, SupportCheck, echoes_prompt, sentence_split

MAX_EXCERPTS = 5
DECLINE_TOKEN = "NOT_IN_GUIDE"
_CITE = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")


@dataclass(frozen=True)
class LLMGuideAnswer(GuideAnswer):
    """A GuideAnswer that also says whether the model wrote it (degraded: the extractive fallback did)."""

    degraded: bool = False
    degraded_reason: str | None = None
    flags: list[str] = field(default_factory=list)


def excerpts(hits: list[Hit]) -> str:
    return "\n\n".join(f"[{i}] {' > '.join(h.chunk.heading_path) or h.chunk.section_title}\n{plain(h.chunk.text)}"
                       for i, h in enumerate(hits, 1))


@dataclass(frozen=True)
class Grounded:
    answer: str
    citations: list[Citation]
    removed: int
    cited: list[tuple[str, list[int]]]  # each sentence (citations stripped) with the excerpt numbers it cites


def ground(text: str, hits: list[Hit]) -> Grounded:
    """Keep only citations that point at a given excerpt and renumber them per section. Raises ModelFailed
    ("uncited") when a sentence is left with no valid citation."""
    numbers: dict[str, int] = {}
    first_hit: dict[str, Hit] = {}
    removed = 0
    cited: list[tuple[str, list[int]]] = []

    def sub(m: re.Match[str], ks: list[int]) -> str:
        nonlocal removed
        out: list[int] = []
        for raw in re.split(r"\s*[,;]\s*", m.group(1)):
            k = int(raw)
            if not 1 <= k <= len(hits):
                removed += 1
                continue
            ks.append(k)
            sid = hits[k - 1].chunk.section_id
            first_hit.setdefault(sid, hits[k - 1])
            n = numbers.setdefault(sid, len(numbers) + 1)
            if n not in out:
                out.append(n)
        return (" " + "".join(f"[{n}]" for n in out)) if out else ""

    def citing(ks: list[int]) -> Callable[[re.Match[str]], str]:
        return lambda m: sub(m, ks)

    parts = []
    for sentence in sentence_split(text):
        ks: list[int] = []
        rewritten = _CITE.sub(citing(ks), sentence)
        rewritten = re.sub(r"[ \t]+([.,;:!?])", r"\1", rewritten)
        rewritten = re.sub(r"[ \t]{2,}", " ", rewritten).strip()
        bare = _CITE.sub("", sentence).strip()
        if not re.search(r"\w", bare):
            continue
        if not ks:
            raise ModelFailed(f"a sentence cites no retrieved excerpt: {bare[:80]!r}", "uncited")
        parts.append(rewritten)
        cited.append((bare, sorted(set(ks))))
    if not parts:
        raise ModelFailed("the answer is empty", "uncited")
    citations = []
    for sid, n in numbers.items():
        h = first_hit[sid]
        sents = sentences(h.chunk)
        citations.append(Citation(n=n, section_id=sid, title=h.chunk.section_title,
                                  snippet=" ".join(sents[:2]) if sents else plain(h.chunk.text)[:300],
                                  score=round(h.similarity, 4), anchor=h.chunk.anchor, chunk_id=h.chunk.id))
    return Grounded(" ".join(parts), citations, removed, cited)


class LLMAnswerer:
    """Implements the Answerer protocol with a model; the extractive answerer retrieves, declines and stands in."""

    def __init__(self, model: AnswerModel, prompts: AnswerPrompts, fallback: ExtractiveAnswerer,
                 max_excerpts: int = MAX_EXCERPTS, support: SupportCheck | None = None) -> None:
        self.model = model
        self.prompts = prompts
        self.fallback = fallback
        self.max_excerpts = max_excerpts
        self.support = support or SupportCheck.load(fallback.retriever.lexical)

    def check(self, text: str, hits: list[Hit], tag: str) -> Grounded:
        """Every check a reply must pass before it is shown; raises ModelFailed with the reason."""
        if REFUSAL.search(text):
            raise ModelFailed("the model refused or said the excerpts do not answer", "refusal")
        if tag in text or echoes_prompt(text, self.prompts.texts):
            raise ModelFailed("the reply repeats prompt text or fence markers", "echo")
        g = ground(text, hits)
        matrix = self.fallback.retriever.sentences
        index = {c.id: i for i, c in enumerate(self.fallback.retriever.chunks)}
        claim_vecs = self.fallback.retriever.embedder.embed([s for s, _ in g.cited])
        for (claim, ks), vec in zip(g.cited, claim_vecs):
            chunks = [hits[k - 1].chunk for k in ks]
            passage = " ".join(plain(c.text) for c in chunks)
            pvecs = np.vstack([matrix.of_chunk(index[c.id]) for c in chunks])
            score = self.support.score(claim, vec, passage, pvecs)
            if not self.support.supported(score):
                raise ModelFailed(f"unsupported by its citation ({score:.2f}): {claim[:80]!r}", "unsupported")
        return g

    def request(self, question: str, prepared: Prepared) -> tuple[list[Hit], list[Message], str]:
        """What the model is sent for a question the extractive answerer found answerable: the excerpts it may
        cite, the messages, and the fence's tag (which the reply must not repeat)."""
        hits = prepared.retrieval.hits[:self.max_excerpts]
        fenced, tag = self.model.fence(question, "QUESTION")
        messages = [{"role": "system", "content": self.prompts.system},
                    {"role": "user", "content": self.prompts.render_user(excerpts=excerpts(hits), tag=tag,
                                                                         question=fenced)}]
        return hits, messages, tag

    @staticmethod
    def declined(base: GuideAnswer) -> LLMGuideAnswer:
        """The extractive decline, as is: no model is asked about a question the guide does not cover."""
        return LLMGuideAnswer(base.answer, False, base.citations, base.nearest)

    def degraded(self, base: GuideAnswer, err: ModelFailed) -> LLMGuideAnswer:
        """The extractive answer in place of a reply that failed, reported to the model's fault accounting."""
        self.model.fell_back(err.reason, str(err))
        return LLMGuideAnswer(base.answer, base.grounded, base.citations, base.nearest, degraded=True,
                              degraded_reason=f"answerer: {err.reason}")

    @staticmethod
    def accepted(g: Grounded, base: GuideAnswer) -> LLMGuideAnswer:
        """A reply that passed every check, with a flag for each invalid citation that was removed."""
        flags = [f"{g.removed} citation{'s' if g.removed > 1 else ''} pointing to no retrieved excerpt "
                 f"{'were' if g.removed > 1 else 'was'} removed."] if g.removed else []
        return LLMGuideAnswer(g.answer, grounded=True, citations=g.citations, nearest=base.nearest, flags=flags)

    def answer(self, question: str) -> LLMGuideAnswer:
        prepared = self.fallback.prepare(question)
        base = prepared.answer
        if not base.grounded:
            return self.declined(base)
        hits, messages, tag = self.request(question, prepared)
        try:
            g = self.check(self.model.complete(messages), hits, tag)
        except ModelFailed as err:
            return self.degraded(base, err)
        return self.accepted(g, base)
