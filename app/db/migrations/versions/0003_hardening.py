"""Hardening: a version column for compare-and-set transitions, per-session turn numbers, idempotency keys.

- interview_session.version: every state change is `UPDATE ... WHERE id = :id AND version = :seen`, so of N
  concurrent grades exactly one wins.
- turn.seq: the turn's number within its session (1, 2, ...), shown to clients instead of the global id, which
  revealed the total traffic. Existing rows are numbered in id order.
- turn.idempotency_key: unique per session, so a retried message is found rather than stored twice.
- (candidate_id, created_at) index: the sessions-per-day quota and the history window read by it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX only: SQLite does both in place, with no batch copy of tables that other
    # tables' foreign keys point at. The server defaults also fill the rows that already exist.
    op.add_column("interview_session", sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_interview_session_candidate_id_created_at", "interview_session",
                    ["candidate_id", "created_at"])

    op.add_column("turn", sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("turn", sa.Column("idempotency_key", sa.String(length=64), nullable=True))
    # A correlated count works on SQLite and PostgreSQL alike; it runs once, over the existing transcript.
    op.execute("UPDATE turn SET seq = (SELECT COUNT(*) FROM turn AS t2 "
               "WHERE t2.session_id = turn.session_id AND t2.id <= turn.id)")
    op.create_index("uq_turn_session_id_seq", "turn", ["session_id", "seq"], unique=True)
    op.create_index("uq_turn_session_id_idempotency_key", "turn", ["session_id", "idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_turn_session_id_idempotency_key", table_name="turn")
    op.drop_index("uq_turn_session_id_seq", table_name="turn")
    op.drop_column("turn", "idempotency_key")
    op.drop_column("turn", "seq")
    op.drop_index("ix_interview_session_candidate_id_created_at", table_name="interview_session")
    op.drop_column("interview_session", "version")
