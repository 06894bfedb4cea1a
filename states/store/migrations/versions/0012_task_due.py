"""each open task carries its dossier's earliest open time limit (queues sort by it)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from states.store.tables import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("due_at", UtcDateTime(), nullable=True))
    op.execute(
        "UPDATE tasks SET due_at = (SELECT min(deadlines.due_at) FROM deadlines "
        "WHERE deadlines.dossier_id = tasks.dossier_id AND deadlines.status = 'open') WHERE status = 'open'"
    )


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("due_at")
