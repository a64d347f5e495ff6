"""Guide history: guide_exchange keeps each candidate's questions to the guide and the answers shown.

Written by hand, like 0001; tests/app/db/test_migrations.py checks that the models and the migrations agree.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guide_exchange",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("candidate_id", sa.String(length=32), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"], name="fk_guide_exchange_candidate_id_candidate"),
        sa.PrimaryKeyConstraint("id", name="pk_guide_exchange"),
    )
    op.create_index("ix_guide_exchange_candidate_id", "guide_exchange", ["candidate_id"])
    op.create_index("ix_guide_exchange_candidate_id_created_at", "guide_exchange", ["candidate_id", "created_at"])


def downgrade() -> None:
    op.drop_table("guide_exchange")  # indexes go with the table
