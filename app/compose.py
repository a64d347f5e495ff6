"""The composition root: one factory per component kind, each built from Settings.

Every entry point gets its components here: the app's runtime (app/runtime.py, and through it the routes),
`python -m evals` and the benchmarks. Nothing else constructs an embedder, a store, an LLM client, a judge or an
interviewer. rag/ takes plain values (`GuideConfig`, an `AnswerModel`, prompt texts) and never imports app/.

With a model configured (LLM_MODEL, or a per-role INTERVIEWER_MODEL / JUDGE_MODEL / ANSWERER_MODEL) the LLM
components wrap the embedded ones, which stay their fallbacks. Without one, nothing LLM-related is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from app.grading import EmbeddedGrader, Grader, StudyFinder
from app.settings import Settings
from rag import DEFAULT_MIN_SIMILARITY, Answerer, Embedder, ExtractiveAnswerer, GuideIndex, VectorStore, build_index
from rag.wiring import GuideConfig
from rag.wiring import make_embedder as _rag_embedder
from rag.wiring import make_store as _rag_store

if TYPE_CHECKING:
    from app.interview import Interviewer
    from app.interview.guide_help import GuideHelp
    from app.llm import LLMClient
    from app.llm.telemetry import Telemetry

GraderMode = Literal["llm", "ensemble"]


def guide_config(settings: Settings) -> GuideConfig:
    """The guide's plain configuration, as rag/ takes it."""
    return GuideConfig(guide_dir=settings.guide_dir, embedder_model=settings.embedder_model,
                       chroma_path=settings.resolved_chroma_path, chroma_host=settings.chroma_host,
                       chroma_port=settings.chroma_port, chroma_collection=settings.chroma_collection,
                       answer_min_score=settings.answer_min_score)


def make_embedder(settings: Settings) -> Embedder:
    """EMBEDDER_BACKEND=onnx (the default: the same vectors, faster; see rag/embedder.py) or torch."""
    if settings.embedder_backend == "onnx":
        from rag.embedder import load_embedder

        return load_embedder(settings.embedder_model, "onnx", settings.resolved_embedder_cache_dir)
    return _rag_embedder(settings.embedder_model)


def make_store(settings: Settings) -> VectorStore:
    """A Chroma server when CHROMA_HOST is set, else Chroma files under the data directory."""
    return _rag_store(guide_config(settings))


def make_index(settings: Settings, embedder: Embedder, store: VectorStore) -> GuideIndex:
    """The guide index, ingesting first when the store is missing or stale and INGEST_ON_STARTUP is on."""
    return build_index(settings.guide_dir, embedder, store, sync=settings.ingest_on_startup)


def make_llm_client(settings: Settings, role: Literal["interviewer", "judge", "answerer"],
                    model: str | None = None, telemetry: Telemetry | None = None) -> LLMClient:
    """The one litellm client for a role (its model, or `model` when given); counts into `telemetry`."""
    from app.llm import LLMClient, LLMConfig

    return LLMClient(LLMConfig.from_settings(settings, role, model=model), counters=telemetry)


def make_answerer(settings: Settings, index: GuideIndex, telemetry: Telemetry | None = None) -> Answerer:
    """The extractive answerer; wrapped by the LLM answerer when ANSWERER_MODEL (or LLM_MODEL) is set."""
    extractive = ExtractiveAnswerer(index.retriever, settings.answer_min_score or DEFAULT_MIN_SIMILARITY)
    if not settings.model_for("answerer"):
        return extractive
    from app.llm.adapters import GuideModel, answer_prompts
    from rag.llm_answerer import LLMAnswerer

    model = GuideModel(make_llm_client(settings, "answerer", telemetry=telemetry))
    return LLMAnswerer(model, answer_prompts(), extractive)


def make_embedded_grader(embedder: Embedder, index: GuideIndex | None = None) -> EmbeddedGrader:
    """The embedded grader; with the guide index it links each criterion to the section worth studying."""
    return EmbeddedGrader(embedder, StudyFinder(index.retriever) if index is not None else None)


def make_grader(settings: Settings, embedded: EmbeddedGrader, *, model: str | None = None,
                mode: GraderMode | None = None, telemetry: Telemetry | None = None) -> Grader:
    """The configured grader: the LLM judge (GRADER_MODE=llm) or the ensemble (GRADER_MODE=ensemble) when a judge
    model is set (JUDGE_MODEL or LLM_MODEL, or `model`), else the embedded grader itself. The judge caches its
    validated replies in DATA_DIR unless LLM_CACHE is off."""
    name = model or settings.model_for("judge")
    if not name:
        return embedded
    from app.grading.ensemble import EnsembleGrader
    from app.grading.llm_judge import LLMJudge
    from app.llm.cache import make_reply_cache

    cache = make_reply_cache(settings)  # Redis when REDIS_URL is set, so replicas share judged replies
    judge = LLMJudge(make_llm_client(settings, "judge", model=name, telemetry=telemetry), embedded, cache)
    return EnsembleGrader(judge, embedded) if (mode or settings.grader_mode) == "ensemble" else judge


def make_interviewer(settings: Settings, embedder: Embedder, telemetry: Telemetry | None = None,
                     guide: GuideHelp | None = None) -> Interviewer:
    """The embedded interviewer; wrapped by the LLM interviewer when INTERVIEWER_MODEL (or LLM_MODEL) is set,
    whose probes are then grounded in the guide passages `guide` retrieves."""
    from app.interview import EmbeddedInterviewer

    embedded = EmbeddedInterviewer(embedder)
    if not settings.model_for("interviewer"):
        return embedded
    from app.interview.llm_interviewer import LLMInterviewer

    return LLMInterviewer(make_llm_client(settings, "interviewer", telemetry=telemetry), embedded, guide)


def make_guide_help(index: GuideIndex, answerer: Answerer) -> GuideHelp:
    """The guide inside interviews: cited answers to concept questions (from the answerer's glossary), and
    passages that ground probes."""
    from app.interview.guide_help import GuideHelper
    from rag.glossary import Glossary

    glossary = getattr(answerer, "glossary", None)
    if not isinstance(glossary, Glossary):
        glossary = Glossary.from_chunks(index.retriever.chunks)
    return GuideHelper(glossary, index.retriever)
