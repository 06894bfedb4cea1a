"""follow-up dossiers point to the dossier whose step opened them

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 20:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(op.f("fk_dossiers_parent_id_dossiers"), "dossiers", ["parent_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_dossiers_parent_id_dossiers"), type_="foreignkey")
        batch_op.drop_column("parent_id")
