"""`python -m app`: check the content, then serve the app with uvicorn on the configured host and port."""

from __future__ import annotations

import logging
import sys

import uvicorn

from app.content.errors import ContentError
from app.main import create_app
from app.runtime import build_runtime
from app.server import uvicorn_config
from app.settings import get_settings
from rag.errors import RagError


def main() -> int:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        runtime = build_runtime(settings)
    except (ContentError, RagError) as exc:
        # A broken user pack or guide file: one line per problem, no traceback.
        for line in getattr(exc, "problems", [str(exc)]):
            sys.stderr.write(f"error: {line}\n")
        return 2
    app = create_app(settings, runtime)
    uvicorn.Server(uvicorn_config(app, settings)).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
