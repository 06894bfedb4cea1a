"""Moving running dossiers to a new procedure version, and replaying recorded steps against a candidate."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from config import CONFIG_DIR
from states.errors import ConflictError, InvalidInputError, PermissionDeniedError
from states.procedures import load_rulebook
from states.replay import replay_open_dossiers
from tests.conftest import Dossier, World

TESTED = {"test_ground": "caught_using", "sample_type": "urine", "substances": "Heroin"}


def held(world: World) -> Dossier:
    """A dossier on the 2022-01-01 version, its subject in administrative custody since 30/06/2026 22:05
    (status checked at 22:02, custody ordered at 22:15, recorded at 22:20)."""
    world.at("2026-06-30T22:00:00+07:00")
    dossier = world.open()
    dossier.fire("police", "test_positive", {**TESTED, "tested_at": "2026-06-30T21:30:00+07:00"})
    world.at("2026-06-30T22:02:00+07:00")
    dossier.fire("police", "status_checked", {"art27_case": "b", "penal_256a_window": "none"})
    world.at("2026-06-30T22:20:00+07:00")
    order = {"decision_number": "1/QĐ", "ordered_at": "2026-06-30T22:15:00+07:00", "custody_place": "Trụ sở"}
    dossier.fire("chief", "custody_ordered", {**order, "custody_started_at": "2026-06-30T22:05:00+07:00"})
    return dossier


def test_a_running_dossier_moves_to_the_new_version_with_its_deadlines_recomputed(world: World) -> None:
    dossier = held(world)
    before = dossier.saved()
    assert before["procedure_version"] == "2022-01-01"
    due_before = dossier.deadlines("open")["custody_base"]["due_at"]
    world.at("2026-07-01T00:30:00+07:00")
    result = world.engine.migrate_version(
        world.actors["admin"], dossier.id, "2026-07-01", reason_vi="Luật 120/2025 có hiệu lực", expected_version=4
    )
    after = dossier.saved()
    assert (result.version, after["version"], after["procedure_version"], after["state"]) == (
        5,
        5,
        "2026-07-01",
        "in_custody",
    )
    entry = after["history"][-1]
    assert (entry["event"], entry["actor"], entry["payload"]["from_version"]) == (
        "version_migrated",
        "admin",
        "2022-01-01",
    )
    assert entry["payload"]["reason_vi"] == "Luật 120/2025 có hiệu lực"
    custody = dossier.deadlines("open")["custody_base"]
    # The same 12-hour rule under Luật XLVPHC, recomputed from the original start of holding.
    assert custody["due_at"] == due_before
    assert custody["explanation"]["migrated_from"] == {"version": "2022-01-01", "due_at": due_before}
    assert dossier.open_tasks() == [("commune_police", "in_custody")]
    with world.db.reading() as repo:
        assert repo.history(dossier.id)[-1]["hash"] == after["history"][-1]["hash"]
    # The dossier goes on under the new version.
    world.at("2026-07-01T00:50:00+07:00")
    dossier.fire("chief", "custody_ended", {"released_at": "2026-07-01T00:45:00+07:00", "reason": "Trả tự do"})


def test_a_migration_is_an_operators_explicit_and_checked_act(world: World) -> None:
    dossier = held(world)
    with pytest.raises(ConflictError, match="đã có hiệu lực"):  # 2026-07-01 is not yet in force on 30/06/2026
        world.engine.migrate_version(world.actors["admin"], dossier.id, "2026-07-01", reason_vi="x", expected_version=4)
    world.at("2026-07-01T00:30:00+07:00")
    with pytest.raises(PermissionDeniedError):
        world.engine.migrate_version(
            world.actors["police"], dossier.id, "2026-07-01", reason_vi="x", expected_version=4
        )
    with pytest.raises(InvalidInputError):
        world.engine.migrate_version(world.actors["admin"], dossier.id, "2026-07-01", reason_vi=" ", expected_version=4)
    with pytest.raises(ConflictError) as stale:
        world.engine.migrate_version(world.actors["admin"], dossier.id, "2026-07-01", reason_vi="x", expected_version=3)
    assert stale.value.details["current_version"] == 4
    with pytest.raises(ConflictError, match="sau phiên bản hiện tại"):
        world.engine.migrate_version(world.actors["admin"], dossier.id, "2022-01-01", reason_vi="x", expected_version=4)
    assert dossier.saved()["version"] == 4


def test_replay_lists_what_a_candidate_version_would_change(world: World, tmp_path: Path) -> None:
    dossier = held(world)
    untouched = world.open("police", full_name="Lê Văn Hòa")
    procedures = tmp_path / "procedures"
    shutil.copytree(CONFIG_DIR / "procedures", procedures)
    candidate = procedures / "addiction_determination" / "2026-07-01.yaml"
    text = candidate.read_text(encoding="utf-8")
    candidate.write_text(text.replace("  custody_base_hours:\n    value: 12", "  custody_base_hours:\n    value: 24"))
    rulebook = load_rulebook(CONFIG_DIR, procedures_dir=procedures)
    outcomes = {
        o.dossier_id: o for o in replay_open_dossiers(world.db, rulebook, "addiction_determination", "2026-07-01")
    }
    assert set(outcomes) == {dossier.id, untouched.id}
    changed = outcomes[dossier.id]
    assert (changed.state_now, changed.state_replayed, changed.stopped_at) == ("in_custody", "in_custody", None)
    before = datetime.fromisoformat(changed.due_now["custody_base"])
    after = datetime.fromisoformat(changed.due_replayed["custody_base"])
    assert (after - before).total_seconds() == 12 * 3600
    assert not outcomes[untouched.id].changed
    # The live database was only read.
    assert dossier.saved()["procedure_version"] == "2022-01-01"
