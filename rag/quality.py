"""Quality on a labelled question set: retrieval (recall@k, MRR per mode) and answers (fact recall, length,
declines, false declines of defined terms)."""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rag.retrieval import HybridRetriever, Mode

if TYPE_CHECKING:
    from rag.answerer import ExtractiveAnswerer, Prepared


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    section_ids: tuple[str, ...]
    answerable: bool
    # Facts a good answer contains: each fact is a tuple of alternative substrings (case-insensitive).
    facts: tuple[tuple[str, ...], ...] = ()
    kind: str = "question"  # question | definition | off_topic | near_miss
    term: str = ""

    @property
    def writer(self) -> str:
        """The batch the question was written in, by one hand: its id's prefix ("L" for "L-014")."""
        return self.id.split("-", 1)[0]


def load_qa(path: Path) -> list[QAItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            facts = tuple((f,) if isinstance(f, str) else tuple(f) for f in d.get("facts", []))
            items.append(QAItem(d["id"], d["question"], tuple(d.get("section_ids", [])), bool(d["answerable"]),
                                facts, d.get("kind", "question" if d["answerable"] else "off_topic"),
                                d.get("term", "")))
        except (json.JSONDecodeError, KeyError) as exc:
            raise ValueError(f"{path}:{n}: bad guide QA row ({exc})") from None
    return items


@dataclass(frozen=True)
class ModeReport:
    mode: Mode
    recall: dict[int, float]
    mrr: float
    decline_threshold: float
    decline_precision: float
    decline_recall: float
    n_answerable: int
    n_off_guide: int


@dataclass(frozen=True)
class Scored:
    item: QAItem
    sections: list[str]
    confidence: float


def score_items(retriever: HybridRetriever, items: list[QAItem], mode: Mode, k: int = 5) -> list[Scored]:
    """Rank sections for each item (deduplicating chunks of one section) and record the decline signal; questions
    are expanded as the guide answerer expands them."""
    out = []
    for it in items:
        r = retriever.search(it.question, k=k * 4, mode=mode, expand=True)
        out.append(Scored(it, r.sections()[:k], r.confidence))
    return out


def best_threshold(scored: list[Scored]) -> float:
    """The midpoint of the widest gap that best separates answerable from off-guide confidences.

    Picks the cut with the fewest mistakes; ties go to the widest gap so the boundary sits far from both
    groups and tolerates unseen questions.
    """
    vals = sorted({s.confidence for s in scored})
    cuts = [(a + b) / 2 for a, b in zip(vals, vals[1:])] or [vals[0] if vals else 0.0]

    def errors(t: float) -> int:
        return sum((s.confidence < t) == s.item.answerable for s in scored)

    def gap(t: float) -> float:
        below = max((v for v in vals if v < t), default=t)
        above = min((v for v in vals if v >= t), default=t)
        return above - below

    return min(cuts, key=lambda t: (errors(t), -gap(t)))


def report(scored: list[Scored], mode: Mode, threshold: float, ks: tuple[int, ...] = (1, 3, 5)) -> ModeReport:
    ans = [s for s in scored if s.item.answerable]
    off = [s for s in scored if not s.item.answerable]
    recall = {k: sum(bool(set(s.sections[:k]) & set(s.item.section_ids)) for s in ans) / max(len(ans), 1)
              for k in ks}
    rr = []
    for s in ans:
        ranks = [i for i, sid in enumerate(s.sections, 1) if sid in s.item.section_ids]
        rr.append(1 / ranks[0] if ranks else 0.0)
    declined = [s for s in scored if s.confidence < threshold]
    tp = sum(not s.item.answerable for s in declined)
    return ModeReport(mode, recall, sum(rr) / max(len(rr), 1), threshold,
                      tp / len(declined) if declined else 1.0, tp / len(off) if off else 1.0, len(ans), len(off))


def format_table(reports: list[ModeReport]) -> str:
    head = "| mode | recall@1 | recall@3 | recall@5 | MRR | decline threshold | decline precision | decline recall |"
    rows = [head, "|" + "---|" * 8]
    for r in reports:
        rows.append(f"| {r.mode.value} | {r.recall[1]:.3f} | {r.recall[3]:.3f} | {r.recall[5]:.3f} | {r.mrr:.3f} | "
                    f"{r.decline_threshold:.3f} | {r.decline_precision:.3f} | {r.decline_recall:.3f} |")
    return "\n".join(rows)


_CITE = re.compile(r"\s*\[\d+\]")
_SENT_END = re.compile(r"\[\d+\](?:\s|$)")


def facts_found(answer: str, facts: Iterable[tuple[str, ...]]) -> tuple[int, int]:
    """(facts present, facts expected): a fact is present when any of its alternatives occurs in the answer."""
    text = _CITE.sub("", answer).lower()
    facts = list(facts)
    return sum(any(a.lower() in text for a in f) for f in facts), len(facts)


@dataclass(frozen=True)
class AnswerReport:
    """End-to-end answer quality on one question set."""

    name: str
    fact_recall: float
    median_sentences: float
    decline_precision: float
    decline_recall: float
    false_declines_defined: int
    n_answerable: int
    n_with_facts: int
    n_definitions: int
    n_off_guide: int
    n_near_misses: int
    misses: list[str] = field(default_factory=list)  # ids of answers missing a fact or wrongly declined/answered


def answer_report(answerer: ExtractiveAnswerer, items: list[QAItem], name: str) -> AnswerReport:
    prepared: list[tuple[QAItem, Prepared]] = [(it, answerer.prepare(it.question)) for it in items]
    return summarise(prepared, name)


def summarise(prepared: list[tuple[QAItem, Prepared]], name: str) -> AnswerReport:
    found = total = 0
    lengths: list[int] = []
    misses: list[str] = []
    for it, p in prepared:
        if p.answer.grounded:
            lengths.append(len(_SENT_END.findall(p.answer.answer)))
        if it.answerable and it.facts:
            f, n = facts_found(p.answer.answer if p.answer.grounded else "", it.facts)
            found, total = found + f, total + n
            if f < n:
                misses.append(it.id)
        elif p.answer.grounded != it.answerable:
            misses.append(it.id)
    declined = [it for it, p in prepared if not p.answer.grounded]
    off = [it for it, _ in prepared if not it.answerable]
    tp = sum(not it.answerable for it in declined)
    return AnswerReport(
        name, found / total if total else 1.0, float(statistics.median(lengths)) if lengths else 0.0,
        tp / len(declined) if declined else 1.0, tp / len(off) if off else 1.0,
        sum(it.kind == "definition" for it in declined), sum(it.answerable for it in items_of(prepared)),
        sum(bool(it.facts) for it in items_of(prepared)), sum(it.kind == "definition" for it in items_of(prepared)),
        len(off), sum(it.kind == "near_miss" for it in off), misses)


def items_of(prepared: list[tuple[QAItem, Prepared]]) -> list[QAItem]:
    return [it for it, _ in prepared]


def format_answers(reports: list[AnswerReport]) -> str:
    rows = ["| set | answerable (with facts, definitions) | off-guide (near misses) | fact recall | "
            "median sentences | decline precision | decline recall | false declines of defined terms |",
            "|" + "---|" * 8]
    for r in reports:
        rows.append(f"| {r.name} | {r.n_answerable} ({r.n_with_facts}, {r.n_definitions}) | {r.n_off_guide} "
                    f"({r.n_near_misses}) | {r.fact_recall:.3f} | {r.median_sentences:g} | "
                    f"{r.decline_precision:.3f} | {r.decline_recall:.3f} | {r.false_declines_defined} |")
    return "\n".join(rows)
