"""Retrieval over the guide: chunking, embedding, the Chroma store, hybrid search and cited answers."""

from rag.answerer import DEFAULT_MIN_SIMILARITY, Answerer, Citation, ExtractiveAnswerer, GuideAnswer, NearSection
from rag.chunking import Chunk, chunk_guide, chunk_section
from rag.embedder import BUNDLED_MODEL, Embedder, SentenceTransformerEmbedder
from rag.errors import EmbedderUnavailable, GuideFormatError, RagError, SectionNotFound, StoreUnavailable
from rag.glossary import Glossary, Term
from rag.guide import GuideSection, load_guide, parse_section
from rag.index import GuideIndex, build_index
from rag.ingest import IngestPlan, IngestReport, ingest, plan_ingest
from rag.lexical import BM25Index, tokenize
from rag.retrieval import HybridRetriever, Mode, Retrieval
from rag.store import ChromaStore, VectorStore

__all__ = [
    "BUNDLED_MODEL", "BM25Index", "Answerer", "Chunk", "ChromaStore", "Citation", "DEFAULT_MIN_SIMILARITY",
    "Embedder", "EmbedderUnavailable", "ExtractiveAnswerer", "GuideAnswer", "GuideFormatError", "GuideIndex",
    "Glossary", "GuideSection", "HybridRetriever", "IngestPlan", "IngestReport", "Mode", "NearSection", "RagError",
    "Retrieval", "SectionNotFound", "SentenceTransformerEmbedder", "StoreUnavailable", "Term", "VectorStore",
    "build_index", "chunk_guide", "chunk_section", "ingest", "load_guide", "parse_section", "plan_ingest",
    "tokenize",
]
