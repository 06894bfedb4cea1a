"""The history chain detects any change, removal or reordering of its rows."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from states.history import row_hash
from states.store.tables import history
from states.views import verify_history
from tests.conftest import Dossier, World, as_administrator

POSITIVE = {
    "tested_at": "2026-03-02T08:00:00+07:00",
    "test_ground": "caught_using",
    "sample_type": "urine",
    "substances": "Heroin",
}


def three_steps(world: World) -> Dossier:
    dossier = world.open()
    dossier.fire("police", "test_positive", POSITIVE)
    dossier.fire("police", "status_checked", {"art27_case": "b", "penal_256a_window": "none"})
    return dossier


def verify(world: World, dossier: Dossier) -> dict[str, object]:
    with world.db.reading() as repo:
        return verify_history(repo, world.rulebook, dossier.id, world.actors["police"])


def test_untouched_history_is_valid(world: World) -> None:
    dossier = three_steps(world)
    result = verify(world, dossier)
    assert result["valid"] is True
    assert result["rows"] == 3
    assert result["head_hash"] == dossier.view()["history"][-1]["hash"]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("payload", {"art27_case": "none", "penal_256a_window": "none"}),
        ("actor_username", "someone_else"),
        ("to_state", "handed_to_management"),
    ],
)
def test_changed_row_is_detected(world: World, column: str, value: object) -> None:
    dossier = three_steps(world)
    with as_administrator(world) as conn:
        conn.execute(
            update(history).where(history.c.dossier_id == dossier.id, history.c.seq == 3).values({column: value})
        )
    result = verify(world, dossier)
    assert result == {**result, "valid": False, "first_invalid_seq": 3, "reason": "content_changed"}


def test_removed_middle_row_is_detected(world: World) -> None:
    dossier = three_steps(world)
    with as_administrator(world) as conn:
        conn.execute(delete(history).where(history.c.dossier_id == dossier.id, history.c.seq == 2))
    result = verify(world, dossier)
    assert (result["valid"], result["reason"], result["first_invalid_seq"]) == (False, "missing_row", 2)


def test_removed_last_row_is_detected(world: World) -> None:
    dossier = three_steps(world)
    with as_administrator(world) as conn:
        conn.execute(delete(history).where(history.c.dossier_id == dossier.id, history.c.seq == 3))
    result = verify(world, dossier)
    assert (result["valid"], result["reason"]) == (False, "version_mismatch")


def test_rehashed_row_still_breaks_the_next_link(world: World) -> None:
    """Someone who edits a row and recomputes its hash still breaks the following row's link."""
    dossier = three_steps(world)
    with as_administrator(world) as conn:
        row = dict(
            conn.execute(select(history).where(history.c.dossier_id == dossier.id, history.c.seq == 2)).mappings().one()
        )
        row["actor_username"] = "forger"
        new_hash = row_hash(row, row["prev_hash"])
        conn.execute(update(history).where(history.c.id == row["id"]).values(actor_username="forger", hash=new_hash))
    result = verify(world, dossier)
    assert (result["valid"], result["reason"], result["first_invalid_seq"]) == (False, "broken_link", 3)
