"""Bring a database to the newest schema. Called at every start-up, so it must be a no-op when already current."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from app.db.engine import make_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """The Alembic config built in code, so the package needs no alembic.ini and works from any directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Config values go through configparser interpolation; a URL-encoded password would otherwise break it.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine_or_url: Engine | str) -> None:
    """`alembic upgrade head` on a URL or on an existing engine (whose pragmas and pool are then reused)."""
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        log.info("database schema at head (%s)", engine.url.render_as_string(hide_password=True))
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()
