"""Persistence: the database engine (SQLite by default, PostgreSQL through DATABASE_URL)."""

from app.db.engine import check_database, make_engine

__all__ = ["check_database", "make_engine"]
