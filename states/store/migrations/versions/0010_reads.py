"""purpose-bound reads: who looked at which dossier, person or document, when and why (append-only on
PostgreSQL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from states.store.tables import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("dossier_id", sa.String(length=36), nullable=True),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_reads_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_reads"),
    )
    op.create_index("ix_reads_dossier", "reads", ["dossier_id", "id"], unique=False)
    op.create_index("ix_reads_user", "reads", ["user_id", "id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER reads_append_only BEFORE UPDATE OR DELETE ON reads "
            "FOR EACH ROW EXECUTE FUNCTION hoso_append_only()"
        )
        op.execute(
            "CREATE TRIGGER reads_no_truncate BEFORE TRUNCATE ON reads "
            "FOR EACH STATEMENT EXECUTE FUNCTION hoso_append_only()"
        )


def downgrade() -> None:
    op.drop_index("ix_reads_user", table_name="reads")
    op.drop_index("ix_reads_dossier", table_name="reads")
    op.drop_table("reads")
