"""Culture surveys: instruments and their questions, waves with their frozen structure, anonymous
responses and their answers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BREAKDOWNS = (
    "staff_group",
    "band",
    "sex",
    "age_group",
    "religion",
    "political_opinion",
    "racial_group",
    "marital_status",
    "sexual_orientation",
    "disability",
    "dependants",
)
PATH = sa.String(length=500).with_variant(sa.String(length=500, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "survey_instrument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("org", sa.String(length=50), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
        sa.UniqueConstraint("code", "version", name="uq_survey_instrument_version"),
    )
    op.create_index("ix_survey_instrument_org", "survey_instrument", ["org"])
    op.create_table(
        "survey_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), sa.ForeignKey("survey_instrument.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("scale", sa.String(length=20), nullable=False),
        sa.Column("positive", sa.JSON(), nullable=False),
        sa.Column("reverse", sa.Boolean(), nullable=False),
        sa.Column("theme", sa.String(length=30), nullable=False),
        sa.Column("framework_items", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instrument_id", "code", name="uq_survey_question_code"),
    )
    op.create_index("ix_survey_question_instrument_id", "survey_question", ["instrument_id"])
    op.create_table(
        "survey_wave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), sa.ForeignKey("survey_instrument.id"), nullable=False),
        sa.Column("org", sa.String(length=50), nullable=False),
        sa.Column("root_path", PATH, nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("opens", sa.Date(), nullable=False),
        sa.Column("closes", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    op.create_index("ix_survey_wave_instrument_id", "survey_wave", ["instrument_id"])
    op.create_index("ix_survey_wave_org", "survey_wave", ["org"])
    op.create_table(
        "survey_wave_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("survey_wave.id"), nullable=False),
        sa.Column("unit_uid", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("path", PATH, nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("survey_wave_unit.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wave_id", "path", name="uq_survey_wave_unit_path"),
    )
    op.create_index("ix_survey_wave_unit_wave_id", "survey_wave_unit", ["wave_id"])
    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), sa.ForeignKey("survey_wave.id"), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("survey_wave_unit.id"), nullable=False),
        *(sa.Column(b, sa.String(length=50), nullable=True) for b in BREAKDOWNS),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_survey_response_wave_unit", "survey_response", ["wave_id", "unit_id"])
    op.create_table(
        "survey_answer",
        sa.Column("response_id", sa.Integer(), sa.ForeignKey("survey_response.id"), nullable=False),
        sa.Column("question_id", sa.Integer(), sa.ForeignKey("survey_question.id"), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),  # the response's, repeated (no foreign key)
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("option", sa.SmallInteger(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("response_id", "question_id"),
    )
    op.create_index("ix_survey_answer_wave_unit", "survey_answer", ["wave_id", "unit_id"])


def downgrade() -> None:
    op.drop_table("survey_answer")
    op.drop_table("survey_response")
    op.drop_table("survey_wave_unit")
    op.drop_table("survey_wave")
    op.drop_table("survey_question")
    op.drop_table("survey_instrument")
