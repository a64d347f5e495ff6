"""Does ONNX Runtime give the same embeddings as torch, faster, on this machine? (issue 14)

The bundled all-MiniLM-L6-v2 is exported locally with torch.onnx (no download), run with onnxruntime on the CPU
with the same tokenizer, mean pooling and L2 normalisation as sentence-transformers, and compared with the torch
embeddings: the largest absolute difference over every guide chunk and sentence, and the throughput of each on
the same batches (guide chunks, as ingestion sees them; short sentences, as grading and queries see them).

    python -m benchmarks.onnx_bench

The app adopts ONNX only if it is the same (max abs diff <= 1e-4) and faster; the figures are in the README.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._util import ROOT
from rag.chunking import chunk_guide
from rag.embedder import BUNDLED_MODEL, _resolve
from rag.guide import load_guide
from rag.text import sentences

log = logging.getLogger("bench")
TOLERANCE = 1e-4


def export(model: Any, path: Path) -> None:
    """The transformer body to ONNX with dynamic batch and sequence axes; pooling stays in numpy."""
    import torch

    body = getattr(model[0], "auto_model").eval()  # noqa: B009

    class Body(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = body

        def forward(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
            return self.body(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state  # type: ignore[no-any-return]

    enc = model.tokenizer(["an example", "a slightly longer example sentence"], padding=True, return_tensors="pt")
    axes = {"b": 0, "s": 1}
    dyn = {n: {axes["b"]: "batch", axes["s"]: "seq"} for n in ("ids", "mask", "types", "hidden")}
    torch.onnx.export(Body(), (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]), str(path),
                      input_names=["ids", "mask", "types"], output_names=["hidden"], dynamic_axes=dyn,
                      opset_version=17, dynamo=False)


class OnnxEmbedder:
    def __init__(self, path: Path, tokenizer: Any, max_len: int, threads: int) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.tokenizer, self.max_len = tokenizer, max_len

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        # Sorted by length like sentence-transformers, so both pad the same batches.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=self.max_len,
                                 return_tensors="np")
            hidden = self.session.run(None, {"ids": enc["input_ids"].astype(np.int64),
                                             "mask": enc["attention_mask"].astype(np.int64),
                                             "types": enc["token_type_ids"].astype(np.int64)})[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            out[idx] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return out


def _rate(fn: Any, texts: list[str], repeats: int) -> float:
    fn(texts[:8])  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(texts)
        best = min(best, time.perf_counter() - t0)
    return len(texts) / best


def run(repeats: int, threads: int) -> dict[str, float]:
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(str(_resolve(BUNDLED_MODEL)), device="cpu")
    chunks = chunk_guide(load_guide(ROOT / "content" / "guide"))
    long_texts = [c.embed_text for c in chunks]
    short = [s for c in chunks for s in sentences(c)][:400]

    def torch_embed(texts: list[str]) -> np.ndarray:
        return np.asarray(model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                       show_progress_bar=False), dtype=np.float32)

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "minilm.onnx"
        t0 = time.perf_counter()
        export(model, path)
        export_s = time.perf_counter() - t0
        onnx = OnnxEmbedder(path, model.tokenizer, model.max_seq_length or 256, threads)
        diff = max(float(np.abs(torch_embed(t) - onnx.embed(t)).max()) for t in (long_texts, short))
        out = {"export_s": export_s, "max_abs_diff": diff, "chunks": len(long_texts), "sentences": len(short),
               "torch_chunks_per_s": _rate(torch_embed, long_texts, repeats),
               "onnx_chunks_per_s": _rate(onnx.embed, long_texts, repeats),
               "torch_sentences_per_s": _rate(torch_embed, short, repeats),
               "onnx_sentences_per_s": _rate(onnx.embed, short, repeats)}
    return out


def report(r: dict[str, float]) -> str:
    same = r["max_abs_diff"] <= TOLERANCE
    faster = r["onnx_chunks_per_s"] > r["torch_chunks_per_s"] and r["onnx_sentences_per_s"] > r["torch_sentences_per_s"]
    verdict = "adopt" if same and faster else "keep torch"
    return "\n".join([
        f"ONNX Runtime vs torch (all-MiniLM-L6-v2 exported locally in {r['export_s']:.1f} s): max abs diff "
        f"{r['max_abs_diff']:.2e} ({'within' if same else 'over'} {TOLERANCE:g})",
        "| texts | torch /s | onnxruntime /s | onnx vs torch |", "|---|---|---|---|",
        f"| {r['chunks']:.0f} guide chunks (~200 words) | {r['torch_chunks_per_s']:.1f} | "
        f"{r['onnx_chunks_per_s']:.1f} | {r['onnx_chunks_per_s'] / r['torch_chunks_per_s']:.2f}x |",
        f"| {r['sentences']:.0f} sentences | {r['torch_sentences_per_s']:.0f} | {r['onnx_sentences_per_s']:.0f} | "
        f"{r['onnx_sentences_per_s'] / r['torch_sentences_per_s']:.2f}x |",
        f"Verdict: {verdict} (adopted only if the same and faster on both).",
    ])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.onnx_bench", description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    sys.stdout.write(report(run(args.repeats, args.threads)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
