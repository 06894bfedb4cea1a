"""dossier lists: newest first, by keyset

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dossiers_opened", "dossiers", ["opened_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_dossiers_opened", table_name="dossiers")
