"""Culture surveys: each closed wave's published figures and disclosure decisions, computed when the wave
closes, so a results read is a lookup.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Waves closed before this revision have no row: their first results read computes and stores it.
    op.create_table(
        "survey_wave_publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("survey_wave.id", ondelete="CASCADE"), nullable=False),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("protection", sa.Integer(), nullable=False),
        sa.Column("complementary", sa.Boolean(), nullable=False),
        sa.Column("format", sa.Integer(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wave_id", "minimum", "protection", "complementary", name="uq_survey_wave_publication"),
    )


def downgrade() -> None:
    op.drop_table("survey_wave_publication")
