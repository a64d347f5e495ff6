"""The one typed configuration object. Nothing else in the project reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every variable is documented in the README's configuration table; keep the two in step."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Field(default=ROOT / "data", description="Where the SQLite file and Chroma files live.")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in DATA_DIR.")
    content_dir: Path = Field(default=ROOT / "content", description="Guide and built-in question packs.")
    user_packs_dir: Path | None = Field(default=None, description="Extra question packs loaded beside built-ins.")
    chroma_path: Path | None = Field(default=None, description="Chroma files; empty means DATA_DIR/chroma.")
    chroma_host: str = Field(default="", description="Use a Chroma server at this host instead of files.")
    chroma_port: int = Field(default=8000, ge=1, le=65535)
    chroma_collection: str = Field(default="guide", description="Collection name for guide chunks.")
    embedder_model: str = Field(default="all-MiniLM-L6-v2",
                                description="'all-MiniLM-L6-v2' (bundled) or a sentence-transformers path.")
    embedder_backend: Literal["onnx", "torch"] = Field(
        default="onnx", description="'onnx': ONNX Runtime (same vectors, faster on CPU); 'torch': the original.")
    embedder_cache_dir: Path | None = Field(default=None, description="Where the locally exported ONNX model is "
                                                                      "kept; empty means ~/.cache/casewise.")
    ingest_on_startup: bool = Field(default=True, description="Ingest the guide at start-up if missing or stale.")
    answer_min_score: float | None = Field(default=None,
                                           description="Override the calibrated refusal threshold (0-1).")
    max_probes: int = Field(default=2, ge=0, le=6, description="Follow-up probes per interview at most.")
    llm_model: str = Field(default="", description="litellm model string; empty means the embedded default.")
    llm_api_base: str = Field(default="", description="Provider URL, e.g. an OpenAI-compatible server's /v1.")
    llm_api_key: SecretStr | None = Field(default=None,
                                          description="API key; empty means the provider's usual variable.")
    llm_timeout: float = Field(default=30.0, gt=0, le=600,
                               description="Seconds one LLM operation may take, retries included.")
    llm_retries: int = Field(default=2, ge=0, le=10,
                             description="Retries on 429, 5xx, refused connections and broken streams.")
    llm_max_tokens: int = Field(default=1024, ge=16, le=32_000, description="Most tokens one completion may use.")
    llm_temperature: float = Field(default=0.3, ge=0, le=2,
                                   description="Interviewer and answerer temperature; the judge always uses 0.")
    llm_seed: int | None = Field(default=7, description="Fixed seed for judging, where the provider takes one.")
    llm_cache: bool = Field(default=True, description="Cache judge replies in DATA_DIR/llm_cache.sqlite.")
    interviewer_model: str = Field(default="", description="Model for the interviewer; empty means LLM_MODEL.")
    judge_model: str = Field(default="", description="Model for the rubric judge; empty means LLM_MODEL.")
    answerer_model: str = Field(default="", description="Model for guide answers; empty means LLM_MODEL.")
    grader_mode: Literal["llm", "ensemble"] = Field(
        default="llm", description="With a judge model: the LLM judge alone, or combined with the embedded grader.")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(default="text", description="'json': one JSON object per line.")
    # Scale-out (README "Scale-out"): batched embedding, worker processes, metrics across workers.
    embed_batch_wait_ms: float = Field(default=2.0, ge=0, le=100,
                                       description="Milliseconds the embedding batcher waits for more texts.")
    embed_batch_max: int = Field(default=256, ge=0, le=4096,
                                 description="Most texts per batched forward pass; 0 or 1 turns batching off.")
    workers: int = Field(default=1, ge=1, le=64, description="Worker processes `python -m app` starts.")
    prometheus_multiproc_dir: Path | None = Field(
        default=None, description="With several workers: where prometheus_client keeps the shared metric files.")
    # Hardening (README "Security"): limits on what one request, one client and one candidate may cost.
    max_body_bytes: int = Field(default=1_000_000, ge=1_000, le=100_000_000,
                                description="Largest request body, counted while it streams (413 past it).")
    header_timeout: float = Field(default=10.0, gt=0, le=300,
                                  description="Seconds a connection may take to send a request's headers.")
    body_timeout: float = Field(default=30.0, gt=0, le=600,
                                description="Seconds the server waits for each chunk of a request body (408).")
    grade_time_budget: float = Field(default=20.0, gt=0, le=600,
                                     description="Seconds one grading may take, queueing included (503 past it).")
    grade_workers: int = Field(default=2, ge=1, le=64, description="Gradings that run at once per process.")
    redis_url: str = Field(default="", description="Redis for rate limits shared by all app processes.")
    redis_prefix: str = Field(default="casewise", description="Key prefix of everything casewise keeps in Redis.")
    rate_limit_address: str = Field(default="600/minute",
                                    description="Requests to /api per client address; empty turns it off.")
    rate_limit_candidate: str = Field(default="120/minute",
                                      description="Requests to /api per candidate token; empty turns it off.")
    rate_limit_expensive: str = Field(default="60/minute",
                                      description="Gradings and guide questions per client address.")
    quota_sessions_per_day: int = Field(default=50, ge=1, description="New interviews per candidate per 24 h.")
    quota_turns_per_session: int = Field(default=40, ge=1, description="Candidate messages per interview.")
    quota_chars_per_session: int = Field(default=60_000, ge=1_000,
                                         description="Characters a candidate may send in one interview.")
    quota_disputes_per_criterion: int = Field(default=2, ge=0, description="Disputes per criterion of a scorecard.")
    cookie_secure: bool = Field(default=False,
                                description="Always mark the token cookie Secure (set it behind a TLS proxy).")
    docs_enabled: bool = Field(default=False, description="Serve the interactive API docs at /docs.")
    trusted_origins: str = Field(default="", description="Extra origins allowed to make state-changing calls, "
                                                         "comma-separated; the app's own origin always is.")

    @field_validator("chroma_path", "user_packs_dir", "llm_api_key", "llm_seed", "prometheus_multiproc_dir",
                     "embedder_cache_dir",
                     mode="before")
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        return None if v == "" else v

    @field_validator("rate_limit_address", "rate_limit_candidate", "rate_limit_expensive")
    @classmethod
    def _rate_limit(cls, v: str) -> str:
        """Checked at start-up, so a typo fails loudly instead of silently turning a limit off."""
        from limits import parse_many

        if v.strip():
            parse_many(v)
        return v.strip()

    @property
    def guide_dir(self) -> Path:
        return self.content_dir / "guide"

    @property
    def questions_dir(self) -> Path:
        return self.content_dir / "questions"

    @property
    def resolved_chroma_path(self) -> Path:
        return self.chroma_path or self.data_dir / "chroma"

    @property
    def resolved_embedder_cache_dir(self) -> Path:
        return self.embedder_cache_dir or Path.home() / ".cache" / "casewise"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'casewise.db'}"

    def model_for(self, role: Literal["interviewer", "judge", "answerer"]) -> str:
        """The litellm model string for one role: its own setting, else LLM_MODEL; empty means embedded."""
        own = {"interviewer": self.interviewer_model, "judge": self.judge_model,
               "answerer": self.answerer_model}[role]
        return (own or self.llm_model).strip()

    @property
    def uses_llm(self) -> bool:
        return any(self.model_for(r) for r in ("interviewer", "judge", "answerer"))

    @property
    def llm_cache_path(self) -> Path:
        return self.data_dir / "llm_cache.sqlite"


@lru_cache
def get_settings() -> Settings:
    """Settings read once per process; tests build their own `Settings(...)` instead of touching env."""
    return Settings()
