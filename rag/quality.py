"""Retrieval quality on a labelled question set: recall@k, MRR, and how well declining works, per mode."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rag.retrieval import HybridRetriever, Mode


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    section_ids: tuple[str, ...]
    answerable: bool


def load_qa(path: Path) -> list[QAItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            items.append(QAItem(d["id"], d["question"], tuple(d.get("section_ids", [])), bool(d["answerable"])))
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
    """Rank sections for each item (deduplicating chunks of one section) and record the decline signal."""
    out = []
    for it in items:
        r = retriever.search(it.question, k=k * 4, mode=mode)
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
