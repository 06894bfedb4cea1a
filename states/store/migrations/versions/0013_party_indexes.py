"""dossier lists and unit queues at scale: tasks by unit and due date; dossiers by place and opening time; on
PostgreSQL an index on each kind of unit a dossier can be designated to (``parties ->> kind``), so that the
visibility condition of a list is answered from indexes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

PARTY_KINDS = (
    "commune_committee",
    "commune_education_supervising_org",
    "commune_police",
    "district_committee",
    "district_court",
    "district_labour_office",
    "district_police",
    "district_procuracy",
    "health_facility",
    "national",
    "provincial_committee",
    "provincial_court",
    "provincial_health_dept",
    "provincial_labour_dept",
    "provincial_police",
    "provincial_procuracy",
    "reform_school",
    "regional_court",
    "regional_procuracy",
    "rehab_facility",
    "substitution_therapy_facility",
    "voluntary_rehab_community_provider",
    "voluntary_rehab_provider",
)
"""The unit kinds of config/roles.yaml and roles.d (a test keeps this list complete)."""


def index_name(kind: str) -> str:
    return f"ix_dossiers_party_{kind}"[:63]


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("confidential_to", sa.String(length=40), nullable=True))
    parties = sa.table("dossiers", sa.column("parties", sa.JSON), sa.column("confidential_to", sa.String))
    op.execute(
        parties.update()
        .where(parties.c.parties["confidential"].as_string().is_not(None))
        .values(confidential_to=parties.c.parties["confidential"].as_string())
    )
    op.create_index("ix_dossiers_confidential", "dossiers", ["confidential_to"])
    op.create_index("ix_dossiers_commune_opened", "dossiers", ["province_code", "commune_code", "opened_at"])
    op.create_index(
        "ix_tasks_queue",
        "tasks",
        ["unit_code", "status", "due_at", "id"],
        postgresql_include=["assignee_id", "role", "dossier_id"],
    )
    if op.get_bind().dialect.name != "postgresql":
        return  # an embedded SQLite database is small enough to scan
    _trigram_name_index()
    for kind in PARTY_KINDS:
        # The expression is the one SQLAlchemy writes for parties[kind].as_string(), so the planner matches it.
        expression = f"(CAST((parties ->> '{kind}') AS VARCHAR))"
        op.execute(
            f"CREATE INDEX {index_name(kind)} ON dossiers ({expression}, opened_at) WHERE {expression} IS NOT NULL"
        )


def _trigram_name_index() -> None:
    """Searching a name anywhere in it ("van an") with a trigram index; pg_trgm ships with PostgreSQL but
    creating an extension needs the right: without it the search still works, scanning."""
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        print("hoso: không tạo được phần mở rộng pg_trgm; tìm theo họ tên sẽ quét toàn bảng")  # noqa: T201
        return
    op.execute("CREATE INDEX ix_persons_name_trigram ON persons USING gin (name_key gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_persons_name_trigram")
        for kind in PARTY_KINDS:
            op.execute(f"DROP INDEX IF EXISTS {index_name(kind)}")
    op.drop_index("ix_tasks_queue", table_name="tasks")
    op.drop_index("ix_dossiers_commune_opened", table_name="dossiers")
    op.drop_index("ix_dossiers_confidential", table_name="dossiers")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("confidential_to")
