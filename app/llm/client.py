"""The one module that calls litellm.

Every model call in the project goes through `LLMClient`: `acompletion` (streamed where the caller asks), a hard
deadline of LLM_TIMEOUT per operation with retries inside it, provider errors mapped to the small set in
errors.py, and usage (tokens, cost where litellm knows the price, latency) recorded on the current trace.

The app's services are synchronous (FastAPI runs them in its thread pool), while litellm's async client is the
one that can be cancelled cleanly. A single background event loop runs every call; `run()` hands it a
coroutine and waits at most the deadline, so a dead provider can never hold a request longer than that.
litellm is imported on first use only: with no model configured the app never loads it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import random
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from app.llm import telemetry
from app.llm.cache import CachedReply, cache_key
from app.llm.errors import (
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

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
Role = Literal["interviewer", "judge", "answerer"]
Message = dict[str, str]

# The bridge waits this much longer than the operation's own deadline before giving up on the loop itself.
BRIDGE_GRACE_S = 1.0
RETRYABLE = (LLMRateLimited, LLMServerError, LLMUnreachable, LLMStreamBroken)


@dataclass(frozen=True)
class LLMConfig:
    model: str
    role: str = "llm"
    api_base: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    retries: int = 2
    max_tokens: int = 1024
    temperature: float = 0.3
    seed: int | None = None
    backoff: float = 0.5  # seconds before the first retry, doubled each time, never past the deadline
    mock_response: str | None = None  # litellm's own offline stand-in, for small unit tests

    @classmethod
    def from_settings(cls, settings: Settings, role: Role, model: str | None = None) -> LLMConfig:
        name = (model or settings.model_for(role)).strip()
        if not name:
            raise LLMNotConfigured(f"no model is configured for the {role}")
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return cls(model=name, role=role, api_base=settings.llm_api_base or None, api_key=key or None,
                   timeout=settings.llm_timeout, retries=settings.llm_retries, max_tokens=settings.llm_max_tokens,
                   temperature=0.0 if role == "judge" else settings.llm_temperature,
                   seed=settings.llm_seed if role == "judge" else None)


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    latency_ms: float = 0.0
    finish_reason: str | None = None
    cached: bool = False
    # What the provider says actually answered: the model's own version string and its system fingerprint, so an
    # eval run can tell when the model behind a name changed (provider drift). None where the provider sends none.
    system_fingerprint: str | None = None


# -- the background event loop ----------------------------------------------------------------------------

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _event_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="llm-loop", daemon=True).start()
            _loop = loop
        return _loop


_litellm_module: Any = None


def _litellm() -> Any:
    global _litellm_module
    if _litellm_module is None:
        import litellm

        litellm.suppress_debug_info = True  # no "Give Feedback" banners in our logs
        _litellm_module = litellm
    return _litellm_module


# -- errors ---------------------------------------------------------------------------------------------------

def _chain(exc: BaseException) -> list[BaseException]:
    out, seen = [], set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        out.append(cur)
        cur = cur.__cause__ or cur.__context__ or getattr(cur, "original_exception", None)
    return out


def map_error(exc: BaseException) -> LLMError:
    """A provider or transport exception as one of our LLMError types."""
    if isinstance(exc, LLMError):
        return exc
    lm = _litellm()
    detail = f"{type(exc).__name__}: {str(exc)[:300]}"
    chain = _chain(exc)
    names = {type(e).__name__ for e in chain}
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError, lm.Timeout)) or "APITimeoutError" in names:
        return LLMTimeout(detail)
    if type(exc).__name__ == "MidStreamFallbackError":
        return LLMStreamBroken(detail)
    if isinstance(exc, lm.RateLimitError) or getattr(exc, "status_code", None) == 429:
        return LLMRateLimited(detail, retry_after=_retry_after(chain))
    if isinstance(exc, lm.AuthenticationError) or "Missing credentials" in str(exc):
        return LLMRejected(detail)  # a configuration problem: no retry can fix it
    if (names & {"ConnectError", "ConnectionRefusedError", "APIConnectionError", "ConnectTimeout"}
            or any(isinstance(e, ConnectionError) for e in chain) or "Connection error" in str(exc)):
        return LLMUnreachable(detail)
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and 400 <= status < 500 and status != 408:
        return LLMRejected(detail)
    return LLMServerError(detail)


def _retry_after(chain: list[BaseException]) -> float | None:
    """Seconds from a Retry-After header on any exception of the chain (the provider's own pacing), if present."""
    for e in chain:
        for headers in (getattr(e, "headers", None), getattr(getattr(e, "response", None), "headers", None)):
            try:
                value = headers.get("retry-after") if headers is not None else None
            except (AttributeError, TypeError):
                value = None
            if value is None:
                continue
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                continue  # an HTTP date: rare for model providers; fall back to our own backoff
    return None


def backoff_wait(base: float, attempt: int, err: LLMError, rng: random.Random | None = None) -> float:
    """Exponential backoff with up to 25% jitter (so concurrent callers do not retry in lockstep), never shorter
    than the provider's Retry-After on a 429."""
    wait = base * (2 ** attempt)
    wait += (rng or random).uniform(0, wait * 0.25)
    if isinstance(err, LLMRateLimited) and err.retry_after is not None:
        wait = max(wait, err.retry_after)
    return wait


def _fingerprint(resp: Any) -> str | None:
    value = getattr(resp, "system_fingerprint", None)
    return str(value) if value else None


# -- the client -------------------------------------------------------------------------------------------

class LLMClient:
    """Calls one configured model. Thread-safe; every instance shares the one background loop."""

    def __init__(self, config: LLMConfig) -> None:
        if not config.model:
            raise LLMNotConfigured("empty model string")
        self.config = config
        _litellm()  # import now (seconds), not inside the first call's deadline
        self.totals = telemetry.Trace()  # every call this client made, for reports (the eval runner reads it)
        # After a 429 every call of this client holds off until this monotonic time, not only the call that got
        # it: concurrent callers (the eval runner's --concurrency) back off together instead of piling on.
        self._not_before = 0.0

    @property
    def model(self) -> str:
        return self.config.model

    def deadline(self) -> float:
        """A monotonic deadline for one operation: a call, or a call plus its repair."""
        return time.monotonic() + self.config.timeout

    def params(self, *, temperature: float | None = None, seed: int | None = None,
               max_tokens: int | None = None) -> dict[str, Any]:
        return {"temperature": self.config.temperature if temperature is None else temperature,
                "seed": self.config.seed if seed is None else seed,
                "max_tokens": max_tokens or self.config.max_tokens}

    def cache_key(self, messages: list[Message], **params: Any) -> str:
        return cache_key(self.config.model, messages, self.params(**params))

    def replay(self, reply: CachedReply) -> Completion:
        """A cached reply, recorded as a call with no cost and no latency."""
        done = Completion(reply.text, self.config.model, reply.prompt_tokens, reply.completion_tokens, 0.0, 0.0,
                          "stop", cached=True)
        self._record(done)
        return done

    def _record(self, c: Completion) -> None:
        call = telemetry.CallRecord(self.config.role, c.model, c.prompt_tokens, c.completion_tokens, c.cost_usd,
                                    c.latency_ms, c.cached, c.system_fingerprint)
        self.totals.record(call)
        telemetry.record_call(call)

    # -- async API ----------------------------------------------------------------------------------------

    async def acomplete(self, messages: list[Message], *, stream: bool = False, deadline: float | None = None,
                        temperature: float | None = None, seed: int | None = None,
                        max_tokens: int | None = None) -> Completion:
        """One completion, retried on 429/5xx/refused connections while the deadline allows. Raises LLMError."""
        deadline = deadline or self.deadline()
        params = self.params(temperature=temperature, seed=seed, max_tokens=max_tokens)
        attempt = 0
        while True:
            pause = self._not_before - time.monotonic()
            if pause > 0:
                if time.monotonic() + pause >= deadline - 0.05:
                    raise LLMRateLimited(f"the provider asked to slow down for {pause:.1f}s, past the deadline")
                await asyncio.sleep(pause)
            remaining = deadline - time.monotonic()
            if remaining <= 0.01:
                raise LLMTimeout(f"no time left of the {self.config.timeout:g}s budget")
            try:
                async with asyncio.timeout(remaining):
                    done = await self._once(messages, stream, params, remaining)
                self._record(done)
                return done
            except TimeoutError as exc:
                err: LLMError = LLMTimeout(f"no reply within {self.config.timeout:g}s")
                err.__cause__ = exc
            except LLMError as exc:
                err = exc
            telemetry.record_error(self.config.role, err.reason)
            wait = backoff_wait(self.config.backoff, attempt, err)
            if isinstance(err, LLMRateLimited):
                self._not_before = max(self._not_before, time.monotonic() + wait)
            if (isinstance(err, RETRYABLE) and attempt < self.config.retries
                    and time.monotonic() + wait < deadline - 0.05):
                log.info("LLM %s attempt %d failed (%s); retrying in %.2fs", self.config.role, attempt + 1,
                         err.reason, wait)
                attempt += 1
                await asyncio.sleep(wait)
                continue
            raise err

    async def _once(self, messages: list[Message], stream: bool, params: dict[str, Any],
                    remaining: float) -> Completion:
        lm = _litellm()
        kwargs: dict[str, Any] = {"model": self.config.model, "messages": messages, "timeout": remaining,
                                  "temperature": params["temperature"], "max_tokens": params["max_tokens"],
                                  # Retries are ours, inside the deadline; the SDK's own would ignore it.
                                  "num_retries": 0, "max_retries": 0, "drop_params": True}
        if params["seed"] is not None:
            kwargs["seed"] = params["seed"]
        if self.config.api_base:
            kwargs["api_base"] = self.config.api_base
        if self.config.api_key:
            kwargs["api_key"] = self.config.api_key
        if self.config.mock_response is not None:
            kwargs["mock_response"] = self.config.mock_response
        if stream:
            kwargs["stream"] = True
            kwargs["stream_options"] = {"include_usage": True}
        t0 = time.perf_counter()
        try:
            resp = await lm.acompletion(**kwargs)
        except (asyncio.CancelledError, TimeoutError):
            raise
        except Exception as exc:
            raise map_error(exc) from exc
        if stream:
            return await self._collect(resp, messages, t0)
        try:
            choice = resp.choices[0]
            text = choice.message.content or ""
            finish = choice.finish_reason
        except (AttributeError, IndexError, TypeError) as exc:
            raise LLMServerError(f"reply without a message: {exc}") from exc
        if not text.strip():
            raise LLMEmptyResponse("the model returned an empty completion")
        usage = getattr(resp, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        return Completion(text, str(getattr(resp, "model", None) or self.config.model), prompt_tokens,
                          completion_tokens, self._cost(resp), round((time.perf_counter() - t0) * 1000, 1), finish,
                          system_fingerprint=_fingerprint(resp))

    async def _collect(self, resp: Any, messages: list[Message], t0: float) -> Completion:
        """Read a stream to its end. A stream that stops without a finish reason was cut, not finished."""
        chunks: list[Any] = []
        parts: list[str] = []
        finish: str | None = None
        try:
            async for chunk in resp:
                chunks.append(chunk)
                for choice in getattr(chunk, "choices", None) or []:
                    delta = getattr(choice, "delta", None)
                    if delta is not None and getattr(delta, "content", None):
                        parts.append(delta.content)
                    if getattr(choice, "finish_reason", None):
                        finish = choice.finish_reason
        except (asyncio.CancelledError, TimeoutError):
            raise
        except Exception as exc:
            mapped = map_error(exc)
            raise (mapped if isinstance(mapped, LLMTimeout) else LLMStreamBroken(str(mapped))) from exc
        text = "".join(parts)
        if finish is None:
            raise LLMStreamBroken(f"the stream ended after {len(parts)} pieces without a finish reason")
        if not text.strip():
            raise LLMEmptyResponse("the model streamed an empty completion")
        prompt_tokens = completion_tokens = 0
        cost = None
        try:
            built = _litellm().stream_chunk_builder(chunks, messages=messages)
            prompt_tokens = int(built.usage.prompt_tokens or 0)
            completion_tokens = int(built.usage.completion_tokens or 0)
            cost = self._cost(built)
        except Exception:  # usage is best effort; the text is what matters
            log.debug("could not rebuild usage from the stream", exc_info=True)
        model = next((str(c.model) for c in chunks if getattr(c, "model", None)), self.config.model)
        return Completion(text, model, prompt_tokens, completion_tokens, cost,
                          round((time.perf_counter() - t0) * 1000, 1), finish,
                          system_fingerprint=next((f for f in map(_fingerprint, chunks) if f), None))

    @staticmethod
    def _cost(resp: Any) -> float | None:
        try:
            return float(_litellm().completion_cost(completion_response=resp))
        except Exception:  # litellm does not know this model's price (local and custom models)
            return None

    # -- sync API -----------------------------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = -1.0) -> T:
        """Run a coroutine on the LLM loop from synchronous code, carrying the caller's trace.

        `timeout` defaults to the configured one plus a little grace; None waits for the coroutine, whose calls
        each have their own deadline (the eval runner's batches).
        """
        loop = _event_loop()
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:  # waiting here would deadlock the loop the coroutine needs
            coro.close()
            raise RuntimeError("LLMClient.run() called on the LLM loop itself; await the coroutine instead")
        trace = telemetry.current()

        async def carried() -> T:
            with telemetry.use(trace):
                return await coro

        fut = asyncio.run_coroutine_threadsafe(carried(), loop)
        wait = self.config.timeout + BRIDGE_GRACE_S if timeout is not None and timeout < 0 else timeout
        try:
            return fut.result(timeout=wait)
        except concurrent.futures.TimeoutError:
            fut.cancel()
            telemetry.record_error(self.config.role, LLMTimeout.reason)
            raise LLMTimeout(f"no result within {wait:g}s") from None

    def complete(self, messages: list[Message], **kwargs: Any) -> Completion:
        return self.run(self.acomplete(messages, **kwargs))
