"""officers' task desk: assignees, delegation, task events, substitutes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from states.store.tables import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("assigned_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_tasks_assignee_id_users", "users", ["assignee_id"], ["id"])
        batch.create_foreign_key("fk_tasks_owner_id_users", "users", ["owner_id"], ["id"])
    op.create_index("ix_tasks_assignee", "tasks", ["assignee_id", "status"], unique=False)
    op.create_table(
        "task_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=True),
        sa.Column("to_user_id", sa.Integer(), nullable=True),
        sa.Column("instead_of_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_task_events_task_id_tasks"),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"], name="fk_task_events_actor_user_id_users"),
        sa.ForeignKeyConstraint(["from_user_id"], ["users.id"], name="fk_task_events_from_user_id_users"),
        sa.ForeignKeyConstraint(["to_user_id"], ["users.id"], name="fk_task_events_to_user_id_users"),
        sa.ForeignKeyConstraint(["instead_of_id"], ["users.id"], name="fk_task_events_instead_of_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_task_events"),
    )
    op.create_index("ix_task_events_task", "task_events", ["task_id", "id"], unique=False)
    op.create_table(
        "substitutes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("substitute_id", sa.Integer(), nullable=False),
        sa.Column("from_day", sa.Date(), nullable=False),
        sa.Column("to_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_substitutes_user_id_users"),
        sa.ForeignKeyConstraint(["substitute_id"], ["users.id"], name="fk_substitutes_substitute_id_users"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_substitutes_created_by_users"),
        sa.ForeignKeyConstraint(["revoked_by"], ["users.id"], name="fk_substitutes_revoked_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_substitutes"),
    )
    op.create_index("ix_substitutes_user", "substitutes", ["user_id", "from_day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_substitutes_user", table_name="substitutes")
    op.drop_table("substitutes")
    op.drop_index("ix_task_events_task", table_name="task_events")
    op.drop_table("task_events")
    op.drop_index("ix_tasks_assignee", table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_constraint("fk_tasks_owner_id_users", type_="foreignkey")
        batch.drop_constraint("fk_tasks_assignee_id_users", type_="foreignkey")
        batch.drop_column("owner_id")
        batch.drop_column("assigned_at")
        batch.drop_column("assignee_id")
