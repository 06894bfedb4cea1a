"""periodic reports produced by the scheduled flow: one row per schedule, province and period

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from states.store.tables import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "periodic_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("schedule", sa.String(length=40), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("layout", sa.String(length=60), nullable=False),
        sa.Column("recipient_unit", sa.String(length=40), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("produced_at", UtcDateTime(), nullable=True),
        sa.Column("xlsx_name", sa.String(length=300), nullable=True),
        sa.Column("xlsx_sha256", sa.String(length=64), nullable=True),
        sa.Column("docx_name", sa.String(length=300), nullable=True),
        sa.Column("docx_sha256", sa.String(length=64), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_periodic_reports"),
        sa.UniqueConstraint("schedule", "province_code", "period", name="uq_periodic_reports_period"),
    )
    op.create_index("ix_periodic_reports_province", "periodic_reports", ["province_code", "due_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_periodic_reports_province", table_name="periodic_reports")
    op.drop_table("periodic_reports")
