"""A BM25 index over chunks (the bm25s library): exact terms (names, numbers, acronyms) that dense vectors blur.

Tokens are ours: lower-cased words without stopwords or contractions, with a light suffix stemmer, so that the
guide's 'labels'/'labelling'/'labeled' meet. The index, the scoring and the sparse matrix behind them are bm25s's.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import dataclass

import bm25s
import numpy as np

# bm25s sets its own logger to DEBUG when imported, which would print a line per index built; ours decide.
logging.getLogger("bm25s").setLevel(logging.WARNING)

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
    """Okapi BM25 (bm25s, Lucene's variant: idf = ln(1 + (N - df + 0.5) / (df + 0.5))) over our own tokens, so the
    stemming above decides what matches. Scores carry the classic (k1 + 1) factor, which bm25s leaves out, so that a
    document of average length holding a term once scores that term's idf and `ideal` scales BM25 to about 0-1."""

    def __init__(self, texts: list[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        docs = [tokenize(t) for t in texts]
        self._n = len(docs)
        self._bm25 = bm25s.BM25(k1=k1, b=b, method="lucene", idf_method="lucene", dtype="float64")
        if docs:
            self._bm25.index(docs, show_progress=False)
        df: Counter[str] = Counter()
        for d in docs:
            df.update(set(d))
        self._idf = {t: math.log(1 + (self._n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._max_idf = max(self._idf.values(), default=1.0)

    def __len__(self) -> int:
        return self._n

    def scores(self, query: str) -> np.ndarray:
        """BM25 of every document for the query's distinct terms (a repeated query word counts once)."""
        terms = [t for t in dict.fromkeys(tokenize(query)) if t in self._idf]
        if not terms:
            return np.zeros(self._n)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float64) * (self.k1 + 1)

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
