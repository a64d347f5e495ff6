"""Hybrid retrieval: BM25, dense chunk search and dense sentence search fused by reciprocal rank.

Fusing ranks rather than scores sidesteps calibrating BM25 against cosine. The dense similarity of the best
chunk is kept separately as a confidence signal for declining, since rank fusion has no absolute scale.

The sentence list ranks each chunk by its best-matching sentence. A chunk's vector averages several topics, so
a question about one sentence of it ("what should the product do when the model is unsure?") can rank the chunk
low; its own sentence still matches closely. On the calibration set this lifted hybrid recall@1 (see README).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import zipfile
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import numpy as np

from rag.chunking import Chunk
from rag.embedder import Embedder
from rag.expansion import QueryExpander, default_expander
from rag.lexical import BM25Index
from rag.store import VectorStore
from rag.text import Sentence, split

log = logging.getLogger(__name__)

RRF_K = 60  # the constant from Cormack et al. (2009); damps the weight of top ranks so neither list dominates
# Equal votes for both lists: down-weighting BM25 (0.3-0.8) lowered recall@5 on the calibration set.
LEXICAL_WEIGHT = 1.0
SENTENCE_WEIGHT = 0.5  # the best-sentence list votes like the other two


class Mode(str, Enum):
    bm25 = "bm25"
    dense = "dense"
    hybrid = "hybrid"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # the mode's own ranking score (BM25, cosine, or RRF)
    similarity: float  # cosine similarity of query and chunk, 0 if the dense side did not see it


@dataclass(frozen=True)
class Retrieval:
    query: str
    mode: Mode
    hits: list[Hit]
    confidence: float  # best dense similarity (dense/hybrid) or BM25 term coverage (bm25)
    lexical_top: float = 0.0  # the best BM25 score as a share of the query's ideal score (hybrid only)
    qvec: np.ndarray | None = field(default=None, compare=False, repr=False)  # the embedded query, reused
    # cosine similarity per chunk index for the dense side's candidates, so answering need not query again
    chunk_sims: dict[int, float] = field(default_factory=dict, compare=False, repr=False)
    searched: str = ""  # the text actually searched: the query, or the query with its expansion (rag/expansion.py)

    def sections(self) -> list[str]:
        """Section ids in rank order of their best chunk."""
        seen: dict[str, None] = {}
        for h in self.hits:
            seen.setdefault(h.chunk.section_id, None)
        return list(seen)


class SentenceMatrix:
    """Every guide sentence, embedded once (lazily, or ahead of traffic with `warm`); rows grouped by chunk.

    Each sentence is embedded twice: alone, and in its window (with the sentences either side of it in the same
    chunk). The window carries the context a short sentence leaves implicit ("That is a normal outcome"), which
    lifted the rank of the sentence holding an expected fact on the calibration set (rag/compose.py).
    """

    def __init__(self, chunks: list[Chunk], embedder: Embedder) -> None:
        self.embedder = embedder
        self.sentences: list[list[Sentence]] = [split(c) for c in chunks]
        self.owner = np.array([i for i, ss in enumerate(self.sentences) for _ in ss], dtype=np.int64)
        starts = np.cumsum([0] + [len(ss) for ss in self.sentences])
        self._start = starts
        self._all: np.ndarray | None = None  # sentences, then windows: 2N rows
        self._lock = threading.Lock()

    def window_texts(self) -> list[str]:
        out = []
        for ss in self.sentences:
            for k in range(len(ss)):
                out.append(" ".join(s.text for s in ss[max(0, k - 1):k + 2]))
        return out

    def _embedded(self) -> np.ndarray:
        if self._all is None:
            with self._lock:
                if self._all is None:
                    texts = [s.text for ss in self.sentences for s in ss]
                    self._all = (self.embedder.embed(texts + self.window_texts()) if texts
                                 else np.zeros((0, 1)))
        return self._all

    @property
    def vectors(self) -> np.ndarray:
        """One row per sentence."""
        return self._embedded()[:len(self.owner)]

    @property
    def windows(self) -> np.ndarray:
        """One row per sentence: the sentence with its neighbours in the chunk."""
        return self._embedded()[len(self.owner):]

    def key(self) -> str:
        """What the vectors depend on: the embedder, every sentence's text and the window layout."""
        h = hashlib.sha256(f"{self.embedder.name}@{self.embedder.version}|windows-1".encode())
        for ss in self.sentences:
            for s in ss:
                h.update(s.text.encode() + b"\0")
        return h.hexdigest()

    def warm(self, cache: Path | None = None) -> None:
        """Embed every sentence now, not on the first question. With `cache`, a restart reads the vectors back
        from disk (about 20 s of embedding on two cores) whenever the guide and the embedder are unchanged."""
        if cache is None:
            self._embedded()
            return
        key = self.key()
        if self._all is None and cache.exists():
            try:
                with np.load(cache, allow_pickle=False) as f:
                    if str(f["key"]) == key and len(f["vectors"]) == 2 * len(self.owner):
                        self._all = f["vectors"]
                        return
            except (OSError, ValueError, KeyError, zipfile.BadZipFile):
                log.warning("ignoring an unreadable sentence-vector cache at %s", cache)
        vecs = self._embedded()
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp.npz")  # workers sharing DATA_DIR never share a tmp
        np.savez(tmp, key=np.array(key), vectors=vecs)
        tmp.replace(cache)

    def of_chunk(self, i: int) -> np.ndarray:
        return self.vectors[self._start[i]:self._start[i + 1]]

    def best_per_chunk(self, qvec: np.ndarray) -> list[tuple[int, float]]:
        """Chunks ranked by their best sentence's cosine similarity to the query."""
        return self.rank_chunks(self.vectors @ qvec if len(self.owner) else np.zeros(0))

    def rank_chunks(self, sims: np.ndarray) -> list[tuple[int, float]]:
        """Chunks ranked by their best sentence's score in `sims` (one value per sentence)."""
        if not len(sims):
            return []
        best = np.full(len(self.sentences), -np.inf)
        np.maximum.at(best, self.owner, sims)
        order = np.lexsort((np.arange(len(best)), -best))
        return [(int(i), float(best[i])) for i in order if np.isfinite(best[i])]


