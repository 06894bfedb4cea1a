"""signed PDF copies of issued documents

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from states.store.tables import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("pdf_status", sa.String(length=20), nullable=False, server_default="pending"))
        batch.add_column(sa.Column("pdf_path", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("pdf_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("pdf_size_bytes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("pdf_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("signer_subject", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("signed_at", UtcDateTime(), nullable=True))
    op.create_index("ix_documents_pdf_sha256", "documents", ["pdf_sha256"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_documents_pdf_sha256", table_name="documents")
    with op.batch_alter_table("documents") as batch:
        for column in ("signed_at", "signer_subject", "pdf_note", "pdf_size_bytes", "pdf_sha256", "pdf_path"):
            batch.drop_column(column)
        batch.drop_column("pdf_status")
