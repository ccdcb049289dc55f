"""Framework tables, with servicekit's append-only audit record and idempotency records.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 06:39:44.340281
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from servicekit.audit import create_append_only_guard, drop_append_only_guard

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("org", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("target_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("target_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_record_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_record_org"), ["org"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_record_target_id"), ["target_id"], unique=False)

    op.create_table(
        "framework",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("owner_org", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("publisher", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("framework", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_framework_owner_org"), ["owner_org"], unique=False)

    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("operation", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client", "key", name="uq_idempotency_client_key"),
    )
    op.create_table(
        "framework_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Uuid(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("major", sa.Integer(), nullable=False),
        sa.Column("minor", sa.Integer(), nullable=False),
        sa.Column("patch", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("change_note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("deprecated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["framework.id"],
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["framework_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("framework_id", "version", name="uq_framework_version"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("framework_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_framework_version_framework_id"), ["framework_id"], unique=False)

    op.create_table(
        "association",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("origin", sa.Uuid(), nullable=False),
        sa.Column("destination", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["framework_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "identifier", name="uq_association_identifier"),
        sa.UniqueConstraint("version_id", "type", "origin", "destination", name="uq_association_link"),
    )
    with op.batch_alter_table("association", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_association_destination"), ["destination"], unique=False)
        batch_op.create_index(batch_op.f("ix_association_origin"), ["origin"], unique=False)
        batch_op.create_index(batch_op.f("ix_association_version_id"), ["version_id"], unique=False)

    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("statement", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["framework_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "code", name="uq_item_code"),
        sa.UniqueConstraint("version_id", "identifier", name="uq_item_identifier"),
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_identifier"), ["identifier"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_type"), ["type"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_version_id"), ["version_id"], unique=False)

    op.create_table(
        "level_descriptor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.Uuid(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["framework_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "item", "level", name="uq_level_descriptor"),
    )
    with op.batch_alter_table("level_descriptor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_level_descriptor_item"), ["item"], unique=False)
        batch_op.create_index(batch_op.f("ix_level_descriptor_version_id"), ["version_id"], unique=False)

    op.create_table(
        "scale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.Uuid(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["framework_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id"),
    )
    op.create_table(
        "scale_level",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scale_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("proficient_threshold", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scale_id"],
            ["scale.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scale_id", "code", name="uq_scale_level_code"),
    )
    with op.batch_alter_table("scale_level", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scale_level_scale_id"), ["scale_id"], unique=False)
    create_append_only_guard(op)


def downgrade() -> None:
    drop_append_only_guard(op)
    with op.batch_alter_table("scale_level", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scale_level_scale_id"))

    op.drop_table("scale_level")
    op.drop_table("scale")
    with op.batch_alter_table("level_descriptor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_level_descriptor_version_id"))
        batch_op.drop_index(batch_op.f("ix_level_descriptor_item"))

    op.drop_table("level_descriptor")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_version_id"))
        batch_op.drop_index(batch_op.f("ix_item_type"))
        batch_op.drop_index(batch_op.f("ix_item_identifier"))

    op.drop_table("item")
    with op.batch_alter_table("association", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_association_version_id"))
        batch_op.drop_index(batch_op.f("ix_association_origin"))
        batch_op.drop_index(batch_op.f("ix_association_destination"))

    op.drop_table("association")
    with op.batch_alter_table("framework_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_framework_version_framework_id"))

    op.drop_table("framework_version")
    op.drop_table("idempotency_record")
    with op.batch_alter_table("framework", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_framework_owner_org"))

    op.drop_table("framework")
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_record_target_id"))
        batch_op.drop_index(batch_op.f("ix_audit_record_org"))
        batch_op.drop_index(batch_op.f("ix_audit_record_at"))

    op.drop_table("audit_record")
