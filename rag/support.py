"""Is a sentence supported by the passage it cites? A lexical and an embedding check, with a fitted threshold.

An LLM answer may only say what its cited excerpts say. Each of its sentences is compared with the sentences of
the excerpts it cites: the lexical score is the idf-weighted share of the sentence's content words found in the
cited excerpts, and the embedding score is the best cosine similarity to one of their sentences. Their mean must
clear a threshold fitted by `python -m rag calibrate` on pairs built from the guide itself (rag/data/support.json):
a guide sentence restated in part (its first 60% of words) against its own passage is supported; a sentence from
another section against that passage is not. Refusals and echoes of the prompt are recognised by pattern.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.lexical import BM25Index, tokenize

SUPPORT_FILE = Path(__file__).parent / "data" / "support.json"
DEFAULT_THRESHOLD = 0.55  # used until `python -m rag calibrate --write` has run

# Phrases a model uses to refuse or to say it cannot answer; any of them turns the reply into the fallback.
REFUSAL = re.compile(
    r"NOT_IN_GUIDE|\bI(?:'m| am) (?:sorry|unable|not able)\b|\bI (?:cannot|can't|can not|don't know)\b|"
    r"\b(?:is|are) not (?:available|provided|mentioned|covered)\b|\bno (?:information|answer) (?:is )?"
    r"(?:available|provided|given)\b|\bas an AI\b|\bthe (?:excerpts|guide|passages) (?:do|does) not\b", re.I)
# Prompt scaffolding that must never reach the reader: fence markers, nonce tags and the prompt's own wording.
_MARKERS = re.compile(r"<<<|>>>|\b[A-Z]{3,}-[0-9a-f]{6,}\b|fence markers?|\bexcerpts? from the guide\b", re.I)


def sentence_split(text: str) -> list[str]:
    """Sentences of a model reply; a citation run after the full stop stays with its sentence."""
    text = re.sub(r"\s+", " ", text).strip()
    parts = re.split(r"(?<=[.!?])(?:\s*(?:\[\d+\])+)?\s+(?=[A-Z0-9\"'(\[])", text)
    # Re-attach the citations the split consumed: split on the boundary only, keeping trailing citations.
    out: list[str] = []
    pos = 0
    for p in parts:
        start = text.find(p, pos)
        if out and start > pos:
            out[-1] += text[pos:start].rstrip()
        out.append(p)
        pos = start + len(p)
    if out and pos < len(text):
        out[-1] += text[pos:]
    return [s.strip() for s in out if s.strip()]


def echoes_prompt(text: str, prompt_texts: Sequence[str], n: int = 7) -> bool:
    """True when the reply shows fence markers or nonce tags, or repeats n words in a row of the prompt's
    instructions."""
    if _MARKERS.search(text):
        return True
    words = re.findall(r"[a-z0-9']+", text.lower())
    grams = {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}
    for p in prompt_texts:
        pw = re.findall(r"[a-z0-9']+", p.lower())
        if any(" ".join(pw[i:i + n]) in grams for i in range(len(pw) - n + 1)):
            return True
    return False


@dataclass(frozen=True)
class SupportCheck:
    """Scores a claim against passages; `supported` applies the fitted threshold."""

    lexical: BM25Index
    threshold: float = DEFAULT_THRESHOLD

    @classmethod
    def load(cls, lexical: BM25Index, path: Path = SUPPORT_FILE) -> SupportCheck:
        if not path.exists():
            return cls(lexical)
        return cls(lexical, float(json.loads(path.read_text(encoding="utf-8"))["threshold"]))

    def score(self, claim: str, claim_vec: np.ndarray, passage_text: str, passage_vecs: np.ndarray) -> float:
        terms = set(tokenize(claim))
        if not terms:
            return 0.0
        found = set(tokenize(passage_text))
        total = sum(self.lexical.idf(t) for t in terms)
        lex = sum(self.lexical.idf(t) for t in terms if t in found) / total
        dense = float((passage_vecs @ claim_vec).max()) if len(passage_vecs) else 0.0
        return 0.5 * lex + 0.5 * dense

    def supported(self, score: float) -> bool:
        return score >= self.threshold


def fit_threshold(scores_pos: list[float], scores_neg: list[float]) -> tuple[float, float]:
    """The cut with the best balanced accuracy, placed mid-way in the gap it sits in (so that paraphrases a bit
    looser than the fitting pairs still pass); returns (threshold, balanced accuracy)."""
    values = sorted(set(scores_pos) | set(scores_neg))
    cuts = [(a + b) / 2 for a, b in zip(values, values[1:])] or [DEFAULT_THRESHOLD]
    best = (DEFAULT_THRESHOLD, 0.0)
    for t in cuts:
        tpr = sum(s >= t for s in scores_pos) / max(len(scores_pos), 1)
        tnr = sum(s < t for s in scores_neg) / max(len(scores_neg), 1)
        if (tpr + tnr) / 2 > best[1]:
            best = (t, (tpr + tnr) / 2)
    # Among equally good cuts, take the middle one: the widest margin on both sides.
    ties = [t for t in cuts if abs(_bacc(t, scores_pos, scores_neg) - best[1]) < 1e-9]
    return round(ties[len(ties) // 2], 4), round(best[1], 4)


def _bacc(t: float, pos: list[float], neg: list[float]) -> float:
    return (sum(s >= t for s in pos) / max(len(pos), 1) + sum(s < t for s in neg) / max(len(neg), 1)) / 2


def save_threshold(threshold: float, accuracy: float, n: int, path: Path = SUPPORT_FILE) -> None:
    path.write_text(json.dumps({"threshold": threshold, "balanced_accuracy": accuracy, "pairs": n}, indent=2)
                    + "\n", encoding="utf-8")