class HybridRetriever:
    """Searches the chunks in one of three modes; the chunk list is the lexical index's and the store's order."""

    def __init__(self, chunks: list[Chunk], embedder: Embedder, store: VectorStore, candidates: int = 30,
                 lexical_weight: float = LEXICAL_WEIGHT, expander: QueryExpander | None = None) -> None:
        self.chunks = chunks
        self.expander = expander or default_expander()
        self._by_id = {c.id: i for i, c in enumerate(chunks)}
        self.embedder = embedder
        self.store = store
        self.lexical = BM25Index([c.embed_text for c in chunks])
        self.candidates = candidates
        self.lexical_weight = lexical_weight
        self.sentences = SentenceMatrix(chunks, embedder)

    def embed_query(self, query: str) -> np.ndarray:
        vec: np.ndarray = self.embedder.embed([query])[0]
        return vec

    def _dense(self, qvec: np.ndarray) -> list[tuple[int, float]]:
        out = []
        for h in self.store.query(qvec, self.candidates):
            i = self._by_id.get(h.id)
            if i is not None:  # ignore store entries from content that is no longer loaded
                out.append((i, h.similarity))
        return out

    def search(self, query: str, k: int = 5, mode: Mode | str = Mode.hybrid, expand: bool = False) -> Retrieval:
        """Rank chunks for `query`; the query is embedded once and returned with the result for reuse. With
        `expand`, a guide question's everyday phrases add the glossary terms they stand for (guide answers and
        their evaluation use it; other callers search their own text as it is)."""
        mode = Mode(mode)
        asked, query = query, (self.expander.expand(query) if expand else query)
        if mode is Mode.bm25:
            lex = self.lexical.search(query, k)
            hits = [Hit(self.chunks[h.index], h.score, 0.0) for h in lex]
            return Retrieval(asked, mode, hits, self.lexical.coverage(query), searched=query)
        qvec = self.embed_query(query)
        dense = self._dense(qvec)
        sims = dict(dense)
        confidence = max(sims.values(), default=0.0)
        if mode is Mode.dense:
            hits = [Hit(self.chunks[i], s, s) for i, s in dense[:k]]
            return Retrieval(asked, mode, hits, confidence, qvec=qvec, chunk_sims=sims, searched=query)
        fused: dict[int, float] = {}
        for rank, (i, _) in enumerate(dense):
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        lex = self.lexical.search(query, self.candidates)
        for rank, h in enumerate(lex):
            fused[h.index] = fused.get(h.index, 0.0) + self.lexical_weight / (RRF_K + rank + 1)
        for rank, (i, _) in enumerate(self.sentences.best_per_chunk(qvec)[:self.candidates]):
            fused[i] = fused.get(i, 0.0) + SENTENCE_WEIGHT / (RRF_K + rank + 1)
        order = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        hits = [Hit(self.chunks[i], fused[i], sims.get(i, 0.0)) for i in order]
        top = lex[0].score / self.lexical.ideal(query) if lex else 0.0
        return Retrieval(asked, mode, hits, confidence, lexical_top=top, qvec=qvec, chunk_sims=sims,
                         searched=query)
