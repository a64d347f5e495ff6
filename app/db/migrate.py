"""Bring a database to the newest schema. Called at every start-up, so it must be a no-op when already current."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from app.db.engine import make_engine
from app.db.startup import record_event, startup_lock

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """The Alembic config built in code, so the package needs no alembic.ini and works from any directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Config values go through configparser interpolation; a URL-encoded password would otherwise break it.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine_or_url: Engine | str) -> None:
    """`alembic upgrade head` on a URL or on an existing engine (whose pragmas and pool are then reused).

    Runs under the start-up lock, so replicas starting together migrate once: the others wait, then find the
    schema at head. The one that moved it records a `startup_event` row.
    """
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with startup_lock(engine, "migrate"):
            before = _revision(engine)
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            after = _revision(engine)
            if after != before:
                record_event(engine, "migrate", f"{before or 'empty'} -> {after}")
        log.info("database schema at head (%s)", engine.url.render_as_string(hide_password=True))
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()
