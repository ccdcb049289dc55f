"""The sign-in record: sign-ins, failures, refusals while locked, sign-outs and password changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("user_uid", sa.Uuid(), nullable=True),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("org", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sign_in_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sign_in_event_org"), ["org"], unique=False)
        batch_op.create_index(batch_op.f("ix_sign_in_event_user_uid"), ["user_uid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_event_user_uid"))
        batch_op.drop_index(batch_op.f("ix_sign_in_event_org"))
        batch_op.drop_index(batch_op.f("ix_sign_in_event_at"))
    op.drop_table("sign_in_event")
