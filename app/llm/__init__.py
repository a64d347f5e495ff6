"""The LLM layer: the one litellm client, its errors, the judge reply cache, prompts, usage and fault counts.

Nothing here imports litellm until a call is made, so the embedded default never loads it.
"""

from app.llm import telemetry
from app.llm.cache import CachedReply, ReplyCache, cache_key
from app.llm.client import Completion, LLMClient, LLMConfig, map_error
from app.llm.errors import (
    LLMBadOutput,
    LLMEmptyResponse,
    LLMError,
    LLMNotConfigured,
    LLMRateLimited,
    LLMRejected,
    LLMServerError,
    LLMStreamBroken,
    LLMTimeout,
    LLMUnreachable,
)
from app.llm.prompts import fence, prompt_hash, render
from app.llm.telemetry import Telemetry, Trace, merge_usage, track

__all__ = [
    "CachedReply", "Completion", "LLMBadOutput", "LLMClient", "LLMConfig", "LLMEmptyResponse", "LLMError",
    "LLMNotConfigured", "LLMRateLimited", "LLMRejected", "LLMServerError", "LLMStreamBroken", "LLMTimeout",
    "LLMUnreachable", "ReplyCache", "Telemetry", "Trace", "cache_key", "fence", "map_error", "merge_usage",
    "prompt_hash", "render", "telemetry", "track",
]
