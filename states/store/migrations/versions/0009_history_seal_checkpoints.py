"""history seals (HMAC under a key outside the database), signed checkpoints of the heads, and on
PostgreSQL append-only history, task events and checkpoints

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from states.store.tables import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

APPEND_ONLY = ("history", "task_events", "history_checkpoints")

# One change is let through on history: sealing a row written before seals existed (seal and key id from NULL
# to a value, nothing else touched), which `hoso audit seal` does once after this upgrade.
REFUSE_CHANGE = """
CREATE OR REPLACE FUNCTION hoso_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'history'
        AND to_jsonb(OLD) ->> 'seal' IS NULL AND to_jsonb(NEW) ->> 'seal' IS NOT NULL
        AND (to_jsonb(OLD) - 'seal' - 'key_id') = (to_jsonb(NEW) - 'seal' - 'key_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'hoso: bảng % chỉ được ghi thêm (không sửa, không xóa)', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def upgrade() -> None:
    with op.batch_alter_table("history") as batch:
        batch.add_column(sa.Column("seal", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))
    op.create_table(
        "history_checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("previous_digest", sa.String(length=64), nullable=False),
        sa.Column("last_history_id", sa.Integer(), nullable=False),
        sa.Column("heads", sa.JSON(), nullable=False),
        sa.Column("dossiers", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_history_checkpoints"),
        sa.UniqueConstraint("digest", name="uq_history_checkpoints_digest"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(REFUSE_CHANGE)
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION hoso_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION hoso_append_only()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS hoso_append_only()")
    op.drop_table("history_checkpoints")
    with op.batch_alter_table("history") as batch:
        batch.drop_column("key_id")
        batch.drop_column("seal")
