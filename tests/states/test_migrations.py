"""The Alembic migrations produce exactly the tables the code declares, and can be undone."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from states.procedures import Rulebook
from states.store.database import Database, make_engine
from states.store.migrate import downgrade, upgrade
from states.store.tables import metadata

PARTY_INDEX_PREFIX = "ix_dossiers_party_"
TRIGRAM_INDEX = "ix_persons_name_trigram"
PARTY_KINDS = importlib.import_module("states.store.migrations.versions.0013_party_indexes").PARTY_KINDS


def _declared_in_code(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    """The expression and trigram indexes of migration 0013 exist only in the migration (PostgreSQL)."""
    return not (kind == "index" and name is not None and (name.startswith(PARTY_INDEX_PREFIX) or name == TRIGRAM_INDEX))


def test_migrated_schema_matches_the_tables(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _declared_in_code})
        assert compare_metadata(context, metadata) == []


def test_every_kind_of_unit_has_its_party_index(rulebook: Rulebook) -> None:
    """A unit kind added to the configuration needs its index (a new migration) before its lists are fast."""
    assert set(rulebook.regimes.unit_kinds) - {"citizen"} <= set(PARTY_KINDS)


@pytest.mark.postgres
def test_the_party_indexes_exist_on_postgresql(db: Database) -> None:
    if db.backend != "postgresql":
        pytest.skip("chỉ PostgreSQL có chỉ mục theo biểu thức")
    with db.engine.connect() as conn:
        names = set(conn.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'dossiers'")))
        person_indexes = set(conn.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'persons'")))
    assert {PARTY_INDEX_PREFIX + kind for kind in PARTY_KINDS} <= names
    assert TRIGRAM_INDEX in person_indexes


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cycle.sqlite3'}"
    upgrade(url)
    downgrade(url, "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    assert {"dossiers", "history", "tasks", "deadlines", "outbox"} <= set(inspect(engine).get_table_names())
    engine.dispose()
