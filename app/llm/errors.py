"""What can go wrong when calling a model. Each error carries a short `reason` code, which is what a degraded
response reports and what the fault counters are keyed by."""

from __future__ import annotations


class LLMError(Exception):
    """Base class: the provider did not give a usable completion. Callers fall back to the embedded component."""

    reason = "llm_error"


class LLMNotConfigured(LLMError):
    reason = "not_configured"


class LLMTimeout(LLMError):
    """The operation ran past LLM_TIMEOUT (retries included)."""

    reason = "timeout"


class LLMRateLimited(LLMError):
    """A 429. `retry_after` is the provider's Retry-After in seconds, when it sent one; the client waits that long."""

    reason = "rate_limited"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LLMServerError(LLMError):
    """A 5xx, or a body the provider client could not parse."""

    reason = "server_error"


class LLMUnreachable(LLMError):
    """The connection was refused or dropped before a response."""

    reason = "unreachable"


class LLMRejected(LLMError):
    """A 4xx other than 429: a bad key, an unknown model, a request the provider refuses. Retrying cannot help."""

    reason = "rejected"


class LLMEmptyResponse(LLMError):
    reason = "empty_completion"


class LLMStreamBroken(LLMError):
    """A streamed completion stopped before the provider said it was finished."""

    reason = "stream_broken"


class LLMBadOutput(LLMError):
    """The completion arrived but is unusable: malformed JSON, a schema violation, a leak, no valid citation."""

    reason = "malformed_output"

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        if reason:
            self.reason = reason
