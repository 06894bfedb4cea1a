"""The life story (api/life_story.py) through the engine, on SQLite and PostgreSQL: every step saved by a new
engine and read back from the database, every expectation of the story asserted, every transition recorded for
the suite's coverage check."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

import api.life_story as story
from api.life_story import Act, Chapter, EngineDriver, StoryError, StoryUnits, create_world, person, run_story
from states.clock import FixedClock
from states.procedures import Rulebook
from states.store.database import Database
from tests.conftest import PASSWORD, record_transition

START = datetime(2025, 2, 20, 1, 0, tzinfo=UTC)
LABELS = [
    "determination",
    "voluntary",
    "compulsory_1",
    "execution_1",
    "supervision",
    "compulsory_2",
    "execution_2",
]


@pytest.fixture
def driver(db: Database, rulebook: Rulebook) -> EngineDriver:
    clock = FixedClock(START)
    create_world(db, rulebook, StoryUnits(), password=PASSWORD, now=clock.now())
    return EngineDriver(db, rulebook, clock=clock, on_saved=record_transition)


def test_the_life_story_through_the_engine(driver: EngineDriver) -> None:
    ids = run_story(driver)
    assert list(ids) == LABELS
    with driver.db.reading() as repo:
        rows = [row for dossier_id in ids.values() for row in repo.history(dossier_id)]
        chained = [repo.children(ids[parent]) for parent in LABELS[:-1]]
    # The regime of every step is that of the date of its legal fact: the story crosses all four.
    assert {row["regime"] for row in rows} == {"VN2021", "VN2025A", "VN2025B", "VN2026"}
    # One case: each dossier is the child of the one before it.
    assert [[child["id"] for child in children] for children in chained] == [[ids[label]] for label in LABELS[1:]]
    # Terms (the length of a measure) never alert anybody; time limits to act do, unless they have ended.
    with driver.db.reading() as repo:
        deadlines = [row for dossier_id in ids.values() for row in repo.deadlines(dossier_id)]
    natures = {row["rule_id"]: row["explanation"]["nature"] for row in deadlines}
    terms = [row for row in deadlines if natures[row["rule_id"]] == "term"]
    assert terms and all((row["alert_stage"], row["next_alert_at"]) == ("off", None) for row in terms)
    limits = [row for row in deadlines if natures[row["rule_id"]] == "time_limit"]
    assert limits and all(row["alert_stage"] != "off" for row in limits)


def test_the_story_is_the_same_for_another_person_in_the_same_world(driver: EngineDriver) -> None:
    """What a benchmark does: the same life for several persons, one after the other, in one database."""
    light = EngineDriver(driver.db, driver.rulebook, clock=driver.clock, checked=False)
    first = run_story(light, subject=person(serial=1), verify=False)
    second = run_story(driver, subject=person(serial=2))
    assert set(first.values()).isdisjoint(second.values())


def test_a_wrong_expectation_is_reported_with_its_chapter_and_step(
    driver: EngineDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The story's checks bite: the first chapter with a wrong due date of the status-check target."""
    first = story.chapters()[0]
    opening, test_positive = first.steps[0], first.steps[1]
    assert isinstance(test_positive, Act) and test_positive.event == "test_positive"
    wrong = replace(test_positive.expect.deadlines[0], due="2025-02-21 23:59:59")
    broken = replace(test_positive, expect=replace(test_positive.expect, deadlines=(wrong,)))
    monkeypatch.setattr(story, "chapters", lambda units=None: (Chapter(first.title, (opening, broken)),))
    with pytest.raises(StoryError, match=r"bước 2 .* test_positive, deadline status_check_target: due 2025-02-20"):
        run_story(driver)


def test_the_story_stops_before_its_first_step_at_the_given_moment(driver: EngineDriver) -> None:
    """The demo's people are the story stopped at a moment: in the facility, before the reduction."""
    ids = run_story(driver, verify=False, until=story.t("2026-05-16 09:00"))
    assert list(ids) == LABELS[:4]
    execution = driver.saved(ids["execution_1"])
    assert execution["state"] == "serving"
    assert execution["history"][-1]["event"] == "returned"
