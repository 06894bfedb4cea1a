"""A step that fails half-way leaves no trace: state, history, tasks, deadlines and outbox commit together."""

from __future__ import annotations

from typing import Any

import pytest

from states.engine import DossierEngine
from tests.conftest import Dossier, World

POSITIVE = {
    "tested_at": "2026-03-02T08:00:00+07:00",
    "test_ground": "caught_using",
    "sample_type": "urine",
    "substances": "Heroin",
}


def snapshot(world: World, dossier_id: str) -> dict[str, Any]:
    dossier = Dossier(world, dossier_id)
    view = dossier.view("admin")
    return {
        "state": view["state"],
        "version": view["version"],
        "history": len(view["history"]),
        "tasks": [(t["role"], t["status"]) for t in view["tasks"]],
        "deadlines": [(d["rule_id"], d["status"]) for d in view["deadlines"]],
        "outbox": len(dossier.outbox()),
    }


def test_failure_while_writing_the_outbox_rolls_back_the_whole_step(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier = world.open()
    before = snapshot(world, dossier.id)

    def crash(self: DossierEngine, step: object) -> None:
        raise RuntimeError("simulated crash after the state, history, task and deadline writes")

    monkeypatch.setattr(DossierEngine, "_write_outbox", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        world.engine.fire(world.actors["police"], dossier.id, "test_positive", POSITIVE, 1)
    assert snapshot(world, dossier.id) == before

    monkeypatch.undo()
    dossier.fire("police", "test_positive", POSITIVE)
    after = snapshot(world, dossier.id)
    assert (after["state"], after["version"], after["history"], after["outbox"]) == ("user_confirmed", 2, 2, 1)
