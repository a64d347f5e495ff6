"""The real server (uvicorn with app/server.py's configuration) against slow and oversized clients, on raw sockets.

TestClient buffers whole requests, so only a real socket shows that a chunked upload is cut off at the limit
and that half-sent headers or bodies do not hold a connection open.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from app.main import create_app
from app.runtime import build_runtime, wait_ready
from app.server import uvicorn_config
from app.settings import ROOT, Settings
from tests.conftest import free_port
from tests.fakes import HashEmbedder, MemoryStore


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    s = Settings(data_dir=tmp_path / "data", content_dir=ROOT / "content", host="127.0.0.1", port=port,
                 header_timeout=0.5, body_timeout=0.5, log_level="WARNING", _env_file=None)  # type: ignore[call-arg]
    rt = build_runtime(s)
    srv = uvicorn.Server(uvicorn_config(create_app(s, rt, embedder=HashEmbedder(), store=MemoryStore()), s))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started and wait_ready(rt, 30), rt.error
    yield port
    srv.should_exit = True
    thread.join(10)


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def _read_all(sock: socket.socket) -> bytes:
    out = b""
    while chunk := sock.recv(65_536):
        out += chunk
    return out


def test_responses_have_no_server_header_and_carry_the_security_headers(server: int) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /api/nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        head = _read_all(sock).split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 404") and b"\r\nserver:" not in head
    assert b"content-security-policy:" in head and b"cache-control: no-store" in head


def test_half_sent_headers_do_not_hold_a_connection(server: int) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        began = time.monotonic()
        assert sock.recv(1024) == b""  # closed by the server, not by our 5 s socket timeout
        assert time.monotonic() - began < 3


def test_a_stalled_body_gets_a_408(server: int) -> None:
    with _connect(server) as sock:
        sock.sendall(b"POST /api/guide/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"question\": ")
        reply = sock.recv(65_536)
    assert reply.startswith(b"HTTP/1.1 408") and b"request_timeout" in reply


def test_a_chunked_upload_is_cut_off_at_the_limit(server: int) -> None:
    """Issue H2: a 300 MB chunked upload was read whole. Now the server answers 413 after about 1 MB."""
    chunk = b"x" * 65_536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    reply = b""
    with _connect(server) as sock:
        sock.sendall(b"POST /api/guide/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        sock.settimeout(0.5)
        try:
            while sent < 300_000_000:
                sock.sendall(frame)
                sent += len(chunk)
                sock.setblocking(False)
                try:
                    reply += sock.recv(65_536)
                except BlockingIOError:
                    pass
                finally:
                    sock.settimeout(0.5)
                if reply:
                    break
        except OSError:  # the server closed the connection while we were still sending
            pass
        if not reply:
            sock.settimeout(5)
            reply = sock.recv(65_536)
    assert reply.startswith(b"HTTP/1.1 413") and b"payload_too_large" in reply
    assert sent < 40_000_000  # about 1 MB was read; the rest is what the socket buffers took
