"""Follow-up procedures, deadlines from the opening, terms against time limits, and stopped clocks.

Two small procedures under tests/fixtures/procedures (not law) exercise the engine: a parent whose final
step asks for a child procedure (and for one that is not defined), and a child that inherits the parent's
fact, starts its deadlines at the opening and stops them while paused.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from config import CONFIG_DIR
from states.chaining import open_followups
from states.errors import PermissionDeniedError
from states.legal_time import VN_TZ
from states.procedures import Rulebook, load_rulebook
from states.store.database import Database
from tests.conftest import WORLD_START, Dossier, World, build_world

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "procedures"
FINISHED_AT = "2026-02-01T09:00:00+07:00"  # a Sunday; one month later is Sunday 01/03/2026


@pytest.fixture(scope="module")
def chain_rulebook(tmp_path_factory: pytest.TempPathFactory) -> Rulebook:
    procedures = tmp_path_factory.mktemp("procedures")
    for source in (CONFIG_DIR / "procedures", FIXTURES):
        for folder in source.iterdir():
            shutil.copytree(folder, procedures / folder.name)
    return load_rulebook(CONFIG_DIR, procedures_dir=procedures)


@pytest.fixture
def chain_world(db: Database, chain_rulebook: Rulebook) -> World:
    return build_world(db, chain_rulebook, WORLD_START)


def finished_parent(world: World) -> Dossier:
    parent = world.open("police", procedure="chain_parent")
    parent.fire("police", "finished", {"finished_at": FINISHED_AT})
    return parent


def local_day(instant: str) -> date:
    return datetime.fromisoformat(instant).astimezone(VN_TZ).date()


def test_a_follow_up_opens_once_linked_to_its_parent_with_the_inherited_fact(chain_world: World) -> None:
    parent = finished_parent(chain_world)
    first = open_followups(chain_world.engine, chain_world.actors["system"])
    assert sorted(outcome.outcome for outcome in first) == ["opened", "waiting"]
    again = open_followups(chain_world.engine, chain_world.actors["system"])
    assert [outcome.outcome for outcome in again] == ["waiting"]  # only the undefined procedure is left
    opened = next(outcome for outcome in first if outcome.outcome == "opened")
    assert opened.dossier_id is not None
    child = Dossier(chain_world, opened.dossier_id)
    saved = child.saved()
    assert (saved["procedure"], saved["state"], saved["facts"]) == (
        "chain_child",
        "waiting",
        {"finished_at": FINISHED_AT},
    )
    assert saved["history"][0]["actor"] == "system"
    assert saved["history"][0]["payload"]["parent_id"] == parent.id
    with chain_world.db.reading() as repo:
        assert [row["id"] for row in repo.children(parent.id)] == [child.id]
        rows = {row["name"]: row for row in repo.outbox(parent.id) if row["kind"] == "start_procedure"}
    assert rows["chain_child"]["status"] == "done"
    assert rows["chain_missing"]["status"] == "pending"
    assert rows["chain_missing"]["last_error"] == "Thủ tục 'chain_missing' chưa có định nghĩa"


def test_a_person_with_an_open_dossier_of_that_procedure_is_linked_not_opened_twice(chain_world: World) -> None:
    first = finished_parent(chain_world)
    open_followups(chain_world.engine, chain_world.actors["system"])
    second = chain_world.open("police", procedure="chain_parent", **_same_person(chain_world, first))
    second.fire("police", "finished", {"finished_at": FINISHED_AT})
    outcomes = open_followups(chain_world.engine, chain_world.actors["system"])
    linked = [outcome for outcome in outcomes if outcome.outcome == "linked"]
    assert len(linked) == 1
    with chain_world.db.reading() as repo:
        assert repo.children(second.id) == []


def _same_person(world: World, dossier: Dossier) -> dict[str, Any]:
    subject = dossier.saved()["subject"]
    return {
        "full_name": subject["full_name"],
        "date_of_birth": date.fromisoformat(subject["date_of_birth"]),
        "id_number": subject["id_number"],
    }


def test_only_the_system_identity_opens_follow_ups(chain_world: World) -> None:
    finished_parent(chain_world)
    with pytest.raises(PermissionDeniedError):
        open_followups(chain_world.engine, chain_world.actors["police"])


def test_deadlines_start_at_the_opening_and_a_term_does_not_move_past_days_off(chain_world: World) -> None:
    finished_parent(chain_world)
    opened = next(o for o in open_followups(chain_world.engine, chain_world.actors["system"]) if o.dossier_id)
    assert opened.dossier_id is not None
    deadlines = Dossier(chain_world, opened.dossier_id).deadlines("open")
    # Five working days after Sunday 01/02/2026: Monday 02 … Friday 06/02.
    assert local_day(deadlines["window"]["due_at"]) == date(2026, 2, 6)
    assert deadlines["window"]["explanation"]["start_source"] == "fact:finished_at"
    # One month after 01/02 is Sunday 01/03: a term ends on it; a time limit to act moves to Monday 02/03.
    assert local_day(deadlines["term"]["due_at"]) == date(2026, 3, 1)
    assert deadlines["term"]["explanation"]["nature"] == "term"
    assert local_day(deadlines["limit"]["due_at"]) == date(2026, 3, 2)
    assert deadlines["limit"]["explanation"]["computation"]["rolled_from"] == "2026-03-01"


def test_a_paused_clock_resumes_with_the_time_that_remained(chain_world: World) -> None:
    chain_world.at("2026-01-30T08:00:00+07:00")
    parent = chain_world.open("police", procedure="chain_parent")
    parent.fire("police", "finished", {"finished_at": "2026-01-30T08:00:00+07:00"})
    opened = next(o for o in open_followups(chain_world.engine, chain_world.actors["system"]) if o.dossier_id)
    assert opened.dossier_id is not None
    child = Dossier(chain_world, opened.dossier_id)
    term_before = child.deadlines("open")["term"]["due_at"]
    chain_world.at("2026-02-02T08:00:00+07:00")
    child.fire("police", "paused")
    assert set(child.deadlines("paused")) == {"window", "term"}
    # A deadline without paused_in ends when the dossier leaves the states where it applies.
    assert child.deadlines()["limit"]["status"] == "met"
    chain_world.at("2026-02-12T08:00:00+07:00")  # ten days later; a paused deadline is never swept
    assert chain_world.sweep() == []
    child.fire("police", "resumed")
    term = child.deadlines("open")["term"]
    shifted = datetime.fromisoformat(term["due_at"]) - datetime.fromisoformat(term_before)
    assert shifted == timedelta(days=10)
    pause = term["explanation"]["pauses"][0]
    assert (pause["paused_by"], pause["resumed_by"], pause["not_counted_seconds"]) == ("paused", "resumed", 864_000)
    assert pause["due_at_before"] == term_before
