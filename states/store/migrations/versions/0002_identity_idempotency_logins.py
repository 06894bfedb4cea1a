"""name keys, recorded time of history rows, idempotency keys, login attempts, identity reviews

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import states.store.tables
from states.texts import name_key

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=255), nullable=True))
        batch_op.create_index("ix_persons_name_key", ["name_key"], unique=False)
    persons = sa.table("persons", sa.column("id", sa.Integer()), sa.column("full_name"), sa.column("name_key"))
    connection = op.get_bind()
    for person_id, full_name in connection.execute(sa.select(persons.c.id, persons.c.full_name)).all():
        connection.execute(
            persons.update().where(persons.c.id == person_id).values(name_key=name_key(str(full_name)))
        )
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_at", states.store.tables.UtcDateTime(), nullable=True))
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.JSON(), nullable=True))
        batch_op.create_index("ix_dossiers_person", ["person_id", "procedure_code"], unique=False)
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("dossier_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", states.store.tables.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_idempotency_keys_user_id_users")),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_idempotency_keys_dossier_id_dossiers")
        ),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("at", states.store.tables.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_address", ["address", "at"], unique=False)
        batch_op.create_index("ix_login_attempts_username", ["username", "at"], unique=False)
    op.create_table(
        "identity_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.String(length=36), nullable=False),
        sa.Column("given", sa.JSON(), nullable=False),
        sa.Column("stored", sa.JSON(), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("opened_at", states.store.tables.UtcDateTime(), nullable=False),
        sa.Column("closed_at", states.store.tables.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_identity_reviews_dossier_id_dossiers")
        ),
        sa.ForeignKeyConstraint(["opened_by"], ["users.id"], name=op.f("fk_identity_reviews_opened_by_users")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_identity_reviews_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_reviews")),
    )
    with op.batch_alter_table("identity_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_identity_reviews_open", ["status", "province_code"], unique=False)


def downgrade() -> None:
    op.drop_table("identity_reviews")
    op.drop_table("login_attempts")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_dossiers_person")
        batch_op.drop_column("subject")
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.drop_column("recorded_at")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index("ix_persons_name_key")
        batch_op.drop_column("name_key")
