"""`python -m tests.app.api.fake_server`: the real app and server configuration, with the hash embedder.

Settings come from the environment as in `python -m app`; only the embedding model is swapped for the fast
fake, so a server process starts in a second or two. The durability test kills it with SIGKILL.
"""

from __future__ import annotations

import logging

import uvicorn

from app.main import create_app
from app.runtime import build_runtime
from app.server import uvicorn_config
from app.settings import Settings
from tests.fakes import HashEmbedder, MemoryStore


def main() -> None:
    settings = Settings()
    logging.basicConfig(level=settings.log_level)
    app = create_app(settings, build_runtime(settings), embedder=HashEmbedder(), store=MemoryStore())
    uvicorn.Server(uvicorn_config(app, settings)).run()


if __name__ == "__main__":
    main()
