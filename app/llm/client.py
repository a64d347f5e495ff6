"""The one module that calls litellm.

Every model call in the project goes through `LLMClient`: `acompletion` (streamed where the caller asks), a hard
deadline of LLM_TIMEOUT per operation with retries inside it, provider errors mapped to the small set in
errors.py, and usage (tokens, cost where litellm knows the price, latency) recorded on the current trace.

The app's services are synchronous (FastAPI runs them in anyio's worker threads), while litellm's async client is
the one that can be cancelled cleanly. `run()` bridges the two without a loop of our own: from one of the app's
worker threads it runs the call on the app's event loop (anyio's thread bridge); from a plain thread (the CLI,
the eval runner, the grading pool) it runs it in a short-lived loop of that thread. Every attempt runs under
`asyncio.timeout` and the retries (tenacity) stop before the deadline, so a dead provider can never hold a
request longer than LLM_TIMEOUT. The client keeps no module-level state; the counters it feeds are the
runtime's (`Telemetry`). litellm is imported on first use only: with no model configured the app never loads it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import anyio.from_thread
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

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
from app.llm.telemetry import Telemetry

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
Role = Literal["interviewer", "judge", "answerer"]
Message = dict[str, str]

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


class _LoopChangeNoise(logging.Filter):
    """litellm logs a warning whenever its logging worker meets a new event loop. A sync caller outside the app
    (the CLI, the eval runner) gets a short-lived loop per call, so that is expected and harmless here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("LoggingWorker: event loop changed")


def _litellm() -> Any:
    """litellm, imported on first use (seconds); Python's module cache makes later calls free."""
    import litellm

    litellm.suppress_debug_info = True  # no "Give Feedback" banners in our logs
    logger = logging.getLogger("LiteLLM")
    if not any(isinstance(f, _LoopChangeNoise) for f in logger.filters):
        logger.addFilter(_LoopChangeNoise())
    return litellm


