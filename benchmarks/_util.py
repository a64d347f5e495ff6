"""Small helpers shared by the benchmarks: percentiles, a free port, and a server process to measure."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(data_dir: Path, port: int, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    # Rate limits off unless a benchmark sets them: all benchmark traffic comes from one loopback address.
    env = {**os.environ, "DATA_DIR": str(data_dir), "PORT": str(port), "LOG_LEVEL": "WARNING",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "RATE_LIMIT_ADDRESS": "", "RATE_LIMIT_CANDIDATE": "",
           "RATE_LIMIT_EXPENSIVE": "", **(extra_env or {})}
    return subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> float:
    """Seconds from now until /readyz answers 200."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError("server exited during start-up")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.02)
    raise TimeoutError("server not ready")
