"""What the app builds once per process: settings, question bank, database engine and the guide index.

The guide index loads in a background thread so that /healthz answers at once and /readyz can report 503
until the embedding model and the index are ready.

With a model configured (LLM_MODEL, or a per-role INTERVIEWER_MODEL / JUDGE_MODEL / ANSWERER_MODEL), the LLM
components wrap the embedded ones, which stay built as their fallbacks. Without one, nothing LLM-related is
built or imported.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from app.budget import GradingBudget
from app.content import QuestionBank, load_bank
from app.db import make_engine, upgrade
from app.grading import EmbeddedGrader, Grader, StudyFinder
from app.interview import EmbeddedInterviewer, Interviewer, InterviewFlow, InterviewService
from app.interview.quotas import Quotas
from app.settings import Settings
from rag import DEFAULT_MIN_SIMILARITY, Answerer, Embedder, ExtractiveAnswerer, GuideIndex, VectorStore, build_index
from rag.guide import load_guide

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    bank: QuestionBank
    engine: Engine
    index: GuideIndex | None = None
    answerer: Answerer | None = None
    grader: EmbeddedGrader | None = None
    judge: Grader | None = None  # the final grader of interviews when a judge model is set (LLM or ensemble)
    interviews: InterviewService | None = None
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    ready_after: float | None = None
    _thread: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        return self.index is not None and self.answerer is not None and self.interviews is not None


def load_content(settings: Settings) -> QuestionBank:
    """Validate the guide and load built-in plus user packs; raises ContentError/RagError with one-line messages."""
    guide_ids = {s.id for s in load_guide(settings.guide_dir)}
    dirs = [settings.questions_dir] + ([settings.user_packs_dir] if settings.user_packs_dir else [])
    return load_bank(dirs, guide_ids=guide_ids)


def build_runtime(settings: Settings) -> Runtime:
    """Content and database are checked synchronously: a broken pack or database stops start-up at once."""
    bank = load_content(settings)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    return Runtime(settings=settings, bank=bank, engine=engine)


def load_guide_index(rt: Runtime, embedder: Embedder | None = None, store: VectorStore | None = None,
                     answerer: Answerer | None = None, grader: EmbeddedGrader | None = None) -> None:
    """Build the embedder, store and index (ingesting when stale). Errors are recorded, not raised."""
    try:
        from rag.wiring import make_embedder, make_store

        emb = embedder or make_embedder(rt.settings)
        st = store or make_store(rt.settings)
        index = build_index(rt.settings.guide_dir, emb, st, sync=rt.settings.ingest_on_startup)
        rt.answerer = answerer or ExtractiveAnswerer(
            index.retriever, rt.settings.answer_min_score or DEFAULT_MIN_SIMILARITY)
        rt.grader = grader or EmbeddedGrader(emb, StudyFinder(index.retriever))
        interviewer: Interviewer = EmbeddedInterviewer(emb)
        if rt.settings.uses_llm:
            try:
                interviewer = wire_llm(rt, interviewer)
            except Exception as exc:  # the embedded components still serve; /readyz counts the failure
                from app.llm import telemetry

                log.exception("LLM components failed to start; serving the embedded ones")
                telemetry.degraded("startup", exc.__class__.__name__, str(exc))
                rt.judge = None
        flow = InterviewFlow(interviewer, rt.grader, rt.settings.max_probes, judge=rt.judge)
        rt.interviews = InterviewService(rt.engine, rt.bank, flow, rt.grader, Quotas.from_settings(rt.settings),
                                         GradingBudget(rt.settings.grade_time_budget, rt.settings.grade_workers))
        rt.index = index
        rt.ready_after = time.perf_counter() - rt.started
        log.info("guide index ready: %d sections, %d chunks, %.2fs after start",
                 len(index.sections), len(index.chunks), rt.ready_after)
        # Embed the guide's sentences for answers now, not on the first question; restarts read them from disk.
        index.retriever.sentences.warm(rt.settings.data_dir / "sentence_vectors.npz")
    except Exception as exc:  # surfaced through /readyz; the process stays up to report it
        rt.error = f"{exc.__class__.__name__}: {exc}"
        log.exception("guide index failed to load")


def wire_llm(rt: Runtime, interviewer: Interviewer) -> Interviewer:
    """Wrap the embedded components in their LLM versions, for each role that has a model."""
    from app.grading.ensemble import EnsembleGrader
    from app.grading.llm_judge import LLMJudge
    from app.interview.llm_interviewer import LLMInterviewer
    from app.llm import LLMClient, LLMConfig, ReplyCache
    from rag.llm_answerer import LLMAnswerer

    s = rt.settings
    if s.model_for("interviewer") and isinstance(interviewer, EmbeddedInterviewer):
        interviewer = LLMInterviewer(LLMClient(LLMConfig.from_settings(s, "interviewer")), interviewer)
    if s.model_for("judge") and isinstance(rt.grader, EmbeddedGrader):
        cache = ReplyCache(s.llm_cache_path) if s.llm_cache else None
        judge = LLMJudge(LLMClient(LLMConfig.from_settings(s, "judge")), rt.grader, cache)
        rt.judge = EnsembleGrader(judge, rt.grader) if s.grader_mode == "ensemble" else judge
    if s.model_for("answerer") and isinstance(rt.answerer, ExtractiveAnswerer):
        rt.answerer = LLMAnswerer(LLMClient(LLMConfig.from_settings(s, "answerer")), rt.answerer)
    log.info("LLM mode: interviewer=%s judge=%s (%s) answerer=%s", s.model_for("interviewer") or "embedded",
             s.model_for("judge") or "embedded", s.grader_mode, s.model_for("answerer") or "embedded")
    return interviewer


def start_loading(rt: Runtime, **kwargs: object) -> None:
    rt._thread = threading.Thread(target=load_guide_index, args=(rt,), kwargs=kwargs, name="guide-loader",
                                  daemon=True)
    rt._thread.start()


def wait_ready(rt: Runtime, timeout: float = 120.0) -> bool:
    if rt._thread is not None:
        rt._thread.join(timeout)
    return rt.ready
