"""A guide answer as a stream of events: the model's words while it writes them, then the checked answer.

A reader waits less when the model's reply shows as it is generated, but nothing the model wrote may count as the
answer before it is checked. So the stream is `Delta` pieces of the raw reply, then exactly one `Done` carrying
the answer the non-streaming path would give for the same reply: the model's answer when every check of
`LLMAnswerer.check` passes, else the extractive answer with `degraded` and the reason. The client replaces what it
showed with `Done`'s answer in every case.

- Retrieval and the decline decision run before the first event, so a caller that awaits the first event before
  it starts its response reports errors there as it does for a whole answer.
- No model (the extractive answerer), or a question the guide does not cover: one `Done`, no deltas.
- A reply that repeats the fence's tag stops at once: the piece holding it is never sent, and `Done` is the
  fallback (`echo`).
- A provider fault before or during the stream (timeout, cut stream, garbage) is a `Done` with the fallback;
  the stream itself never breaks. An unexpected error in the model's path is logged and treated the same way.

CPU-bound work (retrieval, the support check's embeddings) runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from rag.answerer import Answerer, GuideAnswer
from rag.llm_answerer import LLMAnswerer
from rag.model import ModelFailed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delta:
    """A piece of the model's reply as written: raw, unchecked, for display as plain text only."""

    text: str


@dataclass(frozen=True)
class Done:
    """The final answer, checked; it replaces whatever the deltas showed."""

    answer: GuideAnswer


StreamEvent = Delta | Done


async def answer_events(answerer: Answerer, question: str) -> AsyncGenerator[StreamEvent, None]:
    """Events for one question: deltas while an LLM answerer's model writes, then exactly one Done.

    Errors of retrieval propagate (nothing has been sent yet when they happen, if the caller awaits the first
    event before starting its response); once the model is asked, every failure ends in a Done."""
    if not isinstance(answerer, LLMAnswerer):
        yield Done(await asyncio.to_thread(answerer.answer, question))
        return
    prepared = await asyncio.to_thread(answerer.fallback.prepare, question)
    base = prepared.answer
    if not base.grounded:
        yield Done(answerer.declined(base))
        return
    hits, messages, tag = answerer.request(question, prepared)
    text = ""
    pieces = answerer.model.stream(messages)
    try:
        async for piece in pieces:
            text += piece
            if tag in text[-(len(tag) + len(piece)):]:  # the tag may straddle pieces
                raise ModelFailed("the reply repeats the fence's tag", "echo")
            yield Delta(piece)
        grounded = await asyncio.to_thread(answerer.check, text, hits, tag)
    except ModelFailed as err:
        yield Done(answerer.degraded(base, err))
        return
    except Exception as exc:  # noqa: BLE001 - the response has started; a broken stream helps no one
        log.exception("the streamed answer failed unexpectedly; serving the extractive answer")
        yield Done(answerer.degraded(base, ModelFailed(f"{type(exc).__name__}: {exc}", "llm_error")))
        return
    finally:  # stopped early (an echo, a client gone): release the provider's stream now
        close = getattr(pieces, "aclose", None)
        if close is not None:
            await close()
    yield Done(answerer.accepted(grounded, base))
