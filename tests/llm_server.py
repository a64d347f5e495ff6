"""A scripted OpenAI-compatible server on loopback, for driving litellm's real HTTP path without the internet.

Tests queue replies (normal, streamed, malformed JSON, slow enough to time out, 429s with a Retry-After, other
errors, a stream that breaks or stalls mid-way) and point
litellm at `server.base_url` with a model string such as "openai/scripted". Every request body is recorded in
`server.requests`, so a test can assert exactly what the app sent to the provider.

    with ScriptedLLM() as llm:
        llm.enqueue(Reply.text("Hello"), Reply.error(429))
        ...

When the queue is empty, `responder(request_body)` decides (a callable a test may set); without one the server
answers 500, so a test never passes by accident on a reply it did not script.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    kind: str  # text | stream | raw | error | slow | broken_stream
    content: str = ""
    status: int = 200
    body: str = ""
    delay: float = 0.0
    then: Reply | None = None
    chunk_words: int = 3
    break_after: int = 2  # broken_stream: chunks sent before the connection is cut
    stall_after: int | None = None  # stream: chunks sent before it goes quiet for `delay` seconds
    finish_reason: str | None = "stop"
    usage: dict[str, int] = field(default_factory=lambda: {"prompt_tokens": 50, "completion_tokens": 20,
                                                           "total_tokens": 70})
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers, e.g. retry-after
    model: str | None = None  # the model name the provider reports (default: the one requested)
    system_fingerprint: str | None = None  # the provider's build id for the model, as OpenAI sends it

    @classmethod
    def text(cls, content: str, **kw: Any) -> Reply:
        return cls("text", content, **kw)

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> Reply:
        return cls("text", json.dumps(obj), **kw)

    @classmethod
    def stream(cls, content: str, **kw: Any) -> Reply:
        return cls("stream", content, **kw)

    @classmethod
    def broken_stream(cls, content: str, break_after: int = 2) -> Reply:
        return cls("broken_stream", content, break_after=break_after)

    @classmethod
    def stalled_stream(cls, content: str, after: int = 2, delay: float = 30.0) -> Reply:
        """A stream that sends `after` chunks, then nothing for `delay` seconds: a provider timing out mid-way."""
        return cls("stream", content, stall_after=after, delay=delay)

    @classmethod
    def raw(cls, body: str, status: int = 200) -> Reply:
        """A response body sent as-is: e.g. truncated JSON for a malformed provider reply."""
        return cls("raw", body=body, status=status)

    @classmethod
    def error(cls, status: int, message: str = "scripted error") -> Reply:
        return cls("error", status=status, body=json.dumps({"error": {"message": message, "type": "server_error",
                                                                      "code": str(status)}}))

    @classmethod
    def slow(cls, delay: float, then: Reply | None = None) -> Reply:
        return cls("slow", delay=delay, then=then or Reply.text("late"))

    @classmethod
    def rate_limited(cls, retry_after: float | None = None) -> Reply:
        """A 429, with a Retry-After header (seconds) when given."""
        reply = cls.error(429, "rate limit reached")
        if retry_after is not None:
            reply.headers["retry-after"] = f"{retry_after:g}"
        return reply

    @classmethod
    def malformed(cls) -> Reply:
        """A well-formed completion whose content is JSON cut off half way: what a weak model often returns."""
        return cls.text('{"criteria": [{"id": "x", "level": 2, "evidence": ["')

    @classmethod
    def timeout(cls, delay: float = 30.0) -> Reply:
        """No reply for `delay` seconds: past any test's LLM_TIMEOUT, so the caller times out."""
        return cls.slow(delay)


class ScriptedLLM:
    def __init__(self) -> None:
        self.queue: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.request_times: list[float] = []  # time.monotonic() when each request arrived, in order
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self.in_flight = 0  # requests being answered right now, and the most there ever were at once
        self.max_in_flight = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="scripted-llm", daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> ScriptedLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # releases any slow reply still sleeping
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ScriptedLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting -------------------------------------------------------------------------------------

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self.queue.extend(replies)

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.request_times.append(time.monotonic())
            if self.queue:
                return self.queue.popleft()
        if self.responder is not None:
            return self.responder(body)
        return Reply.error(500, "no scripted reply left")

    # -- HTTP ------------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
                return

            def do_GET(self) -> None:  # noqa: N802 - /v1/models, for clients that probe it
                self._send(200, json.dumps({"object": "list", "data": [{"id": "scripted", "object": "model"}]}))

            def do_POST(self) -> None:  # noqa: N802
                with outer._lock:
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                try:
                    self._post()
                finally:
                    with outer._lock:
                        outer.in_flight -= 1

            def _post(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                reply = outer._next(body)
                while reply.kind == "slow":
                    if outer._stop.wait(reply.delay):
                        return
                    reply = reply.then or Reply.text("late")
                model = str(body.get("model", "scripted"))
                if reply.kind == "error":
                    self._send(reply.status, reply.body, reply.headers)
                elif reply.kind == "raw":
                    self._send(reply.status, reply.body, reply.headers)
                elif reply.kind == "text":
                    self._send(200, json.dumps(_completion(reply.model or model, reply)), reply.headers)
                elif reply.kind in ("stream", "broken_stream"):
                    self._stream(model, reply, broken=reply.kind == "broken_stream")
                else:
                    self._send(500, json.dumps({"error": {"message": f"unknown reply kind {reply.kind}"}}))

            def _send(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
                data = text.encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _chunk(self, text: str) -> None:
                data = text.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _stream(self, model: str, reply: Reply, broken: bool) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                words = reply.content.split(" ")
                pieces = [" ".join(words[i:i + reply.chunk_words]) + (" " if i + reply.chunk_words < len(words)
                                                                       else "")
                          for i in range(0, len(words), reply.chunk_words)]
                for i, piece in enumerate(pieces):
                    if i == reply.stall_after and outer._stop.wait(reply.delay):
                        return
                    if broken and i >= reply.break_after:
                        # Cut the connection without the terminating chunk: an incomplete chunked body.
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                    self._chunk("data: " + json.dumps(_chunk(model, {"content": piece}, None)) + "\n\n")
                    time.sleep(0.001)
                self._chunk("data: " + json.dumps(_chunk(model, {}, reply.finish_reason, reply.usage)) + "\n\n")
                self._chunk("data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        return Handler


def _completion(model: str, reply: Reply) -> dict[str, Any]:
    out = {"id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()), "model": model,
           "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content},
                        "finish_reason": reply.finish_reason}],
           "usage": reply.usage}
    if reply.system_fingerprint:
        out["system_fingerprint"] = reply.system_fingerprint
    return out


def _chunk(model: str, delta: dict[str, Any], finish: str | None,
           usage: dict[str, int] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": int(time.time()),
                           "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage is not None:
        out["usage"] = usage
    return out


def refused_url() -> str:
    """A loopback URL where nothing listens: connecting to it is refused at once."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/v1"
