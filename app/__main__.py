"""`python -m app`: check the content, then serve the app with uvicorn on the configured host and port."""

from __future__ import annotations

import sys

import uvicorn

from app.content.errors import ContentError
from app.logs import configure_logging
from app.main import create_app
from app.runtime import build_runtime
from app.server import run_workers, uvicorn_config
from app.settings import get_settings
from rag.errors import RagError


def main() -> int:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        runtime = build_runtime(settings)
    except (ContentError, RagError) as exc:
        # A broken user pack or guide file: one line per problem, no traceback.
        for line in getattr(exc, "problems", [str(exc)]):
            sys.stderr.write(f"error: {line}\n")
        return 2
    if settings.workers > 1:  # content checked and schema migrated here, once; each worker builds its own app
        runtime.engine.dispose()
        run_workers(settings)
        return 0
    app = create_app(settings, runtime)
    uvicorn.Server(uvicorn_config(app, settings)).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
