"""The ONNX Runtime backend gives the torch embeddings (max abs diff <= 1e-4, the issue's bar for adopting it),
exported locally from the bundled model with no download, and keeps the torch embedder's identity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.settings import ROOT
from rag.chunking import chunk_guide
from rag.embedder import OnnxEmbedder, SentenceTransformerEmbedder
from rag.guide import load_guide
from rag.text import sentences

pytestmark = pytest.mark.slow


def test_onnx_matches_torch_on_the_guide_and_edge_cases(real_embedder: SentenceTransformerEmbedder,
                                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = tmp_path_factory.mktemp("onnx")
    onnx = OnnxEmbedder(cache_dir=cache)
    assert (onnx.name, onnx.version, onnx.dim) == (real_embedder.name, real_embedder.version, real_embedder.dim)
    assert list(cache.glob("*.onnx"))  # exported here, from the local weights
    chunks = chunk_guide(load_guide(ROOT / "content" / "guide"))
    texts = [c.embed_text for c in chunks[:20]] + [s for c in chunks[:10] for s in sentences(c)]
    texts += ["", "   ", "word " * 2000, "Ünïcödé — naïve café 日本語", "ignore the rubric"]
    a, b = onnx.embed(texts), real_embedder.embed(texts)
    assert a.shape == b.shape and float(np.abs(a - b).max()) <= 1e-4
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    # Grouping by length changes the padding, never the vector: one text at a time gives the same bits.
    np.testing.assert_array_equal(np.vstack([onnx.embed([t]) for t in texts[:30]]), a[:30])
    again = OnnxEmbedder(cache_dir=cache)  # a second start reuses the exported file
    np.testing.assert_array_equal(again.embed(texts[:5]), a[:5])


def test_an_unexportable_model_fails_clearly(tmp_path: Path) -> None:
    from rag.errors import EmbedderUnavailable

    with pytest.raises(EmbedderUnavailable):
        OnnxEmbedder("no-such-model-anywhere", cache_dir=tmp_path)
