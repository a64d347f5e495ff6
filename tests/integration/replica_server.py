"""`python -m tests.integration.replica_server`: one app replica exactly as `python -m app` builds it (settings from
the environment, migrations and ingestion under the start-up locks, PostgreSQL, the Chroma server, Redis), with
only the embedding model swapped for the hash embedder so that a replica starts in a second or two. The model
still goes through the serving wrappers: the shared Redis cache and the dynamic batcher.
"""

from __future__ import annotations

import uvicorn

from app.logs import configure_logging
from app.main import create_app
from app.runtime import build_runtime
from app.scaling import serving_embedder
from app.server import uvicorn_config
from app.settings import Settings
from tests.fakes import HashEmbedder


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    rt = build_runtime(settings)
    app = create_app(settings, rt, embedder=serving_embedder(HashEmbedder(), settings, rt.metrics))
    uvicorn.Server(uvicorn_config(app, settings)).run()


if __name__ == "__main__":
    main()
