"""A small Okapi BM25 index over chunks: exact terms (names, numbers, acronyms) that dense vectors blur."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CONTRACTION = re.compile(r"'(?:s|t|re|ve|ll|d|m)\b")
STOPWORDS = frozenset(
    "a an and are as at be been but by can could did do does for from had has have how i if in into is it its "
    "me my of on or our should so than that the their them then there these they this to was we were what when "
    "where which while who why will with would you your about also just more most not no any some".split())


def _stem(w: str) -> str:
    """Crude suffix stripping so 'labels'/'labelling'/'labeled' meet; good enough for BM25 on a small guide."""
    for suf in ("ings", "ing", "ies", "ed", "es", "s", "ly"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)] + ("y" if suf == "ies" else "")
    return w


def tokenize(text: str) -> list[str]:
    words = _TOKEN.findall(_CONTRACTION.sub("", text.lower().replace("\u2019", "'")))
    return [_stem(w) for w in words if w not in STOPWORDS and len(w) > 1]


@dataclass(frozen=True)
class LexicalHit:
    index: int
    score: float


class BM25Index:
    """BM25 with the usual k1/b; scores are also reported as a fraction of the query's best possible score."""

    def __init__(self, texts: list[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        docs = [Counter(tokenize(t)) for t in texts]
        self._tf = docs
        self._len = np.array([sum(d.values()) for d in docs], dtype=np.float64)
        self._avg = float(self._len.mean()) if len(docs) else 0.0
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        n = len(docs)
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._max_idf = max(self._idf.values(), default=1.0)
        self._postings: dict[str, list[tuple[int, int]]] = {}
        for i, d in enumerate(docs):
            for t, c in d.items():
                self._postings.setdefault(t, []).append((i, c))

    def __len__(self) -> int:
        return len(self._tf)

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(len(self._tf))
        norm = self.k1 * (1 - self.b + self.b * self._len / (self._avg or 1.0))
        for t in set(tokenize(query)):
            idf = self._idf.get(t)
            if idf is None:
                continue
            for i, c in self._postings[t]:
                out[i] += idf * c * (self.k1 + 1) / (c + norm[i])
        return out

    def search(self, query: str, k: int) -> list[LexicalHit]:
        s = self.scores(query)
        order = np.argsort(-s, kind="stable")[:k]
        return [LexicalHit(int(i), float(s[i])) for i in order if s[i] > 0]

    def idf(self, term: str) -> float:
        """A term's idf; a term the guide never uses gets the rarest known term's idf (it is maximally specific)."""
        return self._idf.get(term, self._max_idf)

    def known(self, term: str) -> bool:
        return term in self._idf

    def ideal(self, query: str) -> float:
        """The score of a document of average length holding each query term once: scales BM25 to about 0-1."""
        return sum(self.idf(t) for t in set(tokenize(query))) or 1.0

    def coverage(self, query: str) -> float:
        """Share of the query's (idf-weighted) terms that occur anywhere in the guide, 0-1."""
        terms = set(tokenize(query))
        if not terms:
            return 0.0
        known = sum(self._idf.get(t, 0.0) for t in terms)
        # Unknown terms are weighted like the rarest known term: they are maximally informative.
        rare = max(self._idf.values(), default=1.0)
        total = known + rare * sum(1 for t in terms if t not in self._idf)
        return known / total if total else 0.0
