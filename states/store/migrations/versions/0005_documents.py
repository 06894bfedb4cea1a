"""issued documents and their gap-free numbering

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from states.store.tables import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("doc_type", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_document_counters_unit_code_units")),
        sa.PrimaryKeyConstraint("unit_code", "doc_type", "year", name=op.f("pk_document_counters")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dossier_id", sa.String(length=36), nullable=False),
        sa.Column("history_seq", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("form_code", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("doc_type", sa.String(length=20), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("number_symbol", sa.String(length=80), nullable=True),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=False),
        sa.Column("file_path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=120), nullable=False),
        sa.Column("template_sha256", sa.String(length=64), nullable=False),
        sa.Column("data_sha256", sa.String(length=64), nullable=False),
        sa.Column("verification_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"], name=op.f("fk_documents_dossier_id_dossiers")),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name=op.f("fk_documents_outbox_id_outbox")),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_documents_unit_code_units")),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], name=op.f("fk_documents_issued_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_documents_outbox_id")),
        sa.UniqueConstraint("verification_code", name=op.f("uq_documents_verification_code")),
    )
    op.create_index("ix_documents_dossier", "documents", ["dossier_id", "id"], unique=False)
    op.create_index("ix_documents_sha256", "documents", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_documents_sha256", table_name="documents")
    op.drop_index("ix_documents_dossier", table_name="documents")
    op.drop_table("documents")
    op.drop_table("document_counters")
