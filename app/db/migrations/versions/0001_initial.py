"""Initial schema: candidate, interview_session, turn, grade, criterion_grade, dispute.

Written by hand and kept independent of app.db.models, so that later edits to the models cannot silently change
what this revision creates; tests/app/db/test_migrations.py checks that the two still agree.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str = "id") -> sa.Column[str]:
    return sa.Column(name, sa.String(length=32), nullable=False)


def _when(name: str = "created_at", nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "candidate",
        _id(),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _when(),
        sa.PrimaryKeyConstraint("id", name="pk_candidate"),
    )
    op.create_index("ix_candidate_token_hash", "candidate", ["token_hash"], unique=True)

    op.create_table(
        "interview_session",
        _id(),
        _id("candidate_id"),
        sa.Column("question_id", sa.String(), nullable=False),
        sa.Column("question_type", sa.String(), nullable=False),
        sa.Column("question_level", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("probes_asked", sa.Integer(), nullable=False),
        _when(),
        _when("updated_at"),
        _when("completed_at", nullable=True),
        sa.Column("usage", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"],
                                name="fk_interview_session_candidate_id_candidate"),
        sa.PrimaryKeyConstraint("id", name="pk_interview_session"),
    )
    op.create_index("ix_interview_session_candidate_id", "interview_session", ["candidate_id"])

    op.create_table(
        "turn",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _id("session_id"),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("criterion_id", sa.String(), nullable=True),
        _when(),
        sa.ForeignKeyConstraint(["session_id"], ["interview_session.id"],
                                name="fk_turn_session_id_interview_session"),
        sa.PrimaryKeyConstraint("id", name="pk_turn"),
    )
    op.create_index("ix_turn_session_id", "turn", ["session_id"])

    op.create_table(
        "grade",
        _id(),
        _id("session_id"),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("abstained", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("band", sa.String(), nullable=True),
        sa.Column("scorecard", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.JSON(), nullable=False),
        _when(),
        sa.ForeignKeyConstraint(["session_id"], ["interview_session.id"],
                                name="fk_grade_session_id_interview_session"),
        sa.PrimaryKeyConstraint("id", name="pk_grade"),
    )
    op.create_index("ix_grade_session_id", "grade", ["session_id"])

    op.create_table(
        "criterion_grade",
        _id(),
        _id("grade_id"),
        sa.Column("criterion_id", sa.String(), nullable=False),
        sa.Column("competency", sa.String(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["grade_id"], ["grade.id"], name="fk_criterion_grade_grade_id_grade"),
        sa.PrimaryKeyConstraint("id", name="pk_criterion_grade"),
    )
    op.create_index("ix_criterion_grade_grade_id", "criterion_grade", ["grade_id"])

    op.create_table(
        "dispute",
        _id(),
        _id("session_id"),
        _id("grade_id"),
        sa.Column("criterion_id", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("old_level", sa.Integer(), nullable=False),
        sa.Column("new_level", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        _when(),
        sa.ForeignKeyConstraint(["session_id"], ["interview_session.id"],
                                name="fk_dispute_session_id_interview_session"),
        sa.ForeignKeyConstraint(["grade_id"], ["grade.id"], name="fk_dispute_grade_id_grade"),
        sa.PrimaryKeyConstraint("id", name="pk_dispute"),
    )
    op.create_index("ix_dispute_session_id", "dispute", ["session_id"])
    op.create_index("ix_dispute_grade_id", "dispute", ["grade_id"])


def downgrade() -> None:
    for table in ("dispute", "criterion_grade", "grade", "turn", "interview_session", "candidate"):
        op.drop_table(table)  # indexes go with their tables
