"""What the app builds once per process: settings, question bank, database engine and the guide index.

The guide index loads in a background thread so that /healthz answers at once and /readyz can report 503
until the embedding model and the index are ready.

Every component is built by the composition root (app/compose.py); this module only decides when (the
background loader) and keeps them, with the LLM counters (`telemetry`), on the one Runtime object.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from app import compose, scaling
from app.budget import GradingBudget
from app.content import QuestionBank, load_bank
from app.db import make_engine, upgrade
from app.grading import EmbeddedGrader, Grader
from app.interview import InterviewFlow, InterviewService
from app.interview.quotas import Quotas
from app.llm.telemetry import Telemetry
from app.metrics import Metrics
from app.settings import Settings
from rag import Answerer, Embedder, GuideIndex, VectorStore
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
    telemetry: Telemetry = field(default_factory=Telemetry)  # LLM call, error and fallback counts of this process
    metrics: Metrics = field(default_factory=Metrics)  # what /metrics exposes (app/metrics.py)
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    ready_after: float | None = None
    _thread: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        return self.index is not None and self.answerer is not None and self.interviews is not None

    @property
    def configured_grader(self) -> Grader | None:
        """The grader the configuration asks for: the LLM judge or ensemble when a judge model is set, else the
        embedded grader (which also stays the interim grader of interviews and the judge's fallback)."""
        return self.judge or self.grader


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
    """Build the embedder, store and index (ingesting when stale), then every component that needs them, through
    the composition root (app/compose.py). Tests pass fakes for any of the four. Errors are recorded, not raised."""
    try:
        s = rt.settings
        # Serving wraps the model in the batcher and the shared cache; ingestion runs once across replicas.
        emb = embedder or scaling.serving_embedder(compose.make_embedder(s), s, rt.metrics)
        index = scaling.locked_index(s, rt.engine, emb, store)
        rt.grader = grader or compose.make_embedded_grader(emb, index)
        try:
            rt.answerer = answerer or compose.make_answerer(s, index, rt.telemetry)
            guide = compose.make_guide_help(index, rt.answerer)
            interviewer = compose.make_interviewer(s, emb, rt.telemetry, guide)
            judge = compose.make_grader(s, rt.grader, telemetry=rt.telemetry)
            rt.judge = None if judge is rt.grader else judge
        except Exception as exc:  # the embedded components still serve; /readyz counts the failure
            if not s.uses_llm:
                raise
            log.exception("LLM components failed to start; serving the embedded ones")
            rt.telemetry.degraded("startup", exc.__class__.__name__, str(exc))
            rt.answerer = answerer or compose.make_answerer(s.model_copy(update=_EMBEDDED), index)
            guide = compose.make_guide_help(index, rt.answerer)
            interviewer = compose.make_interviewer(s.model_copy(update=_EMBEDDED), emb)
            rt.judge = None
        if s.uses_llm:
            log.info("LLM mode: interviewer=%s judge=%s (%s) answerer=%s", s.model_for("interviewer") or "embedded",
                     s.model_for("judge") or "embedded", s.grader_mode, s.model_for("answerer") or "embedded")
        flow = InterviewFlow(interviewer, rt.grader, s.max_probes, judge=rt.judge, guide=guide)
        rt.interviews = InterviewService(rt.engine, rt.bank, flow, rt.grader, Quotas.from_settings(s),
                                         GradingBudget(s.grade_time_budget, s.grade_workers))
        # Embed the guide's sentences for answers before reporting ready, so no first question or interview turn
        # waits behind it (a first start embeds them once; restarts read them from disk).
        index.retriever.sentences.warm(s.data_dir / "sentence_vectors.npz")
        rt.index = index
        rt.ready_after = time.perf_counter() - rt.started
        log.info("guide index ready: %d sections, %d chunks, %.2fs after start",
                 len(index.sections), len(index.chunks), rt.ready_after)
    except Exception as exc:  # surfaced through /readyz; the process stays up to report it
        rt.error = f"{exc.__class__.__name__}: {exc}"
        log.exception("guide index failed to load")


# Settings with every model cleared: what the runtime falls back to when the LLM components fail to start.
_EMBEDDED = {"llm_model": "", "interviewer_model": "", "judge_model": "", "answerer_model": ""}


def start_loading(rt: Runtime, **kwargs: object) -> None:
    rt._thread = threading.Thread(target=load_guide_index, args=(rt,), kwargs=kwargs, name="guide-loader",
                                  daemon=True)
    rt._thread.start()


def wait_ready(rt: Runtime, timeout: float = 120.0) -> bool:
    if rt._thread is not None:
        rt._thread.join(timeout)
    return rt.ready
