"""A move of residence never leaves a person with two open dossiers of one procedure in the new commune."""

from __future__ import annotations

from datetime import date

import pytest

from states.errors import ConflictError
from tests.conftest import World
from tests.states.test_drug_user_management import PROCEDURE, local, managed, positive, step_at


def test_a_move_to_a_commune_where_a_dossier_is_already_open_is_refused(world: World) -> None:
    moving = managed(world)
    subject = moving.saved()["subject"]
    world.at(local("2026-03-20T08:00:00").isoformat())
    # The new commune's police met the person first and opened its own dossier.
    there = world.open(
        "other_police",
        procedure=PROCEDURE,
        id_number=subject["id_number"],
        full_name=subject["full_name"],
        date_of_birth=date.fromisoformat(subject["date_of_birth"]),
        sex=subject["sex"],
        commune_code="00004",
    )
    step_at(there, "2026-03-20T09:00:00", "other_police", "test_positive", positive("2026-03-20T08:30:00"))
    before = moving.saved()
    world.at(local("2026-04-01T09:00:00").isoformat())
    move = {"new_commune_code": "00004", "moved_at": local("2026-04-01T08:00:00").isoformat()}
    with pytest.raises(ConflictError, match="nơi cư trú mới, người này đã có hồ sơ") as refusal:
        moving.fire("police", "moved_out", move)
    # The mover does not see the other commune's dossier, so its id is not given.
    assert there.id not in refusal.value.message
    assert "open_dossier_id" not in refusal.value.details
    after = moving.saved()
    assert (after["version"], after["state"], after["commune_code"]) == (
        before["version"],
        before["state"],
        before["commune_code"],
    )
