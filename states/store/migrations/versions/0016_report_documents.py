"""periodic reports issued as documents: a document (and its PDF request) may belong to no dossier

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("dossier_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.alter_column("history_seq", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.alter_column("dossier_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.alter_column("history_seq", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("outbox_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("periodic_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_periodic_reports_document_id_documents"), "documents", ["document_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("periodic_reports", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_periodic_reports_document_id_documents"), type_="foreignkey")
        batch_op.drop_column("document_id")
    # The earlier schema has no place for a document of no dossier's: the reports' document records go with it.
    op.execute("delete from documents where dossier_id is null")
    op.execute("delete from outbox where dossier_id is null")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.alter_column("outbox_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("history_seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("dossier_id", existing_type=sa.String(length=36), nullable=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("history_seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("dossier_id", existing_type=sa.String(length=36), nullable=False)
