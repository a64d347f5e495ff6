"""kill -9 during a burst of messages, on SQLite and PostgreSQL: no acknowledged message is lost, and retrying
the unacknowledged ones with the same Idempotency-Key stores each exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from app.settings import ROOT
from tests.conftest import free_port

WORKERS = 4
PER_WORKER = 40
ROUNDS = 2


class Server:
    def __init__(self, db_url: str, data: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATA_DIR": str(data), "DATABASE_URL": db_url, "PORT": str(self.port),
                    "HOST": "127.0.0.1", "LOG_LEVEL": "WARNING", "LLM_MODEL": "", "RATE_LIMIT_ADDRESS": "",
                    "RATE_LIMIT_CANDIDATE": "", "RATE_LIMIT_EXPENSIVE": "", "REDIS_URL": "",
                    "QUOTA_TURNS_PER_SESSION": "10000", "QUOTA_CHARS_PER_SESSION": "10000000"}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.app.api.fake_server"], cwd=ROOT, env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        pytest.fail("the server did not become ready")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


def _burst(url: str, sid: str, token: str, start: int, acked: dict[str, str], pending: list[str],
           stop: threading.Event) -> None:
    """Post numbered messages in order; record each acknowledged key, and the one in flight when it broke."""
    with httpx.Client(base_url=url, timeout=10, headers={"X-Candidate-Token": token}) as c:
        for i in range(start, PER_WORKER):
            if stop.is_set():
                return
            key = f"{sid[:8]}-{i}"
            pending.append(key)
            try:
                r = c.post(f"/api/interviews/{sid}/messages", json={"text": f"Point {i}: I would measure it."},
                           headers={"Idempotency-Key": key})
            except httpx.HTTPError:
                return  # the server died mid-request: this key stays pending
            if r.status_code == 200:
                pending.remove(key)
                acked[key] = f"Point {i}: I would measure it."


def test_kill_9_loses_no_acknowledged_message_and_retries_store_once(db_url: str, tmp_path: Path) -> None:
    server = Server(db_url, tmp_path / "data")
    server.start()
    sessions: list[tuple[str, str]] = []
    for _ in range(WORKERS):
        r = httpx.post(f"{server.url}/api/interviews", json={"question_id": "support-reply-drafts"}, timeout=10)
        sessions.append((r.json()["id"], r.headers["X-Candidate-Token"]))
    acked: dict[str, str] = {}
    pending: dict[str, list[str]] = {sid: [] for sid, _ in sessions}
    progress = {sid: 0 for sid, _ in sessions}
    try:
        for _ in range(ROUNDS):
            stop = threading.Event()
            threads = [threading.Thread(target=_burst, args=(server.url, sid, tok, progress[sid], acked,
                                                             pending[sid], stop)) for sid, tok in sessions]
            for t in threads:
                t.start()
            time.sleep(1.0)
            server.kill()  # mid-burst
            stop.set()
            for t in threads:
                t.join(30)
            server.start()
            # Retry whatever was in flight with the same key, as the web app does.
            for sid, tok in sessions:
                for key in list(pending[sid]):
                    r = httpx.post(f"{server.url}/api/interviews/{sid}/messages", timeout=10,
                                   json={"text": f"Point {int(key.rsplit('-', 1)[1])}: I would measure it."},
                                   headers={"X-Candidate-Token": tok, "Idempotency-Key": key})
                    assert r.status_code == 200, r.text
                    pending[sid].remove(key)
                    acked[key] = f"Point {int(key.rsplit('-', 1)[1])}: I would measure it."
                done = [k for k in acked if k.startswith(sid[:8])]
                progress[sid] = 1 + max((int(k.rsplit("-", 1)[1]) for k in done), default=-1)
    finally:
        server.kill()
    assert len(acked) >= WORKERS  # the bursts really ran before each kill
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT idempotency_key, text FROM turn WHERE role = 'candidate'")).all()
    finally:
        engine.dispose()
    stored: dict[str, list[str]] = {}
    for key, body in rows:
        stored.setdefault(key, []).append(body)
    assert all(len(v) == 1 for v in stored.values())  # no duplicate after retries
    missing = [k for k, body in acked.items() if stored.get(k) != [body]]
    assert not missing, missing  # every acknowledged message survived