def _warm(model: str) -> None:
    """One offline completion (litellm's mock_response), so the imports litellm defers to its first call happen
    at start-up and not inside a request's deadline. Best effort: a failure only leaves the first call slower."""
    try:
        _litellm().completion(model=model, messages=[{"role": "user", "content": "warm-up"}], mock_response="ok")
    except Exception:
        log.debug("litellm warm-up failed", exc_info=True)


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
    wait = base * 2.0 ** attempt
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

    def __init__(self, config: LLMConfig, counters: Telemetry | None = None) -> None:
        if not config.model:
            raise LLMNotConfigured("empty model string")
        self.config = config
        # The runtime's counters (the composition root passes them); a client built alone counts on its own.
        self.telemetry = counters or Telemetry()
        _warm(config.model)  # import now (seconds), not inside the first call's deadline
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
        self.telemetry.record_call(call)

    # -- async API ----------------------------------------------------------------------------------------

    async def acomplete(self, messages: list[Message], *, stream: bool = False, deadline: float | None = None,
                        temperature: float | None = None, seed: int | None = None,
                        max_tokens: int | None = None) -> Completion:
        """One completion, retried (tenacity) on 429/5xx/refused connections/broken streams with exponential
        backoff while the deadline allows, and at most LLM_RETRIES times. Raises LLMError."""
        deadline = deadline or self.deadline()
        params = self.params(temperature=temperature, seed=seed, max_tokens=max_tokens)
        async for attempt in self._retrying(deadline):
            with attempt:
                return await self._attempt(messages, stream, params, deadline)
        raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover

    def _retrying(self, deadline: float) -> AsyncRetrying:
        """Retries on RETRYABLE errors, at most LLM_RETRIES times and never past the deadline."""

        def out_of_attempts_or_time(state: RetryCallState) -> bool:
            return (state.attempt_number > self.config.retries
                    or time.monotonic() + (state.upcoming_sleep or 0.0) >= deadline - 0.05)

        return AsyncRetrying(retry=retry_if_exception_type(RETRYABLE), stop=out_of_attempts_or_time,
                             wait=self._backoff, before_sleep=self._log_retry, reraise=True)

    async def astream(self, messages: list[Message], *, deadline: float | None = None,
                      temperature: float | None = None, seed: int | None = None,
                      max_tokens: int | None = None) -> AsyncIterator[str]:
        """The reply's text pieces as the provider sends them, for a caller that shows them while they arrive.

        Opening the stream is retried as `acomplete` retries a call. Once a piece has been given out a retry
        would repeat text the caller already showed, so a failure after that ends the iteration with an error
        (LLMStreamBroken, LLMTimeout, LLMEmptyResponse): the caller learns the reply is not whole. The whole
        operation stays inside LLM_TIMEOUT; the deadline bounds each read, never the caller's own work between
        pieces. Usage is recorded once the stream has finished.
        """
        deadline = deadline or self.deadline()
        params = self.params(temperature=temperature, seed=seed, max_tokens=max_tokens)
        t0 = time.perf_counter()
        resp: Any = None
        async for attempt in self._retrying(deadline):
            with attempt:
                resp = await self._open(messages, params, deadline)
        chunks: list[Any] = []
        parts: list[str] = []
        finish: str | None = None
        try:
            pieces = resp.__aiter__()
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0.01:
                    raise LLMTimeout(f"the stream did not finish within {self.config.timeout:g}s")
                try:
                    async with asyncio.timeout(remaining):
                        chunk = await pieces.__anext__()
                except StopAsyncIteration:
                    break
                except TimeoutError as exc:
                    raise LLMTimeout(f"the stream did not finish within {self.config.timeout:g}s") from exc
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    mapped = map_error(exc)
                    raise (mapped if isinstance(mapped, LLMTimeout) else LLMStreamBroken(str(mapped))) from exc
                chunks.append(chunk)
                for choice in getattr(chunk, "choices", None) or []:
                    delta = getattr(choice, "delta", None)
                    content = getattr(delta, "content", None) if delta is not None else None
                    if content:
                        parts.append(content)
                        yield content
                    if getattr(choice, "finish_reason", None):
                        finish = choice.finish_reason
            done = self._streamed(chunks, parts, finish, messages, t0)
        except LLMError as err:
            self.telemetry.record_error(self.config.role, err.reason)
            raise
        finally:  # also when the caller stops early: release the provider's connection now, not at GC
            close = getattr(resp, "aclose", None)
            if close is not None:
                await close()
        self._record(done)

    async def _time_left(self, deadline: float) -> float:
        """Seconds left of the operation's budget, after waiting out a 429's pause (which holds off every call of
        this client); raises when the pause or the budget leaves no time for a try."""
        pause = self._not_before - time.monotonic()
        if pause > 0:
            if time.monotonic() + pause >= deadline - 0.05:
                raise LLMRateLimited(f"the provider asked to slow down for {pause:.1f}s, past the deadline",
                                     retry_after=pause)
            await asyncio.sleep(pause)
        remaining = deadline - time.monotonic()
        if remaining <= 0.01:
            raise LLMTimeout(f"no time left of the {self.config.timeout:g}s budget")
        return remaining

    async def _open(self, messages: list[Message], params: dict[str, Any], deadline: float) -> Any:
        """One try at opening a stream (the provider accepted the request and its first bytes came back)."""
        try:
            remaining = await self._time_left(deadline)
            try:
                async with asyncio.timeout(remaining):
                    return await _litellm().acompletion(**self._kwargs(messages, True, params, remaining))
            except TimeoutError as exc:
                raise LLMTimeout(f"no reply within {self.config.timeout:g}s") from exc
            except (asyncio.CancelledError, LLMError):
                raise
            except Exception as exc:
                raise map_error(exc) from exc
        except LLMError as err:
            self.telemetry.record_error(self.config.role, err.reason)
            raise

    async def _attempt(self, messages: list[Message], stream: bool, params: dict[str, Any],
                       deadline: float) -> Completion:
        """One try inside the operation's deadline; every failure is counted before tenacity decides."""
        try:
            remaining = await self._time_left(deadline)
            try:
                async with asyncio.timeout(remaining):
                    done = await self._once(messages, stream, params, remaining)
            except TimeoutError as exc:
                raise LLMTimeout(f"no reply within {self.config.timeout:g}s") from exc
        except LLMError as err:
            self.telemetry.record_error(self.config.role, err.reason)
            raise
        self._record(done)
        return done

    def _backoff(self, state: RetryCallState) -> float:
        """Exponential backoff with jitter, never shorter than a 429's Retry-After. After a 429 every call of
        this client holds off until then, not only the one that got it."""
        err = state.outcome.exception() if state.outcome is not None else None
        if not isinstance(err, LLMError):
            return self.config.backoff
        wait = backoff_wait(self.config.backoff, state.attempt_number - 1, err)
        if isinstance(err, LLMRateLimited):
            self._not_before = max(self._not_before, time.monotonic() + wait)
        return wait

    def _log_retry(self, state: RetryCallState) -> None:
        err = state.outcome.exception() if state.outcome is not None else None
        log.info("LLM %s attempt %d failed (%s); retrying in %.2fs", self.config.role, state.attempt_number,
                 getattr(err, "reason", err), state.upcoming_sleep)

    def _kwargs(self, messages: list[Message], stream: bool, params: dict[str, Any],
                 remaining: float) -> dict[str, Any]:
        """litellm's arguments for one call."""
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
        return kwargs

    async def _once(self, messages: list[Message], stream: bool, params: dict[str, Any],
                    remaining: float) -> Completion:
        lm = _litellm()
        kwargs = self._kwargs(messages, stream, params, remaining)
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
        return self._streamed(chunks, parts, finish, messages, t0)

    def _streamed(self, chunks: list[Any], parts: list[str], finish: str | None, messages: list[Message],
                  t0: float) -> Completion:
        """The Completion a finished stream adds up to. A stream that stops without a finish reason was cut, not
        finished; one that carried no text is empty."""
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

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine of this client's from synchronous code, carrying the caller's usage trace.

        In one of the app's worker threads it runs on the app's own event loop (anyio's thread bridge); in any
        other thread, in a loop of that thread for the length of the call. Calls bound their own time (every
        attempt runs under the operation's deadline), so nothing here needs a timeout of its own.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:  # blocking here would stall the very loop the coroutine needs
            coro.close()
            raise RuntimeError("LLMClient.run() called inside a running event loop; await the coroutine instead")
        trace = telemetry.current()

        async def carried() -> T:
            with telemetry.use(trace):
                return await coro

        if _in_worker_thread():
            return anyio.from_thread.run(carried)
        return asyncio.run(carried())

    def complete(self, messages: list[Message], **kwargs: Any) -> Completion:
        return self.run(self.acomplete(messages, **kwargs))


def _in_worker_thread() -> bool:
    """Whether this thread is one of anyio's worker threads (FastAPI's sync routes run in them)."""
    try:
        anyio.from_thread.check_cancelled()
    except RuntimeError:  # anyio's NoEventLoopError: not a worker thread of a running loop
        return False
    return True
