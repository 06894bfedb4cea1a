"""plan targets imported from a province's table: versioned sets and their values per unit; statistics read
the dossiers of a procedure in a place from one index

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from states.store.tables import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_dossiers_place_procedure",
        "dossiers",
        ["province_code", "procedure_code", "commune_code", "person_id"],
        unique=False,
    )
    op.create_table(
        "target_sets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("layout", sa.String(length=60), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_document", sa.String(length=500), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=False),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["imported_by"], ["users.id"], name="fk_target_sets_imported_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_target_sets"),
        sa.UniqueConstraint("layout", "province_code", "year", "version", name="uq_target_sets_version"),
    )
    op.create_table(
        "targets",
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=5), nullable=False),
        sa.Column("column_key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["set_id"], ["target_sets.id"], name="fk_targets_set_id_target_sets"),
        sa.PrimaryKeyConstraint("set_id", "unit_code", "column_key", name="pk_targets"),
    )


def downgrade() -> None:
    op.drop_index("ix_dossiers_place_procedure", table_name="dossiers")
    op.drop_table("targets")
    op.drop_table("target_sets")
